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

  /// Occlusion, integrated gradients and SmoothGrad at the input's resolution; --metrics prints and writes
  /// each map's AUCs (in [0, 1]); runs with the same seed agree to the byte.
  @Test func inputMethodsAndMetrics() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let npy = fixtureURL("onnx/net_classifier.input.npy").path
    let arguments = [
      "model", "cam", net, npy, "", "--save-npy", "--method", "gradcam,occlusion,integrated-gradients,smoothgrad",
      "--window", "4", "--stride", "2", "--steps", "16", "--samples", "4", "--metrics", "--metric-steps", "16",
    ]
    var outputs: [[String: Data]] = []
    for run in ["a", "b"] {
      let out = dir.appendingPathComponent(run).path
      var args = arguments
      args[4] = out
      let r = try runConvolve(args)
      #expect(r.status == 0, "\(r.stderr)")
      #expect(r.stdout.contains("metrics occlusion for class") && r.stdout.contains("deletion AUC"), "\(r.stdout)")
      #expect(r.stdout.contains("integrated-gradients for class") && r.stdout.contains("the attributions sum to"), "\(r.stdout)")
      for method in ["occlusion", "integrated-gradients", "smoothgrad"] {
        let raw = try NPYArray.read(path: out + "/\(method).npy")
        #expect(raw.shape == [16, 16] && raw.data.allSatisfy { $0 >= 0 } && raw.data.max()! > 0, "\(method)")
      }
      struct Metrics: Decodable {
        struct Map: Decodable { var method: String; var deletion: Double; var insertion: Double; var roadCombined: Double }
        var steps: Int
        var maps: [Map]
      }
      let metrics = try JSONDecoder().decode(Metrics.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/metrics.json")))
      #expect(metrics.steps == 16 && metrics.maps.map(\.method) == ["gradcam", "occlusion", "integrated-gradients", "smoothgrad"])
      #expect(metrics.maps.allSatisfy { (0 ... 1).contains($0.deletion) && (0 ... 1).contains($0.insertion) && $0.roadCombined.isFinite })
      #expect(r.stdout.contains("ROAD MoRF"), "\(r.stdout)")
      outputs.append(try folderContents(out))
    }
    #expect(outputs[0] == outputs[1])
  }

  /// A folder INPUT, walked recursively by default: one folder per photo (subfolders mirrored), index.html and metrics.json; the same bytes
  /// with --jobs 1, --jobs 2 and two shards run one after the other into one OUTDIR; --skip-existing skips.
  @Test func folderIsTheSameForAnyJobsAndSharding() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let photos = dir.appendingPathComponent("photos")
    try FileManager.default.createDirectory(at: photos.appendingPathComponent("more"), withIntermediateDirectories: true)
    let sample = packageRoot.appendingPathComponent("SampleImages")
    for (from, to) in [("camera.png", "camera.png"), ("chelsea.jpg", "chelsea.jpg"), ("rocket.jpg", "more/rocket.jpg"), ("camera.png", "more/camera 2.png")] {
      try FileManager.default.copyItem(at: sample.appendingPathComponent(from), to: photos.appendingPathComponent(to))
    }
    let common = ["--size", "16x16", "--method", "gradcam,eigencam,occlusion", "--window", "8", "--metrics", "--metric-steps", "8", "-q"]
    func run(_ out: String, _ extra: [String]) throws -> RunResult {
      let r = try runConvolve(["model", "cam", net, photos.path, dir.appendingPathComponent(out).path] + common + extra)
      #expect(r.status == 0, "\(r.stderr)")
      return r
    }
    _ = try run("one", ["--jobs", "1"])
    _ = try run("two", ["--jobs", "2"])
    _ = try run("shards", ["--shard", "1/2", "--jobs", "2"])
    _ = try run("shards", ["--shard", "2/2"])
    let one = try folderContents(dir.appendingPathComponent("one").path)
    #expect(one.keys.contains("more/rocket/gradcam-overlay.png") && one.keys.contains("more/camera 2/photo.jpg"), "\(one.keys.sorted())")
    #expect(one.keys.contains("index.html") && one.keys.contains("metrics.json") && one.keys.contains("chelsea/cam.json"))
    #expect(one.keys.filter { $0.hasSuffix("/cam.json") }.count == 4)
    #expect(try folderContents(dir.appendingPathComponent("two").path) == one)
    #expect(try folderContents(dir.appendingPathComponent("shards").path) == one)
    let page = String(decoding: one["index.html"]!, as: UTF8.self)
    #expect(page.contains("4 of 4 photos done") && page.contains("more/camera%202/occlusion-overlay.png"), "\(page)")
    let again = try runConvolve(
      ["model", "cam", net, photos.path, dir.appendingPathComponent("one").path] + common.dropLast() + ["--skip-existing"])
    #expect(again.status == 0 && again.stderr.contains("skipped 4"), "\(again.stderr)")
    let wrongShard = try runConvolve(["model", "cam", net, photos.path, dir.path + "/x", "--shard", "3/2"])
    #expect(wrongShard.status == 64, "\(wrongShard.stderr)")
    let flat = try runConvolve(["model", "cam", net, photos.path, dir.path + "/flat", "--size", "16x16", "-q", "--exclude", "*/*"])
    #expect(flat.status == 0 && flat.stderr.contains("done 2"), "--exclude '*/*': only the top folder: \(flat.stderr)")
    let flagged = try runConvolve(["model", "cam", net, photos.path, dir.path + "/flagged", "--size", "16x16", "-q", "-r", "--method", "eigencam"])
    #expect(flagged.status == 0 && flagged.stderr.contains("done 4"), "-r is still accepted: \(flagged.stderr)")
    let fileWithJobs = try runConvolve(["model", "cam", net, camera, dir.path + "/y", "--jobs", "2"])
    #expect(fileWithJobs.status == 64 && fileWithJobs.stderr.contains("folder INPUT"), "\(fileWithJobs.stderr)")
  }

  /// --target on a segmenter (the FCN of the segmentation fixtures): a box explains its class there, as
  /// pytorch-grad-cam does; top1 is the class with most pixels; a malformed box, or --target on a classifier,
  /// is a usage error.
  @Test func segmenterTargets() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let fcn = fixtureURL("cam/seg/tiny_fcn.onnx").path, input = fixtureURL("cam/seg/input.npy").path
    let box = try runConvolve(["model", "cam", fcn, input, dir.path + "/box", "--class", "1", "--target", "3,5,11,13", "--save-npy"])
    #expect(box.status == 0, "\(box.stderr)")
    let classes = try String(contentsOfFile: dir.path + "/box/classes.txt", encoding: .utf8)
    #expect(classes.contains("summed over the --target box") && classes.contains("explained: class 1"), "\(classes)")
    let got = try NPYArray.read(path: dir.path + "/box/gradcam.npy").data
    let want = try NPYArray.read(path: fixtureURL("cam/seg/box-gradcam.npy").path).data
    #expect(zip(got, want).map { abs($0 - $1) }.max()! < 1e-3 * want.max()!)
    let top = try runConvolve(["model", "cam", fcn, input, dir.path + "/top"])
    #expect(top.status == 0 && top.stdout.contains("explained: class 0") && top.stdout.contains("argmax at 88.7%"), "\(top.stdout)")
    let bad = try runConvolve(["model", "cam", fcn, input, dir.path + "/bad", "--target", "3,5"])
    #expect(bad.status == 64 && bad.stderr.contains("x0,y0,x1,y1"), "\(bad.stderr)")
    let classifier = try runConvolve(["model", "cam", net, fixtureURL("onnx/net_classifier.input.npy").path, dir.path + "/c", "--target", "argmax"])
    #expect(classifier.status == 64 && classifier.stderr.contains("segmenter"), "\(classifier.stderr)")
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

/// Every file under `path` by its relative path.
private func folderContents(_ path: String) throws -> [String: Data] {
  var files: [String: Data] = [:]
  let root = URL(fileURLWithPath: path)
  guard let walker = FileManager.default.enumerator(atPath: path) else { return files }
  for case let relative as String in walker {
    var isFolder: ObjCBool = false
    let full = root.appendingPathComponent(relative).path
    if FileManager.default.fileExists(atPath: full, isDirectory: &isFolder), !isFolder.boolValue {
      files[relative] = try Data(contentsOf: URL(fileURLWithPath: full))
    }
  }
  return files
}
