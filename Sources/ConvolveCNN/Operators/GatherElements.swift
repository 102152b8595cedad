import ConvolveCore

/// ONNX GatherElements: `out[i] = data[i with axis replaced by indices[i]]`; the output has the indices' shape.
struct GatherElementsOperator: GraphOperator {
  let axis: Int

  init(_ node: Node) throws { axis = try node.int("axis", default: 0) }

  func check(_ data: [Int], _ indices: [Int]) throws -> Int {
    let a = try normalizedAxis(axis, rank: data.count)
    guard indices.count == data.count, zip(data, indices).enumerated().allSatisfy({ $0.offset == a || $0.element.1 <= $0.element.0 }) else {
      throw ConvolveError.shapeMismatch("indices \(shapeText(indices)) do not fit data \(shapeText(data)) (same rank, no larger off the axis)")
    }
    return a
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let data = try required(inputs, 0, "data"), indices = try required(inputs, 1, "indices")
    guard indices.type.elementType == .int64 else { throw ConvolveError.invalidArgument("indices must be integers") }
    _ = try check(data.shape, indices.shape)
    return [ValueType(indices.shape, data.type.elementType)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let data = try inputs.get(0, "data"), indices = try inputs.get(1, "indices")
    let a = try check(data.shape, indices.shape)
    let idx = indices.int64s, shape = indices.shape
    let strides = stridesOf(data.shape), dim = data.shape[a]
    var offsets = [Int](repeating: 0, count: idx.count)
    var index = [Int](repeating: 0, count: shape.count)
    for k in idx.indices {
      let i = idx[k] < 0 ? Int(idx[k]) + dim : Int(idx[k])
      guard i >= 0 && i < dim else { throw ConvolveError.invalidArgument("index \(idx[k]) is outside the axis of length \(dim)") }
      var o = i * strides[a]
      for d in shape.indices where d != a { o += index[d] * strides[d] }
      offsets[k] = o
      stepIndex(&index, over: shape)
    }
    return [data.mapped(shape: shape, { v in offsets.map { v[$0] } }, { v in offsets.map { v[$0] } })]
  }
}
