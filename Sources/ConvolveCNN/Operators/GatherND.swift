import ConvolveCore

/// ONNX GatherND: slices of `data` picked by index tuples (the indices' last dimension), after `batch_dims`
/// leading dimensions shared by both; the output is `indices.shape[..<-1] + data.shape[batch_dims + k...]`.
struct GatherNDOperator: GraphOperator {
  let batchDims: Int

  init(_ node: Node) throws { batchDims = try node.int("batch_dims", default: 0) }

  /// (tuple length k, output shape).
  func layout(_ data: [Int], _ indices: [Int]) throws -> (Int, [Int]) {
    let b = batchDims
    guard let k = indices.last, b >= 0, indices.count > b, data.count >= b + k, k >= 0, Array(data.prefix(b)) == Array(indices.prefix(b)) else {
      throw ConvolveError.shapeMismatch("indices \(shapeText(indices)) do not fit data \(shapeText(data)) with batch_dims \(b)")
    }
    return (k, Array(indices.dropLast()) + Array(data[(b + k)...]))
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let data = try required(inputs, 0, "data"), indices = try required(inputs, 1, "indices")
    guard indices.type.elementType == .int64 else { throw ConvolveError.invalidArgument("indices must be integers") }
    return [ValueType(try layout(data.shape, indices.shape).1, data.type.elementType)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let data = try inputs.get(0, "data"), indices = try inputs.get(1, "indices")
    let (k, shape) = try layout(data.shape, indices.shape)
    let b = batchDims, s = data.shape
    let batches = s[..<b].reduce(1, *), slice = s[(b + k)...].reduce(1, *)
    let perBatch = batches == 0 ? 0 : s[b...].reduce(1, *)
    let strides = stridesOf(Array(s[b...]))
    let idx = indices.int64s
    let tuples = k == 0 ? indices.shape.dropLast().reduce(1, *) : idx.count / k
    let tuplesPerBatch = batches == 0 ? 0 : tuples / batches
    var starts = [Int](repeating: 0, count: tuples)
    for t in 0 ..< tuples {
      var o = (t / max(1, tuplesPerBatch)) * perBatch
      for j in 0 ..< k {
        let dim = s[b + j], v = idx[t * k + j]
        let i = v < 0 ? Int(v) + dim : Int(v)
        guard i >= 0 && i < dim else { throw ConvolveError.invalidArgument("index \(v) is outside the axis of length \(dim)") }
        o += i * strides[j]
      }
      starts[t] = o
    }
    func gather<T>(_ v: [T]) -> [T] { starts.flatMap { v[$0 ..< $0 + slice] } }
    return [data.mapped(shape: shape, gather, gather)]
  }
}
