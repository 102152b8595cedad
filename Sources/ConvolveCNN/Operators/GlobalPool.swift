import ConvolveCore

/// GlobalAveragePool (through ConvolveCore's `globalAveragePool`) and GlobalMaxPool: `N × C × 1 × 1`
/// (one 1 per spatial dimension).
struct GlobalPoolOperator: GraphOperator {
  enum Kind { case average, max }
  let kind: Kind

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "X")
    guard x.rank >= 3 else { throw ConvolveError.shapeMismatch("input has shape \(shapeText(x.shape)); it needs N x C x spatial") }
    return [ValueType(Array(x.shape.prefix(2)) + Array(repeating: 1, count: x.rank - 2))]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.take(0, "X")
    let shape = x.shape
    guard shape.count >= 3 else { throw ConvolveError.shapeMismatch("input has shape \(shapeText(shape)); it needs N x C x spatial") }
    let planes = shape[0] * shape[1], plane = shape.dropFirst(2).reduce(1, *)
    let data = try requireFloat(x, "X")
    let outShape = Array(shape.prefix(2)) + Array(repeating: 1, count: shape.count - 2)
    switch kind {
    case .average:
      let image = Tensor(channels: planes, height: 1, width: plane, data: data)
      return [GraphTensor(shape: outShape, floats: globalAveragePool(image).data)]
    case .max:
      var out = [Float](repeating: -.infinity, count: planes)
      data.withUnsafeBufferPointer { p in
        guard plane > 0 else { return }
        for c in 0 ..< planes {
          var m = -Float.infinity
          let q = p.baseAddress! + c * plane
          for i in 0 ..< plane where q[i] > m || q[i].isNaN { m = q[i] }
          out[c] = m
        }
      }
      return [GraphTensor(shape: outShape, floats: out)]
    }
  }
}
