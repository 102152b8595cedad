import ConvolveCore
import Foundation
import Testing
@testable import ConvolveCNN

/// Checks `ReversePass` against central finite differences of `L = Σ seed · y` (a random seed) with respect
/// to every element of the named graph inputs. The forward pass runs in Float32 and `L` is summed in Float64:
/// each output carries a relative rounding error near 6e-8, so with a step of 1e-2 the difference quotient's
/// rounding error stays below 1e-4 on these small graphs, and its truncation error (h²/6 · f''') below 5e-4
/// for the functions used (the largest: 1/x near 0.5). Inputs keep more than the step away from every kink
/// (ReLU's 0, Clip's bounds, a max pool's ties). An error over 2e-3 (relative to max(1, |numeric|)) is a wrong
/// rule; a sign flipped or a broadcast sum halved in a rule gives 0.3 to 2.
enum GradientCheck {
  static let step = 1e-2
  static let tolerance = 2e-3

  /// The largest error over every element of every `wrt` input.
  static func worstError(
    _ graph: Graph, _ feeds: [String: GraphTensor], wrt: [String], output: String = "y", seed: UInt64 = 7
  ) throws -> Double {
    let shapes = feeds.mapValues(\.shape)
    let pass = try ReversePass(graph: graph, inputShapes: shapes, withRespectTo: wrt)
    let y = try #require(try pass.forward(feeds)[output])
    var rng = GraphRandom(seed: seed)
    let weights = rng.tensor(y.shape)
    let grads = try pass.gradients(of: output, seed: weights)
    let executor = Executor(plan: try ExecutionPlan(graph: graph, inputShapes: shapes))
    func loss(_ changed: [String: GraphTensor]) throws -> Double {
      let out = try #require(try executor.run(changed)[output])
      return zip(out.floats, weights.floats).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }
    var worst = 0.0
    for name in wrt {
      let x = try #require(feeds[name]), g = try #require(grads[name])
      #expect(g.shape == x.shape)
      for i in 0 ..< x.count {
        var values = x.floats
        let (up, down) = (Float(Double(values[i]) + step), Float(Double(values[i]) - step))
        var changed = feeds
        values[i] = up
        changed[name] = GraphTensor(shape: x.shape, floats: values)
        let lossUp = try loss(changed)
        values[i] = down
        changed[name] = GraphTensor(shape: x.shape, floats: values)
        let numeric = (lossUp - (try loss(changed))) / (Double(up) - Double(down))
        worst = max(worst, abs(numeric - Double(g.floats[i])) / max(1, abs(numeric)))
      }
    }
    if ProcessInfo.processInfo.environment["CONVOLVE_GRADIENT_REPORT"] != nil {
      print("gradient check \(graph.nodes.map(\.opType).joined(separator: ">")): worst \(worst)")
    }
    return worst
  }

  /// Random values on a 0.1 grid offset by 0.05 (± 0.02), so never within 0.03 of a multiple of 0.1 or of
  /// 0.5: ReLU's and Clip's kinks and integer steps lie out of a step's reach.
  static func grid(_ shape: [Int], _ range: ClosedRange<Float> = -1 ... 1, seed: UInt64) -> GraphTensor {
    var rng = GraphRandom(seed: seed)
    let lo = Int((range.lowerBound * 10).rounded(.down)), hi = Int((range.upperBound * 10).rounded(.up)) - 1
    let values = (0 ..< shape.reduce(1, *)).map { _ in
      Float(Int.random(in: lo ... hi, using: &rng.base)) / 10 + 0.05 + Float.random(in: -0.02 ... 0.02, using: &rng.base)
    }
    return GraphTensor(shape: shape, floats: values)
  }

  /// Distinct values 0.05 apart in random order: no two within a step of each other (max pools, Max, Min).
  static func distinct(_ shape: [Int], seed: UInt64) -> GraphTensor {
    var rng = GraphRandom(seed: seed)
    let n = shape.reduce(1, *)
    let values = (0 ..< n).map { Float($0 - n / 2) * 0.05 }.shuffled(using: &rng.base)
    return GraphTensor(shape: shape, floats: values)
  }
}

