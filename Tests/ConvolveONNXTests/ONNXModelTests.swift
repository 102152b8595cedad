import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import Foundation
import Testing
@testable import ConvolveONNX
import ConvolveFormats

/// The package root, from this file's path.
private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()
/// Real models live in ../shared/models beside the project, never in it.
private let modelsFolder = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/models").path
private let detectorPath = modelsFolder + "/ppocr/ch_PP-OCRv4_det_infer.onnx"
private let classifierPath = modelsFolder + "/ppocr/ch_ppocr_mobile_v2.0_cls_infer.onnx"
private let referencesFolder = packageRoot.appendingPathComponent("Tests/Fixtures/models").path
private let modelsPresent = FileManager.default.fileExists(atPath: detectorPath)
  && FileManager.default.fileExists(atPath: classifierPath)

/// Runs a model file on a `.npy` input and returns the first output and the reference, both as NPY arrays.
private func runReference(_ model: String, _ name: String) throws -> (GraphTensor, NPYArray) {
  let graph = try ONNXModel.load(path: model)
  let input = try NPYArray.read(path: "\(referencesFolder)/\(name).input.npy")
  let expected = try NPYArray.read(path: "\(referencesFolder)/\(name).output0.npy")
  let name = try #require(graph.inputs.first?.name)
  let outputs = try graph.run([name: GraphTensor(shape: input.shape, floats: input.data)])
  let output = try #require(outputs[graph.outputs[0].name])
  return (output, expected)
}

private func maxError(_ a: [Float], _ b: [Float]) -> (error: Float, scale: Float) {
  precondition(a.count == b.count)
  var error: Float = 0, scale: Float = 0
  for (x, y) in zip(a, b) {
    error = max(error, abs(x - y))
    scale = max(scale, abs(y))
  }
  return (error, scale)
}

@Suite struct ONNXRealModelTests {
  @Test(.enabled(if: modelsPresent, "the PP-OCR models are not in ../shared/models (see its README)"))
  func textDetectorMatchesOnnxRuntime() throws {
    let (output, expected) = try runReference(detectorPath, "ppocr_det")
    #expect(output.shape == expected.shape)
    let (error, scale) = maxError(output.floats, expected.data)
    #expect(scale > 0.5, "the detector should fire on the text-like input")
    #expect(error <= 1e-3 * scale, "max error \(error), largest reference value \(scale)")
  }

  @Test(.enabled(if: modelsPresent, "the PP-OCR models are not in ../shared/models (see its README)"))
  func directionClassifierMatchesOnnxRuntime() throws {
    let (output, expected) = try runReference(classifierPath, "ppocr_cls")
    #expect(output.shape == [1, 2])
    let got = output.floats
    #expect(got.firstIndex(of: got.max()!) == expected.data.firstIndex(of: expected.data.max()!))
    let (error, scale) = maxError(got, expected.data)
    #expect(error <= 1e-4 * scale, "max error \(error), largest reference value \(scale)")
  }

  @Test(.enabled(if: modelsPresent, "the PP-OCR models are not in ../shared/models (see its README)"))
  func detectorPlanFoldsBatchNormAndInfersShapes() throws {
    let graph = try ONNXModel.load(path: detectorPath)
    #expect(graph.unsupportedOperators().isEmpty)
    #expect(graph.opsetVersion == 12)
    let input = try #require(graph.inputs.first)
    let plan = try ExecutionPlan(graph: graph, inputShapes: [input.name: [1, 3, 640, 640]])
    // Two of its three BatchNormalizations follow a Conv and fold; the third follows ConvTranspose → Add (a
    // per-channel bias) and folds once that Add has folded into the ConvTranspose.
    #expect(plan.foldedBatchNormalizations == 3)
    #expect(plan.steps.filter { $0.node.opType == "BatchNormalization" }.count == 0)
    // Without folding into convolutions, the third runs as a node.
    let unfolded = try ExecutionPlan(graph: graph, inputShapes: [input.name: [1, 3, 640, 640]], options: .none)
    #expect(unfolded.foldedBatchNormalizations == 2)
    #expect(unfolded.steps.filter { $0.node.opType == "BatchNormalization" }.count == 1)
    #expect(plan.type(of: graph.outputs[0].name)?.shape == [1, 1, 640, 640])
    // The classifier's Shape → ... → Reshape arithmetic folds to constants.
    let cls = try ONNXModel.load(path: classifierPath)
    let clsPlan = try ExecutionPlan(graph: cls, inputShapes: [cls.inputs[0].name: [1, 3, 48, 192]])
    #expect(!clsPlan.steps.contains { $0.node.opType == "Shape" })
    #expect(clsPlan.foldedNodes.contains { $0.opType == "Shape" })
    #expect(clsPlan.type(of: cls.outputs[0].name)?.shape == [1, 2])
  }

  @Test(.enabled(if: modelsPresent, "the PP-OCR models are not in ../shared/models (see its README)"))
  func wrongChannelCountAndTruncatedFileAreOneLineErrors() throws {
    let graph = try ONNXModel.load(path: classifierPath)
    let name = graph.inputs[0].name
    let error = try #require(throws: ConvolveError.self) {
      _ = try ExecutionPlan(graph: graph, inputShapes: [name: [1, 4, 48, 192]])
    }
    #expect("\(error)".contains(classifierPath) && "\(error)".contains("4 channels; the model expects 3"))
    #expect(!"\(error)".contains("\n"))
    let bytes = try #require(FileManager.default.contents(atPath: classifierPath))
    for cut in [bytes.count / 2, bytes.count - 7, 100] {
      let message = "\(try #require(throws: ConvolveError.self) { _ = try ONNXModel.load(data: bytes.prefix(cut), path: "cut.onnx") })"
      #expect(message.hasPrefix("cut.onnx: "), "\(message)")
    }
  }
}
