import ConvolveCNN
import ConvolveCore
import Foundation
import Testing
@testable import ConvolveONNX
import ConvolveFormats

private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()
/// Real models live in ../shared/models beside the project, never in it.
private let modelPath = packageRoot.deletingLastPathComponent()
  .appendingPathComponent("shared/models/efficientnet-lite0/efficientnet-lite0.onnx").path
private let referencePath = packageRoot.appendingPathComponent("Tests/Fixtures/models/efficientnet_lite0.output0.npy").path
private let modelPresent = FileManager.default.fileExists(atPath: modelPath)

/// The input generate_model_references.py feeds onnxruntime, rebuilt with the same integer arithmetic:
/// x[0, c, h, w] = ((3h² + hw + 5w + 11c) mod 97) / 48.5 − 1.
private func patternInput() -> GraphTensor {
  var values: [Float] = []
  values.reserveCapacity(3 * 224 * 224)
  for c in 0 ..< 3 {
    for h in 0 ..< 224 {
      for w in 0 ..< 224 { values.append(Float(Double((3 * h * h + h * w + 5 * w + 11 * c) % 97) / 48.5 - 1)) }
    }
  }
  return GraphTensor(shape: [1, 3, 224, 224], floats: values)
}

/// EfficientNet-Lite0 pads as TensorFlow's "same" does, exported as ConstantOfShape/Concat/Reshape/Slice/
/// Transpose/Cast arithmetic feeding Pad: all of it folds when the plan is built.
@Suite struct EfficientNetLiteTests {
  @Test(.enabled(if: modelPresent, "EfficientNet-Lite0 is not in ../shared/models (see its README)"))
  func loadsFoldsItsPaddingArithmeticAndMatchesOnnxRuntime() throws {
    let graph = try ONNXModel.load(path: modelPath)
    #expect(graph.unsupportedOperators().isEmpty)
    #expect(graph.nodes.filter { $0.opType == "ConstantOfShape" }.count == 17)
    let plan = try ExecutionPlan(graph: graph, inputShapes: ["image": [1, 3, 224, 224]])
    // Of each padding's nodes only the Pad runs.
    let padding = plan.steps.flatMap(\.fusedNodes).filter { $0.name.contains("static_padding") }
    #expect(padding.count == 17 && padding.allSatisfy { $0.opType == "Pad" }, "\(padding.map(\.label))")
    #expect(plan.foldedNodes.filter { $0.opType == "ConstantOfShape" }.count == 17)
    #expect(plan.type(of: "logits")?.shape == [1, 1000])

    let outputs = try Executor(plan: plan).run(["image": patternInput()])
    let logits = try #require(outputs["logits"])
    let expected = try NPYArray.read(path: referencePath)
    #expect(logits.shape == expected.shape)
    var error: Float = 0, scale: Float = 0
    for (a, b) in zip(logits.floats, expected.data) {
      error = max(error, abs(a - b))
      scale = max(scale, abs(b))
    }
    #expect(scale > 1)
    #expect(error <= 1e-3 * scale, "max error \(error), largest logit \(scale)")
  }
}
