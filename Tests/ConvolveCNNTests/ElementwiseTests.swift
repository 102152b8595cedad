import ConvolveCore
import Foundation
import Testing
@testable import ConvolveCNN

@Suite struct ElementwiseTests {
  @Test func broadcastShapesFollowNumPy() throws {
    #expect(try broadcastShape([1, 3, 4, 5], [3, 1, 1]) == [1, 3, 4, 5])
    #expect(try broadcastShape([5], [2, 1]) == [2, 5])
    #expect(try broadcastShape([], [2, 3]) == [2, 3])
    #expect(try broadcastShape([2, 1, 4], [3, 1]) == [2, 3, 4])
    #expect(errorText { try broadcastShape([2, 3], [4, 3]) }?.contains("do not broadcast") == true)
  }

  /// `a op b` by definition over every output index.
  func naive(_ a: GraphTensor, _ b: GraphTensor, _ f: (Float, Float) -> Float) throws -> [Float] {
    let shape = try broadcastShape(a.shape, b.shape)
    func value(_ t: GraphTensor, _ index: [Int]) -> Float {
      let tail = Array(index.suffix(t.rank))
      return t.floats[rowMajorOffset(zip(tail, t.shape).map { $1 == 1 ? 0 : $0 }, t.shape)]
    }
    return allIndices(shape).map { f(value(a, $0), value(b, $0)) }
  }

  static let pairs: [([Int], [Int])] = [
    ([1, 3, 4, 5], [1, 3, 4, 5]), ([1, 3, 4, 5], [3, 1, 1]), ([1, 3, 4, 5], []), ([1, 1, 4, 5], [1, 3, 1, 1]),
    ([2, 1, 4], [3, 1]), ([5], [2, 3, 1]), ([1, 3, 1, 5], [1, 1, 4, 1]), ([3, 1], [1, 70000]),
    // Large enough (65536 outputs) for runs to be split across the cores.
    ([1, 8, 100, 90], [1, 8, 1, 1]), ([1, 4, 130, 130], [1, 1, 130, 1]), ([3, 1, 250], [1, 100, 1]),
    ([2, 300, 120], [300, 1]),
  ]

  @Test(arguments: pairs.indices)
  func arithmeticBroadcastsAsTheDefinition(_ i: Int) throws {
    let (sa, sb) = Self.pairs[i]
    var rng = GraphRandom(seed: UInt64(20 + i))
    let a = rng.tensor(sa), b = rng.tensor(sb, 0.5 ... 2)
    let ops: [(String, (Float, Float) -> Float)] = [("Add", +), ("Sub", -), ("Mul", *), ("Div", /), ("Pow", { pow(abs($0), $1) })]
    for (op, f) in ops {
      let lhs = op == "Pow" ? GraphTensor(shape: a.shape, floats: a.floats.map(abs)) : a
      // Fed at run time (so the first operand may be reused in place) and as constants (folded).
      let y = try run1(op, [.value(lhs), .value(b)])
      let expected = try naive(lhs, b, f)
      #expect(y.shape == (try broadcastShape(sa, sb)))
      #expect(largestDifference(y.floats, expected) < 1e-5, "\(op) \(sa) \(sb)")
      let folded = try run1(op, [.constant(lhs), .constant(b)])
      #expect(largestDifference(folded.floats, expected) < 1e-5)
    }
  }

  @Test func int64ArithmeticForShapes() throws {
    let a = GraphTensor(int64s: [6, -7, 9]), b = GraphTensor(shape: [], int64s: [2])
    #expect(try run1("Mul", [.value(a), .value(b)]).int64s == [12, -14, 18])
    #expect(try run1("Div", [.value(a), .value(b)]).int64s == [3, -3, 4])
    #expect(try run1("Sub", [.value(a), .value(b)]).int64s == [4, -9, 7])
    #expect(errorText { try run1("Div", [.value(a), .value(GraphTensor(shape: [], int64s: [0]))]) }?.contains("division by zero") == true)
    #expect(errorText { try run1("Add", [.value(a), .value(GraphTensor(scalar: 1))]) }?.contains("same element type") == true)
  }

  @Test func sqrtAndUnaryMath() throws {
    let x = GraphTensor(shape: [4], floats: [0, 1, 4, 2.25])
    #expect(try run1("Sqrt", [.value(x)]).floats == [0, 1, 2, 1.5])
    #expect(try run1("Neg", [.value(x)]).floats == [0, -1, -4, -2.25])
    #expect(try run1("Reciprocal", [.value(GraphTensor(shape: [2], floats: [2, -4]))]).floats == [0.5, -0.25])
  }

  @Test func activationsByDefinition() throws {
    let values: [Float] = [-3, -1, -0.25, 0, 0.5, 2, 4]
    let x = GraphTensor(shape: [1, 1, 1, 7], floats: values)
    func check(_ op: String, _ attributes: [String: Attribute] = [:], opset: Int = 17, _ f: (Float) -> Float) throws {
      let y = try run1(op, [.value(x)], attributes, opset: opset)
      #expect(largestDifference(y.floats, values.map(f)) < 1e-6, "\(op)")
    }
    try check("Relu") { max(0, $0) }
    try check("LeakyRelu", ["alpha": .float(0.2)]) { $0 > 0 ? $0 : 0.2 * $0 }
    try check("Sigmoid") { 1 / (1 + exp(-$0)) }
    try check("Tanh") { tanh($0) }
    try check("Elu", ["alpha": .float(0.5)]) { $0 > 0 ? $0 : 0.5 * (exp($0) - 1) }
    try check("HardSigmoid") { max(0, min(1, 0.2 * $0 + 0.5)) }
    try check("HardSigmoid", ["alpha": .float(1.0 / 6), "beta": .float(0.5)]) { max(0, min(1, $0 / 6 + 0.5)) }
    try check("HardSwish") { $0 * max(0, min(1, $0 / 6 + 0.5)) }
    try check("Clip", ["min": .float(-1), "max": .float(0.5)], opset: 6) { min(max($0, -1), 0.5) }
    // Opset 11 on: bounds are inputs, each optional.
    let clipped = try run1("Clip", [.value(x), .constant(GraphTensor(scalar: 0)), .constant(GraphTensor(scalar: 6))], opset: 12)
    #expect(clipped.floats == values.map { min(max($0, 0), 6) })
    let lowOnly = try run1("Clip", [.value(x), .constant(GraphTensor(scalar: -0.5))], opset: 13)
    #expect(lowOnly.floats == values.map { max($0, -0.5) })
    let clip6 = try run1("Clip", [.value(x), .none, .constant(GraphTensor(scalar: 1))], opset: 13)
    #expect(clip6.floats == values.map { min($0, 1) })
  }

  @Test func preluBroadcastsItsSlopePerChannel() throws {
    let x = GraphTensor(shape: [1, 2, 1, 2], floats: [-1, 2, -3, 4])
    let slope = GraphTensor(shape: [2, 1, 1], floats: [0.5, 0.25])
    #expect(try run1("PRelu", [.value(x), .constant(slope)]).floats == [-0.5, 2, -0.75, 4])
  }
}