/// The worst finite-difference error of a one-node graph, with respect to its fed (float) operands.
func nodeError(_ op: String, _ operands: [Operand], _ attributes: [String: Attribute] = [:], opset: Int = 17) throws -> Double {
  let (graph, feeds) = oneNodeGraph(op, operands, attributes, opset: opset)
  let wrt = feeds.filter { $0.value.elementType == .float32 }.keys.sorted()
  return try GradientCheck.worstError(graph, feeds, wrt: wrt)
}

@Suite struct ReversePassTests {
  let tolerance = GradientCheck.tolerance
  func grid(_ shape: [Int], _ range: ClosedRange<Float> = -1 ... 1, _ seed: UInt64 = 1) -> GraphTensor {
    GradientCheck.grid(shape, range, seed: seed)
  }

  @Test func activations() throws {
    let x = grid([2, 3, 4, 5], -4 ... 4)
    for (op, attributes) in [
      ("Relu", [:]), ("LeakyRelu", ["alpha": Attribute.float(0.1)]), ("Sigmoid", [:]), ("Tanh", [:]),
      ("Elu", ["alpha": .float(0.7)]), ("HardSigmoid", ["alpha": .float(0.2), "beta": .float(0.5)]), ("HardSwish", [:]),
      ("Neg", [:]), ("Abs", [:]), ("Exp", [:]), ("Erf", [:]), ("Floor", [:]), ("Ceil", [:]),
    ] as [(String, [String: Attribute])] {
      let error = try nodeError(op, [.value(x)], attributes)
      #expect(error < tolerance, "\(op): \(error)")
    }
    let positive = grid([2, 3, 4], 0.5 ... 2)
    for op in ["Sqrt", "Log", "Reciprocal"] {
      let error = try nodeError(op, [.value(positive)])
      #expect(error < tolerance, "\(op): \(error)")
    }
  }

  @Test func clipAndPRelu() throws {
    let x = grid([2, 3, 4, 5], -2 ... 2)
    let bounds: [Operand] = [.constant(GraphTensor(scalar: -0.5)), .constant(GraphTensor(scalar: 1.5))]
    #expect(try nodeError("Clip", [.value(x)] + bounds, opset: 13) < tolerance)
    #expect(try nodeError("Clip", [.value(x)], ["min": .float(-1.5), "max": .float(0.5)], opset: 6) < tolerance)
    #expect(try nodeError("Clip", [.value(x), .none, .constant(GraphTensor(scalar: 0.5))], opset: 13) < tolerance)
    // The slope is fed too: its gradient is checked as well.
    #expect(try nodeError("PRelu", [.value(x), .value(grid([3, 1, 1], 0 ... 1, 2))]) < tolerance)
    #expect(try nodeError("PRelu", [.value(x), .value(grid([5], 0 ... 1, 3))]) < tolerance)
  }

  @Test func binaryOperatorsBroadcast() throws {
    let a = grid([2, 3, 4, 5], -2 ... 2)
    let others = [[2, 3, 4, 5], [3, 1, 1], [5], [1, 3, 4, 1], [], [2, 1, 1, 1]]
    for op in ["Add", "Sub", "Mul", "Div"] {
      for (k, shape) in others.enumerated() {
        let b = op == "Div" ? grid(shape, 0.5 ... 2, UInt64(k + 10)) : grid(shape, -2 ... 2, UInt64(k + 10))
        let error = try nodeError(op, [.value(a), .value(b)])
        #expect(error < tolerance, "\(op) \(a.shape) \(shape): \(error)")
        // The broadcast operand first.
        let swapped = op == "Div" ? try nodeError(op, [.value(b), .value(grid([2, 3, 4, 5], 0.5 ... 2, 9))]) : try nodeError(op, [.value(b), .value(a)])
        #expect(swapped < tolerance, "\(op) \(shape) \(a.shape): \(swapped)")
      }
    }
    #expect(try nodeError("Pow", [.value(grid([3, 4], 0.5 ... 2)), .value(grid([4], -2 ... 2, 4))]) < tolerance)
    #expect(try nodeError("Mul", [.value(a), .constant(grid([3, 1, 1], -1 ... 1, 5))]) < tolerance)
    let d = GradientCheck.distinct([2, 3, 4, 5], seed: 6), e = GradientCheck.distinct([4, 5], seed: 7)
    let shifted = GraphTensor(shape: [4, 5], floats: e.floats.map { $0 + 0.025 })
    #expect(try nodeError("Max", [.value(d), .value(shifted)]) < tolerance)
    #expect(try nodeError("Min", [.value(d), .value(shifted)]) < tolerance)
  }

