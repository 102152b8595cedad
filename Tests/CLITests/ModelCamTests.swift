import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

private let classifier = sharedFolder.appendingPathComponent("models/ppocr/ch_ppocr_mobile_v2.0_cls_infer.onnx").path
private let hasClassifier = FileManager.default.fileExists(atPath: classifier)
private let net = fixtureURL("onnx/net_classifier.onnx").path
private let camera = packageRoot.appendingPathComponent("SampleImages/camera.png").path

/// `convolve model cam` as a user runs it.
@Suite struct ModelCamTests {
  /// A .npy input: maps at the input's size, no overlay (no photo), raw maps at the layer's resolution
  /// (the HardSwish before the global pool: 8x8; saliency at the input's 16x16), and classes.txt.
  @Test func npyInputWritesEveryMethodsFiles() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try runConvolve([
      "model", "cam", net, fixtureURL("onnx/net_classifier.input.npy").path, dir.path, "--save-npy",
      "--method", "gradcam,gradcam++,xgradcam,hirescam,layercam,eigencam,scorecam,ablationcam,saliency",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    for method in ["gradcam", "gradcam++", "xgradcam", "hirescam", "layercam", "eigencam", "scorecam", "ablationcam", "saliency"] {
      let png = dir.appendingPathComponent("\(method).png").path
      let info = try imageInfo(path: png)
      #expect(info.height == 16 && info.width == 16, "\(method)")
      let raw = try NPYArray.read(path: dir.appendingPathComponent("\(method).npy").path)
      #expect(raw.shape == (method == "saliency" ? [16, 16] : [8, 8]), "\(method)")
      #expect(raw.data.allSatisfy { $0 >= 0 })
      #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("\(method)-overlay.png").path))
    }
    let classes = try String(contentsOfFile: dir.appendingPathComponent("classes.txt").path, encoding: .utf8)
    #expect(classes.contains("probabilities: 5 classes, probabilities") && classes.contains("explained: class"))
  }

  /// A photo with --class top3: files per class suffixed -class<N>, at the photo's size, with overlays;
  /// EigenCAM once.
  @Test func photoWithTopThreeClasses() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try runConvolve(["model", "cam", net, camera, dir.path, "--size", "16x16", "--class", "top3", "--method", "gradcam,eigencam"])
    #expect(r.status == 0, "\(r.stderr)")
    let photo = try imageInfo(path: camera)
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    #expect(names.filter { $0.hasPrefix("gradcam-class") && $0.hasSuffix("-overlay.png") }.count == 3, "\(names)")
    #expect(names.contains("eigencam.png") && names.contains("eigencam-overlay.png"))
    for name in names where name.hasSuffix(".png") {
      let info = try imageInfo(path: dir.appendingPathComponent(name).path)
      #expect(info.height == photo.height && info.width == photo.width, "\(name)")
    }
  }

  @Test func unknownLayerOrMethodIsAUsageError() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let npy = fixtureURL("onnx/net_classifier.input.npy").path
    let layer = try runConvolve(["model", "cam", net, npy, dir.path, "--layer", "conv9"])
    #expect(layer.status == 64 && layer.stderr.contains("did you mean"), "\(layer.stderr)")
    let method = try runConvolve(["model", "cam", net, npy, dir.path, "--method", "gradcam+"])
    #expect(method.status == 64 && method.stderr.contains("did you mean 'gradcam"), "\(method.stderr)")
    let cls = try runConvolve(["model", "cam", net, npy, dir.path, "--class", "7"])
    #expect(cls.status == 64, "\(cls.stderr)")
  }

  @Test func modelInfoNamesTheDefaultLayer() throws {
    let r = try runConvolve(["model", "info", net])
    #expect(r.status == 0)
    #expect(r.stdout.split(separator: "\n").last?.hasPrefix("cam: `model cam` explains ") == true, "\(r.stdout)")
  }

  /// The PP-OCR text-direction classifier (48x192, BGR, mean 0.5, std 0.5) on a sample photo: a map that is not constant.
  @Test(.enabled(if: hasClassifier, "the PP-OCR classifier is not in ../shared/models/ppocr (see its README)"))
  func ppocrClassifierGivesANonConstantMap() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try runConvolve([
      "model", "cam", classifier, camera, dir.path, "--size", "48x192", "--bgr", "--mean", "0.5", "--std", "0.5",
      "--method", "gradcam,eigencam", "--save-npy",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    for method in ["gradcam", "eigencam"] {
      let raw = try NPYArray.read(path: dir.appendingPathComponent("\(method).npy").path)
      #expect(Set(raw.data).count > 1, "\(method): \(raw.shape) \(raw.data)")
    }
    #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("gradcam-overlay.png").path))
  }
}
