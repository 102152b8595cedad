import ConvolveONNX
@testable import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

private let classifier = sharedFolder.appendingPathComponent("models/ppocr/ch_ppocr_mobile_v2.0_cls_infer.onnx").path

/// Adebayo et al. 2018 ("Sanity checks for saliency maps") on a trained network: with every weight of the
/// PP-OCR direction classifier's top layer (its MatMul, the first step of the cascading randomisation), or of
/// every layer, replaced by random values of the same spread, Grad-CAM's map must change (its correlation with
/// the trained network's map below 0.9; a map of zeros, no evidence left, counts as changed).
@Suite struct CamSanityTests {
  @Test(
    .enabled(if: FileManager.default.fileExists(atPath: classifier), "the PP-OCR classifier is not in ../shared/models/ppocr (see its README)"),
    arguments: ["top layer", "every layer"])
  func randomisedWeightsChangeTheMapOfATrainedClassifier(_ which: String) throws {
    let graph = try ONNXModel.load(path: classifier)
    let photo = try loadImage(path: fixturePhoto()).tensor
    let preprocessing = ModelInput(size: (48, 192), mean: [0.5], std: [0.5], bgr: true)
    let (input, _) = try preprocessing.tensor(from: photo, channels: 3, height: 48, width: 192)
    var random = graph
    var rng = SplitMix64(seed: 2018)
    for (name, tensor) in graph.initializers.sorted(by: { $0.key < $1.key }) where tensor.elementType == .float32 && (which == "top layer" ? tensor.rank == 2 : tensor.rank >= 2) {
      let v = tensor.floats
      var (sum, squares) = (0.0, 0.0)
      for x in v {
        sum += Double(x)
        squares += Double(x) * Double(x)
      }
      let count = Double(v.count)
      let variance = max(squares / count - (sum / count) * (sum / count), 1e-12)
      let spread = Float((3 * variance).squareRoot())  // uniform on ±spread has the weights' variance
      var values = [Float](repeating: 0, count: v.count)
      for i in values.indices { values[i] = Float.random(in: -spread ... spread, using: &rng) }
      random.initializers[name] = GraphTensor(shape: tensor.shape, floats: values)
    }
    var options = CamOptions()
    options.classChoice = .index(0)
    let maps = try [graph, random].map { g in
      try CamJob(model: classifier, graph: g, options: options).compute(input: input).maps[0].map.values
    }
    let r = correlation(maps[0], maps[1])
    print("cam sanity on the PP-OCR classifier, \(which) random: correlation \(r) (maps of \(maps[0].count) positions, peaks \(maps[0].max()!) and \(maps[1].max()!), \(Set(maps[1]).count) distinct values)")
    #expect(Set(maps[0]).count > 1)
    if which == "top layer" { #expect(Set(maps[1]).count > 1) }
    #expect(r < 0.9)
  }

  private func fixturePhoto() -> String { packageRoot.appendingPathComponent("docs/text-photo.jpg").path }
}
