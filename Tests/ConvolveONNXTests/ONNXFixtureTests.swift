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
  typealias Case = ONNXFixtureCase
  typealias Value = ONNXFixtureCase.Value

  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/onnx")

  static let cases = Case.manifest(folder)

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

  /// The shape arithmetic cases fold to constants when the plan is built (only the data's own nodes run); the
  /// run-time cases run the same operators on computed values.
  @Test func shapeArithmeticFoldsAndRunTimeOperatorsRun() throws {
    func plan(_ name: String) throws -> (run: Set<String>, folded: Set<String>) {
      let c = try #require(Self.cases.first { $0.name == name }, "no case \(name)")
      let graph = try ONNXModel.load(path: Self.folder.appendingPathComponent(c.model).path)
      let plan = try ExecutionPlan(
        graph: graph, inputShapes: Dictionary(uniqueKeysWithValues: c.inputs.map { ($0.name, $0.shape) }), options: .none)
      return (Set(plan.steps.map(\.node.opType)), Set(plan.foldedNodes.map(\.opType)))
    }
    let folded: [(String, Set<String>, Set<String>)] = [
      ("tf_same_pad_from_shape", ["Pad", "Conv"], ["Shape", "Mod", "Equal", "Where", "ConstantOfShape", "Max", "Slice"]),
      ("vit_cls_token_expand", ["Concat"], ["ConstantOfShape", "Equal", "Where", "Expand"]),
      ("range_sin_cos_positions", ["Add"], ["Range", "Sin", "Cos", "ReduceProd"]),
      ("float_range_tile_cumsum_folded", ["Add"], ["Range", "Tile", "CumSum", "ScatterND", "ArgMax"]),
      ("if_constant_condition_then", ["Mul", "Identity"], ["Shape", "Equal", "If"]),
      ("if_constant_condition_else", ["Where", "Identity"], ["If", "Range", "Greater", "Cast"]),
    ]
    for (name, run, ops) in folded {
      let (steps, foldedOps) = try plan(name)
      #expect(steps == run, "\(name) runs \(steps.sorted())")
      #expect(ops.isSubset(of: foldedOps), "\(name) folds \(foldedOps.sorted())")
    }
    let runTime: [(String, Set<String>)] = [
      ("compare_logic_runtime", ["Greater", "Less", "Equal", "Not", "And", "Or", "Xor", "Where"]),
      ("expand_tile_mod_runtime", ["Expand", "Tile", "Mod"]),
      ("cumsum_argmax_scatter_runtime", ["CumSum", "ArgMax", "ArgMin", "ScatterND", "ReduceProd"]),
    ]
    for (name, ops) in runTime {
      let steps = try plan(name).run
      #expect(ops.isSubset(of: steps), "\(name) runs \(steps.sorted())")
    }
  }

  /// What cannot be known when the plan is built is refused naming the node: an If on a computed condition whose
  /// branches give different shapes.
  @Test func computedConditionsAndShapesAreRefusedNamingTheNode() throws {
    let branch = Graph(
      nodes: [Node(name: "neg", opType: "Neg", inputs: ["x"], outputs: ["b"])], inputs: [],
      outputs: [ValueInfo(name: "b", shape: nil)])
    let sum = Graph(
      nodes: [Node(name: "sum", opType: "ReduceSum", inputs: ["x"], outputs: ["s"], attributes: ["keepdims": .int(0)])], inputs: [],
      outputs: [ValueInfo(name: "s", shape: nil)])
    let nodes = [
      Node(name: "mean", opType: "ReduceMean", inputs: ["x"], outputs: ["m"], attributes: ["keepdims": .int(0)]),
      Node(name: "positive", opType: "Greater", inputs: ["m", "zero"], outputs: ["c"]),
      Node(name: "choose", opType: "If", inputs: ["c"], outputs: ["y"],
           attributes: ["then_branch": .graph(branch), "else_branch": .graph(sum)]),
    ]
    let graph = Graph(
      source: "m.onnx", nodes: nodes, initializers: ["zero": GraphTensor(scalar: 0)],
      inputs: [ValueInfo(name: "x", shape: [.fixed(1), .fixed(2)])], outputs: [ValueInfo(name: "y", shape: nil)])
    #expect(graph.unsupportedOperators().isEmpty)
    let error = try #require(throws: ConvolveError.self) { _ = try ExecutionPlan(graph: graph) }
    #expect("\(error)".hasPrefix("m.onnx: node 'choose' (If): the condition is computed at run time"), "\(error)")

    // A shape computed at run time plans as a dynamic step: DetectorFixtureTests.runTimeSizesAreCheckedBeforeAllocating.
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
