// libFuzzer target for the ONNX loader and the graph planner/executor: the input is a model file.
// A model that loads is planned for a 1x3x8x8 input (1x3x8 for rank 3) under a 2^16-element limit and,
// if that succeeds, run once. A thrown error is the expected outcome for junk; a trap (overflow, index
// out of range, force-unwrap, precondition) or a sanitizer report is a bug.
//
// Built by Fuzz/run.sh onnx: SwiftProtobuf (from the package's checkout in .build/checkouts) as its own
// module, then the ConvolveCore, ConvolveCNN and ONNX loader sources compiled into one module with this
// file (their `import ConvolveCore` / `import ConvolveCNN` lines removed).
import Foundation

private let limits = GraphLimits(maxElements: 1 << 16)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Data(bytes: data, count: size)
  guard let graph = try? ONNXModel.load(data: bytes, path: "fuzz.onnx", limits: limits) else { return 0 }
  _ = graph.unsupportedOperators()
  var shapes: [String: [Int]] = [:]
  var feeds: [String: GraphTensor] = [:]
  for input in graph.inputs {
    let rank = input.shape?.count ?? 4
    let shape = rank == 4 ? [1, 3, 8, 8] : rank == 3 ? [1, 3, 8] : Array(repeating: 2, count: min(rank, 6))
    shapes[input.name] = shape
    let count = shape.reduce(1, *)
    feeds[input.name] = input.elementType == .int64
      ? GraphTensor(shape: shape, int64s: (0 ..< count).map { Int64($0 % 3) })
      : GraphTensor(shape: shape, floats: (0 ..< count).map { Float($0 % 7) / 7 - 0.5 })
  }
  guard let plan = try? ExecutionPlan(graph: graph, inputShapes: shapes, limits: limits) else { return 0 }
  _ = try? Executor(plan: plan).run(feeds)
  return 0
}
