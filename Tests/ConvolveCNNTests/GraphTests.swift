import ConvolveCore
import Foundation
import Testing
@testable import ConvolveCNN

@Suite struct GraphTests {
  func node(_ name: String, _ op: String, _ inputs: [String], _ outputs: [String], _ attributes: [String: Attribute] = [:]) -> Node {
    Node(name: name, opType: op, inputs: inputs, outputs: outputs, attributes: attributes)
  }

  let x = ValueInfo(name: "x", shape: [.fixed(1), .fixed(2), .symbolic("H"), .symbolic("W")])

  @Test func topologicalOrderSortsNodesAndKeepsFileOrderOtherwise() throws {
    let graph = Graph(
      nodes: [
        node("c", "Relu", ["b"], ["y"]), node("a", "Relu", ["x"], ["a"]), node("b", "Sigmoid", ["a"], ["b"]),
        node("d", "Tanh", ["x"], ["d"]),
      ], inputs: [x], outputs: [ValueInfo(name: "y", shape: nil), ValueInfo(name: "d", shape: nil)])
    #expect(try graph.topologicalOrder() == [1, 2, 0, 3])
  }

  @Test func aCycleIsAnErrorNamingANodeOnIt() {
    let graph = Graph(
      source: "loop.onnx",
      nodes: [node("first", "Relu", ["x"], ["a"]), node("p", "Add", ["a", "r"], ["q"]), node("r_node", "Relu", ["q"], ["r"])],
      inputs: [x], outputs: [ValueInfo(name: "q", shape: nil)])
    let text = errorText { try graph.topologicalOrder() } ?? ""
    #expect(text.hasPrefix("loop.onnx: node "), "\(text)")
    #expect(text.contains("cycle") && (text.contains("'p' (Add)") || text.contains("'r_node' (Relu)")), "\(text)")
    #expect(!text.contains("\n"))
  }

  @Test func unknownInputsAndDuplicateOutputsAreErrors() {
    let missing = Graph(nodes: [node("n", "Relu", ["nowhere"], ["y"])], inputs: [x], outputs: [ValueInfo(name: "y", shape: nil)])
    #expect(errorText { try missing.topologicalOrder() }?.contains("input 'nowhere' is neither") == true)
    let twice = Graph(
      nodes: [node("a", "Relu", ["x"], ["y"]), node("b", "Relu", ["x"], ["y"])], inputs: [x],
      outputs: [ValueInfo(name: "y", shape: nil)])
    #expect(errorText { try twice.topologicalOrder() }?.contains("produced more than once") == true)
  }

