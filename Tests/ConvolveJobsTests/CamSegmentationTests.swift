import ConvolveONNX
@testable import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

/// `--target` for a segmenter against pytorch-grad-cam's `SemanticSegmentationTarget`
/// (`Tests/Fixtures/make_segmentation_cam_fixtures.py`): a tiny seeded FCN (output 1x4x16x16), the raw maps at
/// its second ReLU (8x8) for a class's argmax pixels and for a box, within 1e-3 of each map's maximum.
@Suite struct CamSegmentationTests {
  struct Manifest: Decodable {
    var top: Int
    var argmax: Int
    var box: Int
    var boxTarget: String
    var layer: String
    var counts: [Int]
  }

  static let methods: [CAMMethod] = [.gradcam, .gradcamPlusPlus, .xgradcam, .hirescam, .layercam, .scorecam, .ablationcam]

  @Test(arguments: ["argmax", "box"]) func mapsMatchPytorchGradCAM(target: String) throws {
    let manifest = try loadFixture("cam/seg/manifest.json", as: Manifest.self)
    let graph = try ONNXModel.load(path: fixtureURL("cam/seg/tiny_fcn.onnx").path)
    let (input, _) = try modelInput(npy: fixtureURL("cam/seg/input.npy").path)
    var options = CamOptions()
    options.methods = Self.methods
    options.layer = manifest.layer
    options.classChoice = .index(target == "argmax" ? manifest.argmax : manifest.box)
    options.region = try CAMRegion(parsing: target == "argmax" ? "argmax" : manifest.boxTarget)
    let result = try CamJob(model: "tiny_fcn.onnx", graph: graph, options: options).compute(input: input)
    #expect(result.maps.count == Self.methods.count)
    for (method, _, map) in result.maps {
      let reference = try NPYArray.read(path: fixtureURL("cam/seg/\(target)-\(method.rawValue).npy").path)
      #expect(reference.shape == [map.height, map.width])
      let error = relativeError(map.values, reference.data.map(Double.init))
      print("segmentation \(target) \(method.rawValue): error \(error) of the map's maximum \(reference.data.max()!)")
      #expect(error < 1e-3, "\(target) \(method.rawValue)")
    }
  }

  /// top1 is the class that is the argmax at the most pixels; the default layer is the head's input; the
  /// shares and the region's scores are right;
  /// a box outside the input and --target on a classifier are refused.
  @Test func rankingSharesAndRefusals() throws {
    let manifest = try loadFixture("cam/seg/manifest.json", as: Manifest.self)
    let graph = try ONNXModel.load(path: fixtureURL("cam/seg/tiny_fcn.onnx").path)
    let (input, _) = try modelInput(npy: fixtureURL("cam/seg/input.npy").path)
    var options = CamOptions()
    let job = try CamJob(model: "tiny_fcn.onnx", graph: graph, options: options)
    let result = try job.compute(input: input)
    #expect(result.classes == [manifest.top])
    #expect(result.layer == (try camLayerValue(manifest.layer, in: graph, path: "")), "a segmenter's default layer: the input of its last Conv")
    let shares = try #require(result.target?.shares)
    #expect(shares == manifest.counts.map { Float($0) / 256 })
    // The explained score: the class's output summed over the pixels where it is the argmax.
    let output = try BatchRun(graph: graph, input: "x", output: "segments")(["x": input]).floats
    var want = [Double](repeating: 0, count: 4)
    for p in 0 ..< 256 {
      let c = (0 ..< 4).max { output[$0 * 256 + p] < output[$1 * 256 + p] }!
      want[c] += Double(output[c * 256 + p])
    }
    #expect(zip(result.scores, want).allSatisfy { abs(Double($0) - $1) < 1e-4 }, "\(result.scores) \(want)")
    #expect(job.classLines(result).contains { $0.contains("argmax at \(String(format: "%.1f", Double(manifest.counts[manifest.top]) / 2.56))%") })

    options.region = .box(x0: 0, y0: 0, x1: 17, y1: 4)
    #expect(throws: ConvolveError.self) { try CamJob(model: "tiny_fcn.onnx", graph: graph, options: options).compute(input: input) }
    let classifier = try ONNXModel.load(path: fixtureURL("cam/tiny_cnn.onnx").path)
    let (small, _) = try modelInput(npy: fixtureURL("cam/input.npy").path)
    options.layer = "/relu2/Relu"
    options.region = .argmax
    #expect(throws: ConvolveError.self) { try CamJob(model: "tiny_cnn.onnx", graph: classifier, options: options).compute(input: small) }
    #expect(throws: ConvolveError.self) { try CAMRegion(parsing: "3,5,3,9") }
    #expect(try CAMRegion(parsing: "1, 2,3,4") == .box(x0: 1, y0: 2, x1: 3, y1: 4))
  }

  /// The metrics run on a segmenter: the region's mean per-pixel probability as deletion goes; AUCs in [0, 1].
  @Test func metricsOnASegmenter() throws {
    let manifest = try loadFixture("cam/seg/manifest.json", as: Manifest.self)
    let graph = try ONNXModel.load(path: fixtureURL("cam/seg/tiny_fcn.onnx").path)
    let (input, _) = try modelInput(npy: fixtureURL("cam/seg/input.npy").path)
    var options = CamOptions()
    (options.layer, options.classChoice, options.methods, options.metrics, options.metricSteps) =
      (manifest.layer, .index(manifest.argmax), [.gradcam, .occlusion, .integratedGradients], true, 8)
    (options.window, options.steps) = (4, 8)
    let job = try CamJob(model: "tiny_fcn.onnx", graph: graph, options: options)
    let result = try job.compute(input: input)
    let metrics = try job.metrics(result, input: input)
    #expect(metrics.count == 3)
    #expect(metrics.allSatisfy { (0 ... 1).contains($0.deletion) && (0 ... 1).contains($0.insertion) && $0.roadCombined.isFinite })
    #expect(result.maps.allSatisfy { $0.map.values.max()! > 0 })
  }
}
