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

  /// A multi-channel output's .npy is its values (written once, not again with its maps), bit for bit.
  @Test func saveNpyWritesAMapOutputsValues() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = fixtureURL("onnx/conv_3x3_pads1_bias.onnx").path
    let r = try runConvolve(["model", "run", model, fixtureURL("onnx/conv_3x3_pads1_bias.input.npy").path, dir.path, "--save-npy"])
    #expect(r.status == 0, "\(r.stderr)")
    let npys = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".npy") }
    #expect(npys.count == 1, "\(npys)")
    let saved = try NPYArray.read(path: dir.appendingPathComponent(try #require(npys.first)).path)
    let reference = try NPYArray.read(path: fixtureURL("onnx/conv_3x3_pads1_bias.output.npy").path)
    #expect(saved.shape == [1, 4, 9, 11] && isApproximatelyEqual(saved.data, reference.data, tolerance: 1e-5))
    let bytes = try Data(contentsOf: dir.appendingPathComponent(npys[0]))
    #expect(bytes.count == 128 + 4 * 396 && bytes.suffix(4) == withUnsafeBytes(of: saved.data[395].bitPattern.littleEndian) { Data($0) })
  }

  /// A photo with an ICC profile reaches the network in sRGB, with a note; --keep-colours feeds it as stored.
  @Test func photosAreFedInSRGBUnlessKeepColours() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = fixtureURL("onnx/net_classifier.onnx").path, adobe = fixtureURL("color/adobe.png").path
    func run(_ photo: String, _ extra: [String], _ name: String) throws -> (String, [Float]) {
      let r = try runConvolve(["model", "run", model, photo, dir.appendingPathComponent(name).path, "--save-npy", "--raw"] + extra)
      #expect(r.status == 0, "\(r.stderr)")
      return (r.stdout, try NPYArray.read(path: dir.appendingPathComponent(name + "/probabilities.npy").path).data)
    }
    let (converted, a) = try run(adobe, [], "srgb")
    let (kept, b) = try run(adobe, ["--keep-colours"], "kept")
    #expect(converted.contains("note: adobe.png: colours converted from its ICC profile (") && converted.contains(") to sRGB"))
    #expect(!kept.contains("colours converted"))
    #expect(!isApproximatelyEqual(a, b, tolerance: 1e-4))
    // As the photo converted first by `filter --to-srgb` (8-bit PNG: within its rounding).
    let srgbPhoto = dir.appendingPathComponent("srgb.png").path
    #expect(try runConvolve(["filter", adobe, srgbPhoto, "--kernel", "1", "--to-srgb"]).status == 0)
    let (again, c) = try run(srgbPhoto, [], "first")
    #expect(!again.contains("colours converted"))  // an sRGB profile: nothing to say
    #expect(isApproximatelyEqual(a, c, tolerance: 2e-3))
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

  /// A classifier whose output is logits lists probabilities (their softmax, said so); `--raw` the logits;
  /// an output that is already probabilities is listed as it is (above).
  @Test func logitsAreListedAsProbabilitiesUnlessRaw() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = fixtureURL("torch_blocks/vit_tiny_opset17.onnx").path
    let input = fixtureURL("torch_blocks/vit_tiny_opset17.input0.npy").path
    let logits = try NPYArray.read(path: fixtureURL("torch_blocks/vit_tiny_opset17.output0.npy").path).data
    func listed(_ extra: [String]) throws -> (String, [Float]) {
      let r = try runConvolve(["model", "run", model, input, dir.path, "--top", "3"] + extra)
      #expect(r.status == 0, "\(r.stderr)")
      let values = r.stdout.split(separator: "\n").filter { $0.hasPrefix("  ") && $0.contains("(class ") }
        .compactMap { Float($0.split(separator: " ").last!) }
      return (r.stdout, values)
    }
    let (text, probabilities) = try listed([])
    #expect(text.contains("(softmax of the scores; --raw lists them as they are)"), "\(text)")
    let e = logits.map { exp(Double($0 - logits.max()!)) }
    let expected = e.map { $0 / e.reduce(0, +) }.sorted(by: >).prefix(3)
    #expect(probabilities.count == 3)
    for (p, q) in zip(probabilities, expected) { #expect(abs(Double(p) - q) < 1e-3, "\(p) vs \(q)") }
    let (rawText, raw) = try listed(["--raw"])
    #expect(!rawText.contains("softmax"))
    for (p, q) in zip(raw, logits.sorted(by: >).prefix(3)) { #expect(abs(p - q) < 1e-3, "\(p) vs \(q)") }
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
    #expect(r.stdout.contains("note: resized from 640x427 (WxH) to the model's 3x416x640 (CxHxW), bilinear"))
    let map = try loadImage(path: dir.appendingPathComponent("sigmoid_0.tmp_0.png").path).tensor
    #expect((map.height, map.width) == (416, 640))
    #expect(map.data.max()! > 0.9)  // the launch tower's lettering
    let overlay = try loadImage(path: dir.appendingPathComponent("sigmoid_0.tmp_0-overlay.png").path).tensor
    #expect((overlay.height, overlay.width) == (427, 640))
    #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("002-p2o.Conv.1.png").path))
    #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("report.html").path))
  }
}
