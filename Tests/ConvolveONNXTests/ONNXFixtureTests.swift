import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import Foundation
import Testing
@testable import ConvolveONNX
import ConvolveFormats

/// Cases written by Tests/Fixtures/generate_onnx_fixtures.py: small random-weight ONNX graphs, one per
/// operator variant, with onnxruntime's outputs. Each must match to 1e-4 of its largest reference value.
@Suite struct ONNXFixtureTests {
  struct Value: Decodable {
    var name: String
    var shape: [Int]
    var file: String
  }

  struct Case: Decodable, CustomTestStringConvertible {
    var name: String
    var ops: [String]
    var opset: Int
    var model: String
    var inputs: [Value]
    var outputs: [Value]
    var testDescription: String { name }
  }

  struct Manifest: Decodable {
    var cases: [Case]
  }

  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/onnx")

  static let cases: [Case] = {
    guard let data = try? Data(contentsOf: folder.appendingPathComponent("manifest.json")) else { return [] }
    return (try? JSONDecoder().decode(Manifest.self, from: data))?.cases ?? []
  }()

  @Test func manifestIsPresentAndCoversTheOperators() {
    #expect(Self.cases.count >= 150)
    let ops = Set(Self.cases.flatMap(\.ops))
    for op in [
      "Conv", "ConvTranspose", "BatchNormalization", "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Elu",
      "HardSigmoid", "HardSwish", "Clip", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "MaxPool", "AveragePool",
      "GlobalAveragePool", "GlobalMaxPool", "Resize", "Concat", "Split", "Slice", "Flatten", "Reshape", "Transpose",
      "Squeeze", "Unsqueeze", "Gather", "Gemm", "MatMul", "Softmax", "ReduceMean", "Pad", "Cast",
    ] {
      #expect(ops.contains(op), "no fixture uses \(op)")
    }
  }

  @Test(arguments: cases)
  func matchesOnnxRuntime(_ c: Case) throws {
    let path = Self.folder.appendingPathComponent(c.model).path
    let graph = try ONNXModel.load(path: path)
    #expect(graph.unsupportedOperators().isEmpty)
    var inputs: [String: GraphTensor] = [:]
    for input in c.inputs {
      let array = try NPYArray.read(path: Self.folder.appendingPathComponent(input.file).path)
      #expect(array.shape == input.shape)
      inputs[input.name] = GraphTensor(shape: array.shape, floats: array.data)
    }
    let outputs = try graph.run(inputs)
    for output in c.outputs {
      let expected = try NPYArray.read(path: Self.folder.appendingPathComponent(output.file).path)
      let got = try #require(outputs[output.name], "no output \(output.name)")
      #expect(got.shape == expected.shape, "\(c.name): \(output.name) shape")
      guard got.shape == expected.shape else { continue }
      let values = got.floats
      var error: Float = 0, scale: Float = 0
      for (a, b) in zip(values, expected.data) {
        error = max(error, abs(a - b).isNaN ? .infinity : abs(a - b))
        scale = max(scale, abs(b))
      }
      #expect(error <= 1e-4 * max(scale, 1e-6), "\(c.name): \(output.name) max error \(error), largest value \(scale)")
    }
  }
}
