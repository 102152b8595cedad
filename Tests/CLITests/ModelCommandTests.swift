import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

private let detector = sharedFolder.appendingPathComponent("models/ppocr/ch_PP-OCRv4_det_infer.onnx").path
private let hasDetector = FileManager.default.fileExists(atPath: detector)

/// `convolve model info` and `model run`, as a user types them.
@Suite struct ModelCommandTests {
  @Test func infoListsInputsOutputsNodesAndTotals() throws {
    let r = try runConvolve(["model", "info", fixtureURL("onnx/net_classifier.onnx").path])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("input  x: float32 1x3x16x16"))
    #expect(r.stdout.contains("output probabilities: float32"))
    #expect(r.stdout.contains("Gemm") && r.stdout.contains("Softmax") && r.stdout.contains("MFLOPs"))
    #expect(r.stdout.contains("1 BatchNormalization folded into convolutions"))
  }

  @Test func runWritesOutputsForANpyInput() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try runConvolve([
      "model", "run", fixtureURL("onnx/net_classifier.onnx").path, fixtureURL("onnx/net_classifier.input.npy").path,
      dir.path, "--save-npy", "--top", "2",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("probabilities: 1x5, top 2"))
    let saved = try NPYArray.read(path: dir.appendingPathComponent("probabilities.npy").path)
    let reference = try NPYArray.read(path: fixtureURL("onnx/net_classifier.output.npy").path)
    #expect(isApproximatelyEqual(saved.data, reference.data, tolerance: 1e-5))
  }

  @Test func badInputsAreOneLineErrorsWithTheRightStatus() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let notOnnx = packageRoot.appendingPathComponent("SampleImages/camera.png").path
    let r = try runConvolve(["model", "info", notOnnx])
    #expect(r.status == 1 && r.stderr.contains(notOnnx), "\(r.stderr)")
    let size = try runConvolve(["model", "run", notOnnx, notOnnx, dir.path, "--size", "0x5"])
    #expect(size.status == 64 && size.stderr.contains("--size 0x5"), "\(size.stderr)")
    let mean = try runConvolve(["model", "run", notOnnx, notOnnx, dir.path, "--std", "0"])
    #expect(mean.status == 64, "\(mean.stderr)")
    let channels = try runConvolve([
      "model", "run", fixtureURL("onnx/net_classifier.onnx").path, fixtureURL("onnx/net_classifier.output.npy").path, dir.path,
    ])
    #expect(channels.status == 1 && channels.stderr.contains("NCHW or CHW"), "\(channels.stderr)")
  }

  /// The README's detector command on a sample photo: the probability map has the photo's size rounded to
  /// multiples of 32, values in [0, 1], and the overlay has the photo's size.
  @Test(.enabled(if: hasDetector, "../shared/models is absent: the PP-OCR detector test needs it"))
  func detectorOnASamplePhoto() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let rocket = packageRoot.appendingPathComponent("SampleImages/rocket.jpg").path
    let r = try runConvolve([
      "model", "run", detector, rocket, dir.path, "--bgr", "--mean", "0.5", "--std", "0.5", "--layers", "p2o.Conv.1",
      "--report",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("note: resized from 427x640 to 416x640"))
    let map = try loadImage(path: dir.appendingPathComponent("sigmoid_0.tmp_0.png").path).tensor
    #expect((map.height, map.width) == (416, 640))
    #expect(map.data.max()! > 0.9)  // the launch tower's lettering
    let overlay = try loadImage(path: dir.appendingPathComponent("sigmoid_0.tmp_0-overlay.png").path).tensor
    #expect((overlay.height, overlay.width) == (427, 640))
    #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("002-p2o.Conv.1.png").path))
    #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("report.html").path))
  }
}