  @Test func softmaxBatchNormalizationAndReductions() throws {
    let x = grid([2, 3, 4, 5], -2 ... 2)
    #expect(try nodeError("Softmax", [.value(x)], opset: 13) < tolerance)
    #expect(try nodeError("Softmax", [.value(x)], ["axis": .int(1)], opset: 13) < tolerance)
    #expect(try nodeError("Softmax", [.value(x)], ["axis": .int(2)], opset: 11) < tolerance)
    let params = [grid([3], 0.5 ... 2, 2), grid([3], -1 ... 1, 3), grid([3], -1 ... 1, 4), grid([3], 0.5 ... 2, 5)]
    #expect(try nodeError("BatchNormalization", [.value(x)] + params.map { .constant($0) }) < tolerance)
    #expect(try nodeError("ReduceMean", [.value(x)], ["axes": .ints([2, 3])], opset: 13) < tolerance)
    #expect(try nodeError("ReduceMean", [.value(x)], ["axes": .ints([1]), "keepdims": .int(0)], opset: 13) < tolerance)
    #expect(try nodeError("ReduceMean", [.value(x)], opset: 13) < tolerance)
    #expect(try nodeError("ReduceSum", [.value(x), .constant(GraphTensor(int64s: [0, -1]))], opset: 13) < tolerance)
    let d = GradientCheck.distinct([2, 3, 4, 5], seed: 8)
    #expect(try nodeError("ReduceMax", [.value(d)], ["axes": .ints([3])], opset: 13) < tolerance)
    #expect(try nodeError("GlobalAveragePool", [.value(x)]) < tolerance)
    #expect(try nodeError("GlobalMaxPool", [.value(d)]) < tolerance)
  }

