import ConvolveCore
import Foundation
import Testing
@testable import ConvolveCNN

/// Load-time folding into Convs, the hard swish pattern and fused element-wise chains: each must give the
/// results of the graph run node by node (`PlanOptions.none`).
@Suite struct FusionTests {
  let x = ValueInfo(name: "x", shape: [.fixed(1), .fixed(2), .fixed(5), .fixed(6)])
  let y = ValueInfo(name: "y", shape: nil)

  func node(_ name: String, _ op: String, _ inputs: [String], _ outputs: [String], _ attributes: [String: Attribute] = [:]) -> Node {
    Node(name: name, opType: op, inputs: inputs, outputs: outputs, attributes: attributes)
  }

  func compare(_ graph: Graph, options: PlanOptions = PlanOptions(), tolerance: Float = 1e-5) throws -> ExecutionPlan {
    var rng = GraphRandom(seed: 50)
    let input = rng.tensor([1, 2, 5, 6], -4 ... 4)
    let plan = try ExecutionPlan(graph: graph, inputShapes: ["x": [1, 2, 5, 6]], options: options)
    let reference = try ExecutionPlan(graph: graph, inputShapes: ["x": [1, 2, 5, 6]], options: .none)
    let got = try Executor(plan: plan).run(["x": input])["y"]!
    let expected = try Executor(plan: reference).run(["x": input])["y"]!
    #expect(got.shape == expected.shape)
    #expect(largestDifference(got.floats, expected.floats) <= tolerance, "\(largestDifference(got.floats, expected.floats))")
    return plan
  }

  func convGraph(_ tail: [Node], _ constants: [String: GraphTensor]) -> Graph {
    var rng = GraphRandom(seed: 51)
    var initializers = constants
    initializers["w"] = rng.tensor([3, 2, 3, 3])
    initializers["b"] = rng.tensor([3])
    return Graph(
      nodes: [node("conv", "Conv", ["x", "w", "b"], ["c"], ["pads": .ints([1, 1, 1, 1])])] + tail,
      initializers: initializers, inputs: [x], outputs: [y])
  }

  @Test func mulAddSubDivByConstantsFoldIntoTheConv() throws {
    let graph = convGraph(
      [
        node("scale", "Mul", ["s", "c"], ["m"]), node("shift", "Add", ["m", "t"], ["a"]),
        node("minus", "Sub", ["a", "u"], ["d"]), node("halve", "Div", ["d", "two"], ["y"]),
      ],
      [
        "s": GraphTensor(shape: [1], floats: [1.5]), "t": GraphTensor(shape: [1, 3, 1, 1], floats: [0.1, -0.2, 0.3]),
        "u": GraphTensor(shape: [3, 1, 1], floats: [1, 2, 3]), "two": GraphTensor(scalar: 2),
      ])
    let plan = try compare(graph)
    #expect(plan.foldedAffineNodes == 4)
    #expect(plan.steps.map(\.node.opType) == ["Conv"] && plan.steps[0].node.outputs == ["y"])
  }

  @Test func whatCannotFoldIsLeftAlone() throws {
    // c / conv, a constant that changes the shape, a Conv output read twice, and a kept value.
    let reversed = convGraph([node("r", "Div", ["two", "c"], ["y"])], ["two": GraphTensor(scalar: 2)])
    #expect(try compare(reversed).foldedAffineNodes == 0)
    let widening = convGraph([node("w", "Add", ["c", "row"], ["y"])], ["row": GraphTensor(shape: [1, 1, 1, 6], repeating: 1)])
    #expect(try compare(widening).foldedAffineNodes == 0)
    let shared = convGraph(
      [node("m", "Mul", ["c", "two"], ["m"]), node("a", "Add", ["m", "c"], ["y"])], ["two": GraphTensor(scalar: 2)])
    #expect(try compare(shared).foldedAffineNodes == 0)
    let kept = convGraph([node("m", "Mul", ["c", "two"], ["y"])], ["two": GraphTensor(scalar: 2)])
    #expect(try compare(kept, options: PlanOptions(keep: ["c"])).foldedAffineNodes == 0)
    #expect(try compare(kept).foldedAffineNodes == 1)
  }

  @Test func spelledOutHardSwishBecomesOneNode() throws {
    let graph = Graph(
      nodes: [
        node("relu", "Relu", ["x"], ["r"]), node("a", "Add", ["r", "three"], ["p"]),
        node("clip", "Clip", ["p", "zero", "six"], ["q"]), node("m", "Mul", ["r", "q"], ["s"]),
        node("d", "Div", ["s", "six"], ["y"]),
      ],
      initializers: ["three": GraphTensor(scalar: 3), "zero": GraphTensor(scalar: 0), "six": GraphTensor(scalar: 6)],
      inputs: [x], outputs: [y], opsetVersion: 13)
    let plan = try compare(graph, tolerance: 1e-6)
    #expect(plan.fusedHardSwishes == 1)
    #expect(plan.steps.count == 1 && plan.steps[0].fusedNodes.map(\.opType) == ["Relu", "HardSwish"])
    let kept = try compare(graph, options: PlanOptions(keep: ["p"]))
    #expect(kept.fusedHardSwishes == 0)
  }

