import ConvolveCore

/// ONNX Shape: the input's dimensions as Int64, optionally `[start, end)` (opset 15). Always folded to a
/// constant once the input size is known.
struct ShapeOperator: GraphOperator {
  let start: Int, end: Int?

  init(_ node: Node) throws {
    start = try node.int("start", default: 0)
    end = try node.int("end")
  }

  func dims(_ s: [Int]) -> [Int] {
    let r = s.count
    func clamp(_ v: Int) -> Int { max(0, min(r, v < 0 ? v + r : v)) }
    let lo = clamp(start), hi = clamp(end ?? r)
    return lo < hi ? Array(s[lo ..< hi]) : []
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "data")
    return [ValueType([dims(x.shape).count], .int64)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    [GraphTensor(int64s: dims(try inputs.get(0, "data").shape).map(Int64.init))]
  }
}