  @Test func dataMovement() throws {
    let x = grid([2, 3, 4, 5]), z = grid([2, 2, 4, 5], -1 ... 1, 2)
    let ints = { (v: [Int64]) in Operand.constant(GraphTensor(int64s: v)) }
    #expect(try nodeError("Concat", [.value(x), .value(z), .constant(grid([2, 1, 4, 5], -1 ... 1, 3))], ["axis": .int(1)]) < tolerance)
    #expect(try nodeError("Concat", [.value(x), .value(grid([2, 3, 4, 2], -1 ... 1, 4))], ["axis": .int(-1)]) < tolerance)
    #expect(try nodeError("Slice", [.value(x), ints([1, -1]), ints([3, 0]), ints([1, 3]), ints([1, -2])]) < tolerance)
    #expect(try nodeError("Slice", [.value(x), ints([0]), ints([9]), ints([2]), ints([3])]) < tolerance)
    #expect(try nodeError("Reshape", [.value(x), ints([6, -1])]) < tolerance)
    #expect(try nodeError("Flatten", [.value(x)], ["axis": .int(2)]) < tolerance)
    #expect(try nodeError("Transpose", [.value(x)], ["perm": .ints([0, 2, 3, 1])]) < tolerance)
    #expect(try nodeError("Transpose", [.value(x)]) < tolerance)
    #expect(try nodeError("Squeeze", [.value(grid([2, 1, 5]))], ["axes": .ints([1])], opset: 11) < tolerance)
    #expect(try nodeError("Unsqueeze", [.value(x), ints([0, 3])]) < tolerance)
    #expect(try nodeError("Identity", [.value(x)]) < tolerance)
    #expect(try nodeError("Dropout", [.value(x)]) < tolerance)
    #expect(try nodeError("Cast", [.value(x)], ["to": .int(1)]) < tolerance)
    for mode in ["constant", "reflect", "edge", "wrap"] {
      let error = try nodeError("Pad", [.value(x), ints([0, 0, 1, 2, 0, 1, 2, 1])], ["mode": .string(mode)], opset: 13)
      #expect(error < tolerance, "\(mode): \(error)")
    }
    #expect(try nodeError("Pad", [.value(x), ints([0, 0, -1, 1, 0, 0, 1, -2])], opset: 13) < tolerance)
    // Split, then both parts back in another order.
    let graph = Graph(
      nodes: [
        Node(name: "split", opType: "Split", inputs: ["x"], outputs: ["a", "b"], attributes: ["axis": .int(2), "split": .ints([1, 3])]),
        Node(name: "join", opType: "Concat", inputs: ["b", "a", "b"], outputs: ["y"], attributes: ["axis": .int(2)]),
      ], initializers: [:], inputs: [ValueInfo(name: "x", shape: [.fixed(2), .fixed(3), .fixed(4), .fixed(5)])],
      outputs: [ValueInfo(name: "y", shape: nil)], opsetVersion: 11)
    #expect(try GradientCheck.worstError(graph, ["x": x], wrt: ["x"]) < tolerance)
  }

  @Test func aNodeWithoutARuleFailsInOneLine() throws {
    let x = grid([4, 5])
    let (graph, feeds) = oneNodeGraph("Gather", [.value(x), .constant(GraphTensor(int64s: [2, 0]))], ["axis": .int(0)])
    let pass = try ReversePass(graph: graph, inputShapes: feeds.mapValues(\.shape), withRespectTo: ["in0"])
    let y = try #require(try pass.forward(feeds)["y"])
    let message = try #require(errorText { try pass.gradients(of: "y", seed: GraphTensor(shape: y.shape, repeating: 1)) })
    #expect(!message.contains("\n"))
    #expect(message.contains("'n' (Gather)") && message.contains("no reverse rule"), "\(message)")
    #expect(message.contains("eigencam, scorecam, ablationcam or occlusion"), "\(message)")
  }

  @Test func gradientsOfSharedValuesAddUpAndIntermediateTargetsWork() throws {
    // x feeds three readers; `h` is a target in the middle, `y` the output.
    let graph = Graph(
      nodes: [
        Node(name: "s", opType: "Sigmoid", inputs: ["x"], outputs: ["s"]),
        Node(name: "m", opType: "Mul", inputs: ["x", "s"], outputs: ["h"]),
        Node(name: "t", opType: "Tanh", inputs: ["h"], outputs: ["t"]),
        Node(name: "a", opType: "Add", inputs: ["t", "x"], outputs: ["y"]),
      ], initializers: [:], inputs: [ValueInfo(name: "x", shape: [.fixed(2), .fixed(3)])],
      outputs: [ValueInfo(name: "y", shape: nil)])
    let x = grid([2, 3], -2 ... 2)
    #expect(try GradientCheck.worstError(graph, ["x": x], wrt: ["x"]) < tolerance)
    let pass = try ReversePass(graph: graph, inputShapes: ["x": [2, 3]], withRespectTo: ["x", "h"])
    let outputs = try pass.forward(["x": x])
    let h = try #require(outputs["h"]).floats
    let grads = try pass.gradients(of: "y", seed: GraphTensor(shape: [2, 3], repeating: 1))
    // dy/dh = 1 − tanh(h)²
    let expected = h.map { 1 - Foundation.tanh($0) * Foundation.tanh($0) }
    #expect(largestDifference(try #require(grads["h"]).floats, expected) < 1e-5)
  }
}
