import ConvolveTestSupport
import ConvolveCore
import Foundation
@testable import ConvolveCNN

/// Random tensors for graph tests, from the shared deterministic generator.
struct GraphRandom {
  var base: SplitMix64
  init(seed: UInt64) { base = SplitMix64(seed: seed) }
  mutating func floats(_ n: Int, _ range: ClosedRange<Float> = -1 ... 1) -> [Float] {
    (0 ..< n).map { _ in Float.random(in: range, using: &base) }
  }
  mutating func tensor(_ shape: [Int], _ range: ClosedRange<Float> = -1 ... 1) -> GraphTensor {
    GraphTensor(shape: shape, floats: floats(shape.reduce(1, *), range))
  }
  mutating func next() -> UInt64 { base.next() }
}

/// An operand of a one-node test graph: fed at run time, an initializer, or left out.
enum Operand {
  case value(GraphTensor)
  case constant(GraphTensor)
  case none
}

/// A graph of one node `n` whose operands are graph inputs `in0`, `in1`, ... (or initializers), with outputs
/// `outputNames` (default `y`, `y1`, ...), and the feeds of its inputs.
func oneNodeGraph(
  _ op: String, _ operands: [Operand], _ attributes: [String: Attribute] = [:], opset: Int = 17, outputs: Int = 1,
  outputNames: [String]? = nil
) -> (Graph, [String: GraphTensor]) {
  var inputs: [ValueInfo] = [], feeds: [String: GraphTensor] = [:], initializers: [String: GraphTensor] = [:]
  var names: [String] = []
  for (i, operand) in operands.enumerated() {
    let name = "in\(i)"
    switch operand {
    case .value(let t):
      inputs.append(ValueInfo(name: name, elementType: t.elementType, shape: t.shape.map { .fixed($0) }))
      feeds[name] = t
      names.append(name)
    case .constant(let t):
      initializers[name] = t
      names.append(name)
    case .none:
      names.append("")
    }
  }
  let outs = outputNames ?? ["y"] + (1 ..< max(1, outputs)).map { "y\($0)" }
  let graph = Graph(
    nodes: [Node(name: "n", opType: op, inputs: names, outputs: outs, attributes: attributes)],
    initializers: initializers, inputs: inputs, outputs: outs.map { ValueInfo(name: $0, shape: nil) }, opsetVersion: opset)
  return (graph, feeds)
}

/// Builds a graph of one node (inputs `in0`, `in1`, ...; outputs `out0`, ...) and runs it.
func runNode(
  _ op: String, _ operands: [Operand], attributes: [String: Attribute] = [:], opset: Int = 17, outputs: Int = 1
) throws -> [GraphTensor] {
  let outNames = (0 ..< outputs).map { "out\($0)" }
  let (graph, feeds) = oneNodeGraph(op, operands, attributes, opset: opset, outputNames: outNames)
  let result = try graph.run(feeds)
  return outNames.map { result[$0]! }
}

/// One-output shorthand.
func run1(_ op: String, _ operands: [Operand], _ attributes: [String: Attribute] = [:], opset: Int = 17) throws
  -> GraphTensor
{
  try runNode(op, operands, attributes: attributes, opset: opset)[0]
}

func largestDifference(_ a: [Float], _ b: [Float]) -> Float {
  precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
  return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// The error's one-line message, or nil when `body` succeeds.
func errorText(_ body: () throws -> Any) -> String? {
  do {
    _ = try body()
    return nil
  } catch {
    return "\(error)"
  }
}

/// Row-major index of `index` in `shape`.
func rowMajorOffset(_ index: [Int], _ shape: [Int]) -> Int {
  var o = 0
  for (i, d) in zip(index, shape) { o = o * d + i }
  return o
}

/// Every multi-index of a shape, in row-major order.
func allIndices(_ shape: [Int]) -> [[Int]] {
  var result: [[Int]] = [[]]
  for d in shape { result = result.flatMap { prefix in (0 ..< d).map { prefix + [$0] } } }
  return result
}
