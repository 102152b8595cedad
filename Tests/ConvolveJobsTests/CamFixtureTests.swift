import ConvolveONNX
@testable import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

/// `model cam`'s maps against pytorch-grad-cam's own (`Tests/Fixtures/make_cam_fixtures.py`): a tiny seeded CNN
/// exported to ONNX, the raw maps at its second ReLU for its top class, within 1e-3 of each map's maximum
/// (EigenCAM up to the singular vector's sign).
@Suite struct CamFixtureTests {
  struct Manifest: Decodable {
    var `class`: Int
    var layer: String
  }

  @Test func mapsMatchPytorchGradCAM() throws {
    let manifest = try loadFixture("cam/manifest.json", as: Manifest.self)
    let graph = try ONNXModel.load(path: fixtureURL("cam/tiny_cnn.onnx").path)
    let (input, _) = try modelInput(npy: fixtureURL("cam/input.npy").path)
    var options = CamOptions()
    options.methods = [.gradcam, .gradcamPlusPlus, .xgradcam, .hirescam, .layercam, .eigencam, .scorecam, .ablationcam]
    (options.layer, options.classChoice) = (manifest.layer, .top(1))
    let result = try CamJob(model: "tiny_cnn.onnx", graph: graph, options: options).compute(input: input)
    #expect(result.classes == [manifest.class])
    for (method, _, map) in result.maps {
      let want = try referenceCAM(method, prefix: "", like: map)
      let error = relativeError(map.values, want)
      print("cam fixture \(method.rawValue): error \(error) of the map's maximum \(want.max()!)")
      #expect(error < 1e-3, "\(method.rawValue)")
    }
  }
}