  @Test func elementwiseChainsRunAsOnePassWithIdenticalResults() throws {
    let graph = Graph(
      nodes: [
        node("relu", "Relu", ["x"], ["a"]), node("add", "Add", ["a", "k"], ["b"]), node("sig", "HardSigmoid", ["b"], ["c"]),
        node("rsub", "Sub", ["one", "c"], ["d"]), node("clip", "Clip", ["d", "lo"], ["e"]), node("sqrt", "Sqrt", ["e"], ["f"]),
        // 'f' is read twice: the chain stops there.
        node("mul", "Mul", ["f", "f"], ["g"]), node("tanh", "Tanh", ["g"], ["h"]), node("rdiv", "Div", ["k", "h"], ["y"]),
      ],
      initializers: ["k": GraphTensor(scalar: 0.75), "one": GraphTensor(shape: [1, 1], floats: [1]), "lo": GraphTensor(scalar: 0.1)],
      inputs: [x], outputs: [y], opsetVersion: 13)
    let plan = try compare(graph, tolerance: 0)
    #expect(plan.steps.map { $0.fusedNodes.map(\.name) } == [["relu", "add", "sig", "rsub", "clip", "sqrt"], ["mul"], ["tanh", "rdiv"]])
    #expect(plan.steps[0].node.name == "sqrt" && plan.steps[0].node.inputs == ["x"])
    // A kept intermediate splits the chain and stays observable.
    let kept = try compare(graph, options: PlanOptions(keep: ["c"]), tolerance: 0)
    #expect(kept.steps.first?.fusedNodes.map(\.name) == ["relu", "add", "sig"])
    var seen: [String] = []
    var rng = GraphRandom(seed: 52)
    _ = try Executor(plan: kept).run(["x": rng.tensor([1, 2, 5, 6])]) { event in seen += event.outputs.map(\.name) }
    #expect(seen.contains("c") && !seen.contains("b"))
  }

  @Test func elementwiseChainsAfterAConvRunInItsOutputPass() throws {
    // Kernel stages (Relu, HardSwish, Mul, Add) and one the kernels lack (Sigmoid, applied right after in Swift).
    let graph = convGraph(
      [
        node("hs", "HardSwish", ["c"], ["h"]), node("m", "Mul", ["h", "k"], ["m"]), node("a", "Add", ["m", "k"], ["a"]),
        node("sig", "Sigmoid", ["a"], ["s"]), node("relu", "Relu", ["s"], ["y"]),
      ], ["k": GraphTensor(scalar: 0.75)])
    let plan = try compare(graph, tolerance: 0)
    #expect(plan.steps.count == 1)
    #expect(plan.steps[0].fusedNodes.map(\.name) == ["conv", "hs", "m", "a", "sig", "relu"])
    #expect(plan.steps[0].node.opType == "Conv" && plan.steps[0].node.outputs == ["y"])
    #expect(plan.steps[0].node.name == "conv+hs+m+a+sig+relu")
    // A Conv output read twice, or kept, is not fused.
    let shared = convGraph(
      [node("r", "Relu", ["c"], ["r"]), node("a", "Add", ["r", "c"], ["y"])], [:])
    #expect(try compare(shared, tolerance: 0).steps.count == 3)
    let single = convGraph([node("r", "Relu", ["c"], ["y"])], [:])
    #expect(try compare(single, options: PlanOptions(keep: ["c"]), tolerance: 0).steps.count == 2)
    #expect(try compare(single, tolerance: 0).steps.count == 1)
  }

  @Test func addAndBatchNormalizationAfterAConvTransposeFoldAndItsActivationFuses() throws {
    var rng = GraphRandom(seed: 53)
    let graph = Graph(
      nodes: [
        node("up", "ConvTranspose", ["x", "w"], ["u"], ["strides": .ints([2, 2]), "kernel_shape": .ints([2, 2])]),
        node("add", "Add", ["u", "shift"], ["a"]),
        node("bn", "BatchNormalization", ["a", "scale", "beta", "mean", "var"], ["n"]),
        node("relu", "Relu", ["n"], ["y"]),
      ],
      initializers: [
        "w": rng.tensor([2, 3, 2, 2]), "shift": rng.tensor([1, 3, 1, 1]), "scale": rng.tensor([3]),
        "beta": rng.tensor([3]), "mean": rng.tensor([3]), "var": rng.tensor([3], 0.1 ... 2),
      ], inputs: [x], outputs: [y])
    let plan = try compare(graph)
    #expect(plan.foldedAffineNodes == 1 && plan.foldedBatchNormalizations == 1)
    #expect(plan.steps.map { $0.fusedNodes.map(\.name) } == [["up", "relu"]])
  }

  @Test func perChannelScaleAndItsResidualRunAsOnePass() throws {
    // s = Sigmoid(GlobalAveragePool(x)), y = x + x · s, in both operand orders; bit-identical to Mul then Add.
    for (mulInputs, addInputs) in [(["x", "s"], ["m", "x"]), (["s", "x"], ["x", "m"])] {
      let graph = Graph(
        nodes: [
          node("gap", "GlobalAveragePool", ["x"], ["g"]), node("sig", "Sigmoid", ["g"], ["s"]),
          node("mul", "Mul", mulInputs, ["m"]), node("add", "Add", addInputs, ["y"]),
        ], inputs: [x], outputs: [y])
      let plan = try compare(graph, tolerance: 0)
      #expect(plan.steps.map(\.node.name) == ["gap", "sig", "mul+add"])
      #expect(plan.steps.last?.node.inputs == ["x", "s"])
    }
    // The product read by something else too stays a Mul.
    let shared = Graph(
      nodes: [
        node("gap", "GlobalAveragePool", ["x"], ["s"]), node("mul", "Mul", ["x", "s"], ["m"]),
        node("add", "Add", ["m", "x"], ["a"]), node("out", "Add", ["a", "m"], ["y"]),
      ], inputs: [x], outputs: [y])
    #expect(try compare(shared, tolerance: 0).steps.count == 4)
  }
}
