import ConvolveONNX
@testable import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

/// `model cam` against pytorch-grad-cam on narrow, seeded versions of torchvision's ResNet-18, MobileNetV3-Small,
/// EfficientNet-B0 and DenseNet (`Tests/Fixtures/make_torchvision_cam_fixtures.py`): at the default layer (the
/// input of the last global pool) for the top class, every method's raw map within 1e-3 of its maximum
/// (EigenCAM up to the singular vector's sign), from the graph cut at the layer (`CamPass`).
@Suite struct CamNetworkTests {
  struct Entry: Decodable {
    var `class`: Int
    var logits: [Float]
    var layerShape: [Int]
  }

  /// The input the script makes: `float32(((31c + 7y² + 13x² + 5xy) mod 251) / 251 · 2 − 0.8)`, 1x3x112x112.
  static func networkInput() -> GraphTensor {
    var values: [Float] = []
    for c in 0 ..< 3 {
      for y in 0 ..< 112 {
        for x in 0 ..< 112 { values.append(Float(Double((31 * c + 7 * y * y + 13 * x * x + 5 * x * y) % 251) / 251 * 2 - 0.8)) }
      }
    }
    return GraphTensor(shape: [1, 3, 112, 112], floats: values)
  }

  @Test(arguments: ["resnet18", "mobilenet_v3", "efficientnet_b0", "densenet"])
  func mapsMatchPytorchGradCAM(net: String) throws {
    let manifest = try loadFixture("cam/nets/manifest.json", as: [String: Entry].self)
    let entry = try #require(manifest[net])
    let graph = try ONNXModel.load(path: fixtureURL("cam/nets/\(net).onnx").path)
    var options = CamOptions()
    options.methods = [.gradcam, .gradcamPlusPlus, .xgradcam, .hirescam, .layercam, .eigencam, .scorecam, .ablationcam]
    let result = try CamJob(model: net + ".onnx", graph: graph, options: options).compute(input: Self.networkInput())
    let logitError = zip(result.scores, entry.logits).map { abs($0 - $1) }.max()!
    print("\(net): logits within \(logitError) of PyTorch's, layer \(result.layer) \(result.layerShape)")
    #expect(logitError < 1e-3 * max(1, entry.logits.map(abs).max()!))
    #expect(result.classes == [entry.class] && result.layerShape == entry.layerShape)
    // The maps come from the graph cut at the layer (the body folded and fused as `model run` plans it).
    #expect(try CamPass(graph: graph, input: "x", shape: [1, 3, 112, 112], targets: [result.layer], output: "logits").isSplit)
    for (method, _, map) in result.maps {
      let want = try referenceCAM(method, prefix: "nets/\(net)-", like: map)
      let error = relativeError(map.values, want)
      print("\(net) \(method.rawValue): error \(error) of the map's maximum \(want.max()!)")
      #expect(want.max()! > 0 && error < 1e-3, "\(net) \(method.rawValue)")
    }
  }
}
