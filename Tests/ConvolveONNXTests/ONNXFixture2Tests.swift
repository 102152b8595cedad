import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import Foundation
import Testing
@testable import ConvolveONNX

/// Cases written by Tests/Fixtures/make_operator_fixtures2.py (transformer and normalisation operators, data
/// movement, the operator sweep's regressions) with onnxruntime's outputs. Each output must match to 1e-5 of
/// its largest reference value (NaN where onnxruntime has NaN); integer outputs exactly.
@Suite struct ONNXFixture2Tests {
  struct Value: Decodable {
    var name: String
    var shape: [Int]
    var dtype: String
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

  struct Manifest: Decodable { var cases: [Case] }

  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/onnx2")

  static let cases: [Case] = {
    guard let data = try? Data(contentsOf: folder.appendingPathComponent("manifest.json")) else { return [] }
    return (try? JSONDecoder().decode(Manifest.self, from: data))?.cases ?? []
  }()

  static func tensor(_ value: Value) throws -> GraphTensor {
    let array = try NPYArray.read(path: folder.appendingPathComponent(value.file).path)
    if value.dtype == "int64" { return GraphTensor(shape: array.shape, int64s: array.data.map { Int64($0) }) }
    return GraphTensor(shape: array.shape, floats: array.data)
  }

  @Test func manifestCoversTheOperators() {
    let ops = Set(Self.cases.flatMap(\.ops))
    for op in [
      "LayerNormalization", "InstanceNormalization", "GroupNormalization", "Gelu", "Erf", "Softplus", "Mish", "LogSoftmax",
      "Sum", "Mean", "Max", "Min", "Einsum", "ReduceL2", "ReduceL1", "ReduceLogSumExp", "ReduceSumSquare", "DepthToSpace",
      "SpaceToDepth", "GatherElements", "GatherND", "TopK", "Expand", "Where", "Tile",
    ] {
      #expect(ops.contains(op), "no fixture uses \(op)")
    }
  }

  @Test(arguments: cases)
  func matchesOnnxRuntime(_ c: Case) throws {
    let graph = try ONNXModel.load(path: Self.folder.appendingPathComponent(c.model).path)
    #expect(graph.unsupportedOperators().isEmpty)
    var inputs: [String: GraphTensor] = [:]
    for input in c.inputs { inputs[input.name] = try Self.tensor(input) }
    let outputs = try graph.run(inputs)
    for output in c.outputs {
      let expected = try Self.tensor(output)
      let got = try #require(outputs[output.name], "no output \(output.name)")
      #expect(got.shape == expected.shape, "\(c.name): \(output.name) shape \(got.shape)")
      #expect(got.elementType == expected.elementType, "\(c.name): \(output.name) is \(got.elementType)")
      guard got.shape == expected.shape else { continue }
      if expected.elementType == .int64 {
        #expect(got.int64s == expected.int64s, "\(c.name): \(output.name)")
        continue
      }
      var error: Float = 0, scale: Float = 0
      for (a, b) in zip(got.floats, expected.floats) {
        if b.isNaN {
          if !a.isNaN { error = .infinity }
          continue
        }
        error = max(error, abs(a - b).isNaN ? .infinity : abs(a - b))
        scale = max(scale, abs(b))
      }
      #expect(error <= 1e-5 * max(scale, 1), "\(c.name): \(output.name) max error \(error), largest value \(scale)")
      if ProcessInfo.processInfo.environment["CONVOLVE_FIXTURE_REPORT"] != nil {
        print("fixture \(c.name) \(output.name): max error \(error), largest \(scale)")
      }
    }
  }
}
