import ConvolveCore

/// ONNX Gather: slices of `data` along `axis` picked by Int64 indices (negative counts from the end);
/// the output shape is `data[..<axis] + indices + data[axis+1...]`.
struct GatherOperator: GraphOperator {
  let axis: Int

  init(_ node: Node) throws { axis = try node.int("axis", default: 0) }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let data = try required(inputs, 0, "data"), indices = try required(inputs, 1, "indices")
    guard indices.type.elementType == .int64 else { throw ConvolveError.invalidArgument("indices must be integers") }
    let a = try normalizedAxis(axis, rank: data.rank)
    return [ValueType(Array(data.shape[..<a]) + indices.shape + Array(data.shape[(a + 1)...]), data.type.elementType)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let data = try inputs.take(0, "data"), indices = try inputs.get(1, "indices")
    let a = try normalizedAxis(axis, rank: data.rank)
    let dim = data.shape[a]
    let picks = try indices.int64s.map { i -> Int in
      let j = i < 0 ? Int(i) + dim : Int(i)
      guard j >= 0 && j < dim else { throw ConvolveError.invalidArgument("index \(i) is outside the axis of length \(dim)") }
      return j
    }
    let outer = data.shape[..<a].reduce(1, *), inner = data.shape[(a + 1)...].reduce(1, *)
    let shape = Array(data.shape[..<a]) + indices.shape + Array(data.shape[(a + 1)...])
    func gather<T>(_ v: [T]) -> [T] {
      var out: [T] = []
      out.reserveCapacity(outer * picks.count * inner)
      for o in 0 ..< outer {
        for j in picks { out.append(contentsOf: v[(o * dim + j) * inner ..< (o * dim + j + 1) * inner]) }
      }
      return out
    }
    return [data.mapped(shape: shape, gather, gather)]
  }
}