  @Test func everyUnsupportedOperatorIsListedBeforeAnythingRuns() {
    let graph = Graph(
      source: "m.onnx",
      nodes: [
        node("ok", "Relu", ["x"], ["a"]), node("lstm_1", "LSTM", ["a"], ["b"]), node("roi", "RoiAlign", ["b"], ["c"]),
        Node(name: "custom", opType: "Relu", domain: "com.example", inputs: ["c"], outputs: ["d"]),
        node("lstm_2", "LSTM", ["d"], ["y"]),
      ], inputs: [x], outputs: [ValueInfo(name: "y", shape: nil)])
    #expect(graph.unsupportedOperators().map(\.description) == [
      "LSTM 'lstm_1'", "RoiAlign 'roi'", "com.example.Relu 'custom'", "LSTM 'lstm_2'",
    ])
    let text = errorText { try ExecutionPlan(graph: graph, inputShapes: ["x": [1, 2, 4, 4]]) } ?? ""
    #expect(
      text == "m.onnx: 4 nodes use operators convolve does not run:\n  LSTM: 2 nodes ('lstm_1', 'lstm_2')\n"
        + "  RoiAlign: 1 node ('roi')\n  com.example.Relu: 1 node ('custom')", "\(text)")
    // Seventeen nodes of one operator: one line with the count and the first three names.
    let many = Graph(
      source: "m.onnx", nodes: (0 ..< 17).map { node("c\($0)", "LSTM", [$0 == 0 ? "x" : "v\($0 - 1)"], ["v\($0)"]) },
      inputs: [x], outputs: [ValueInfo(name: "v16", shape: nil)])
    #expect(many.unsupportedSummary() == ["LSTM: 17 nodes ('c0', 'c1', 'c2', ...)"])
  }

  @Test func shapesAreInferredForTheGivenInputSizeBeforeRunning() throws {
    var rng = GraphRandom(seed: 1)
    let graph = Graph(
      nodes: [
        node("conv", "Conv", ["x", "w"], ["c"], ["strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])]),
        node("pool", "MaxPool", ["c"], ["p"], ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])]),
        node("gap", "GlobalAveragePool", ["p"], ["g"]), node("flat", "Flatten", ["g"], ["y"]),
      ], initializers: ["w": rng.tensor([5, 2, 3, 3])], inputs: [x], outputs: [ValueInfo(name: "y", shape: nil)])
    let plan = try ExecutionPlan(graph: graph, inputShapes: ["x": [1, 2, 17, 30]])
    #expect(plan.type(of: "c")?.shape == [1, 5, 9, 15])
    #expect(plan.type(of: "p")?.shape == [1, 5, 4, 7])
    #expect(plan.type(of: "y")?.shape == [1, 5])
    #expect(plan.steps.map(\.node.name) == ["conv", "pool", "gap", "flat"])
    #expect(plan.steps[0].multiplyAdds == 5 * 9 * 15 * 2 * 9)
    // A size the declared shape forbids, and a missing size, are errors before anything runs.
    #expect(errorText { try ExecutionPlan(graph: graph, inputShapes: ["x": [1, 3, 17, 30]]) }?.contains("3 channels; the model expects 2") == true)
    #expect(errorText { try ExecutionPlan(graph: graph) }?.contains("give its size") == true)
    #expect(errorText { try ExecutionPlan(graph: graph, inputShapes: ["x": [1, 2, 1, 1]]) }?.contains("node 'conv' (Conv)") == true
      || errorText { try ExecutionPlan(graph: graph, inputShapes: ["x": [1, 2, 1, 1]]) }?.contains("node 'pool' (MaxPool)") == true)
  }

  @Test func aWeightThatDoesNotFitItsNodeIsAnErrorNamingIt() {
    let graph = Graph(
      source: "bad.onnx", nodes: [node("conv7", "Conv", ["x", "w"], ["y"])],
      initializers: ["w": GraphTensor(shape: [4, 3, 3, 3], repeating: 0)], inputs: [x],
      outputs: [ValueInfo(name: "y", shape: nil)])
    let text = errorText { try ExecutionPlan(graph: graph, inputShapes: ["x": [1, 2, 8, 8]]) } ?? ""
    #expect(text.hasPrefix("bad.onnx: node 'conv7' (Conv): weight 4x3x3x3 expects 3 input channels"), "\(text)")
  }

  @Test func sizesBeyondTheLimitOrOverflowingAreErrorsNotAllocations() {
    let graph = Graph(
      nodes: [node("up", "Resize", ["x", "", "s"], ["y"])],
      initializers: ["s": GraphTensor(shape: [4], floats: [1, 1, 1000, 1000])], inputs: [x],
      outputs: [ValueInfo(name: "y", shape: nil)])
    let text = errorText { try ExecutionPlan(graph: graph, inputShapes: ["x": [1, 2, 100, 100]], limits: GraphLimits(maxElements: 1 << 24)) } ?? ""
    #expect(text == "node 'up' (Resize): output 'y' shape [1, 2, 100000, 100000] has 20000000000 elements, more than the limit of 16777216", "\(text)")
    #expect(errorText { try elementCount([1 << 40, 1 << 40], what: "t") }?.contains("overflows") == true)
    let reshape = Graph(
      nodes: [node("r", "Reshape", ["x", "s"], ["y"])],
      initializers: ["s": GraphTensor(int64s: [Int64.max, Int64.max, 0])], inputs: [x], outputs: [ValueInfo(name: "y", shape: nil)])
    #expect(errorText { try ExecutionPlan(graph: reshape, inputShapes: ["x": [1, 2, 3, 3]]) } != nil)
  }

  @Test func shapeArithmeticFoldsToConstants() throws {
    // torch's x.view(x.size(0), -1): Shape → Gather(0) → Unsqueeze → Concat([-1]) → Reshape.
    let graph = Graph(
      nodes: [
        node("shape", "Shape", ["x"], ["s"]), node("gather", "Gather", ["s", "zero"], ["n"], ["axis": .int(0)]),
        node("unsq", "Unsqueeze", ["n", "axes"], ["n1"]), node("cat", "Concat", ["n1", "minus1"], ["target"], ["axis": .int(0)]),
        node("reshape", "Reshape", ["x", "target"], ["y"]),
      ],
      initializers: [
        "zero": GraphTensor(shape: [], int64s: [0]), "axes": GraphTensor(int64s: [0]), "minus1": GraphTensor(int64s: [-1]),
      ], inputs: [x], outputs: [ValueInfo(name: "y", shape: nil)], opsetVersion: 13)
    let plan = try ExecutionPlan(graph: graph, inputShapes: ["x": [1, 2, 3, 4]])
    #expect(plan.steps.map(\.node.opType) == ["Reshape"])
    #expect(plan.foldedNodes.map(\.opType) == ["Shape", "Gather", "Unsqueeze", "Concat"])
    #expect(plan.constants["target"]?.int64s == [1, -1])
    #expect(plan.type(of: "y")?.shape == [1, 24])
    var rng = GraphRandom(seed: 2)
    let input = rng.tensor([1, 2, 3, 4])
    let y = try Executor(plan: plan).run(["x": input])["y"]!
    #expect(y.shape == [1, 24] && y.floats == input.floats)
  }

  @Test func batchNormalizationFoldsIntoTheConvBefore() throws {
    var rng = GraphRandom(seed: 3)
    let params: [String: GraphTensor] = [
      "w": rng.tensor([4, 2, 3, 3]), "b": rng.tensor([4]), "scale": rng.tensor([4]), "beta": rng.tensor([4]),
      "mean": rng.tensor([4]), "var": rng.tensor([4], 0.1 ... 2),
    ]
    let graph = Graph(
      nodes: [
        node("conv", "Conv", ["x", "w", "b"], ["c"], ["pads": .ints([1, 1, 1, 1])]),
        node("bn", "BatchNormalization", ["c", "scale", "beta", "mean", "var"], ["y"], ["epsilon": .float(1e-3)]),
      ], initializers: params, inputs: [x], outputs: [ValueInfo(name: "y", shape: nil)])
    var folded = graph
    #expect(folded.foldBatchNormalization() == 1)
    #expect(folded.nodes.map(\.opType) == ["Conv"] && folded.nodes[0].outputs == ["y"])
    #expect(folded.initializers["scale"] == nil)
    // Folded result against Conv then BatchNormalization run separately.
    let input = rng.tensor([1, 2, 6, 7])
    let y = try graph.run(["x": input])["y"]!
    let c = try run1("Conv", [.value(input), .constant(params["w"]!), .constant(params["b"]!)], ["pads": .ints([1, 1, 1, 1])])
    let reference = try run1(
      "BatchNormalization",
      [.value(c), .constant(params["scale"]!), .constant(params["beta"]!), .constant(params["mean"]!), .constant(params["var"]!)],
      ["epsilon": .float(1e-3)])
    #expect(largestDifference(y.floats, reference.floats) < 1e-5)
    // A Conv output read by something else too is left alone.
    var shared = graph
    shared.nodes.append(node("relu", "Relu", ["c"], ["z"]))
    #expect(shared.foldBatchNormalization() == 0)
  }

  @Test func intermediatesAreReleasedAfterTheirLastReaderAndTheObserverSeesEveryNode() throws {
    var rng = GraphRandom(seed: 4)
    let graph = Graph(
      nodes: [
        node("a", "Relu", ["x"], ["a"]), node("b", "Sigmoid", ["a"], ["b"]), node("c", "Add", ["a", "b"], ["c"]),
        node("d", "Tanh", ["c"], ["y"]),
      ], inputs: [x], outputs: [ValueInfo(name: "y", shape: nil)])
    let plan = try ExecutionPlan(graph: graph, inputShapes: ["x": [1, 2, 3, 3]])
    // 'a' is read by b and c: handed over only at c; 'c' at d.
    #expect(plan.steps[1].lastUse == [false])
    #expect(plan.steps[2].lastUse == [true, true])
    #expect(plan.steps[3].lastUse == [true])
    var seen: [(String, [Int])] = []
    let input = rng.tensor([1, 2, 3, 3])
    let before = input.floats.map { $0 }
    let y = try Executor(plan: plan).run(["x": input]) { event in
      seen.append((event.node.name, event.outputs[0].tensor.shape))
      #expect(event.seconds >= 0)
    }["y"]!
    #expect(seen.map(\.0) == ["a", "b", "c", "d"])
    let expected = input.floats.map { v -> Float in
      let r = max(0, v)
      return tanh(r + 1 / (1 + exp(-r)))
    }
    #expect(largestDifference(y.floats, expected) < 1e-6)
    // The caller's input is never modified by in-place operators.
    #expect(input.floats == before)
  }

  @Test func runChecksInputShapesAgainstThePlan() throws {
    let graph = Graph(nodes: [node("a", "Relu", ["x"], ["y"])], inputs: [x], outputs: [ValueInfo(name: "y", shape: nil)])
    let plan = try ExecutionPlan(graph: graph, inputShapes: ["x": [1, 2, 3, 3]])
    let wrong = GraphTensor(shape: [1, 2, 4, 3], repeating: 0)
    #expect(errorText { try Executor(plan: plan).run(["x": wrong]) }?.contains("the plan was made for 1x2x3x3") == true)
    #expect(errorText { try Executor(plan: plan).run([:]) }?.contains("input 'x' is not given") == true)
  }

  @Test func constantNodesBecomeInitializers() throws {
    var graph = Graph(
      nodes: [
        node("k", "Constant", [], ["two"], ["value": .tensor(GraphTensor(scalar: 2))]),
        node("m", "Mul", ["x", "two"], ["y"]),
      ], inputs: [x], outputs: [ValueInfo(name: "y", shape: nil)])
    try graph.inlineConstantNodes()
    #expect(graph.nodes.map(\.opType) == ["Mul"] && graph.initializers["two"]?.floats == [2])
    let y = try graph.run(["x": GraphTensor(shape: [1, 2, 1, 1], floats: [3, -1])])["y"]!
    #expect(y.floats == [6, -2])
  }
}
