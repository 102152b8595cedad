import ConvolveCore

/// ONNX ArgMax and ArgMin: the Int64 position of the largest (smallest) value along `axis` (the first one, or
/// the last with `select_last_index`), the axis kept as size 1 unless `keepdims` is 0.
struct ArgMaxOperator: GraphOperator {
  let min: Bool, axis: Int, keepDims: Bool, selectLast: Bool

  init(_ node: Node, min: Bool) throws {
    self.min = min
    axis = try node.int("axis", default: 0)
    keepDims = try node.int("keepdims", default: 1) != 0
    selectLast = try node.int("select_last_index", default: 0) != 0
  }

  func outputShape(_ s: [Int]) throws -> (axis: Int, shape: [Int]) {
    let a = try normalizedAxis(axis, rank: s.count)
    var shape = s
    if keepDims { shape[a] = 1 } else { shape.remove(at: a) }
    return (a, shape)
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    [ValueType(try outputShape(try required(inputs, 0, "data").shape).shape, .int64)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.get(0, "data")
    let (a, shape) = try outputShape(x.shape)
    let n = x.shape[a], inner = x.shape[(a + 1)...].reduce(1, *), outer = x.shape[..<a].reduce(1, *)
    guard n > 0 else { throw ConvolveError.invalidArgument("the axis is empty") }
    let (min, selectLast) = (self.min, self.selectLast)
    func positions<T: Comparable>(_ v: [T]) -> [Int64] {
      var out = [Int64](repeating: 0, count: outer * inner)
      for o in 0 ..< outer {
        for i in 0 ..< inner {
          var best = v[o * n * inner + i], at = 0
          for j in 1 ..< max(n, 1) {
            let value = v[(o * n + j) * inner + i]
            let better = min ? (value < best || (selectLast && value == best)) : (value > best || (selectLast && value == best))
            if better { (best, at) = (value, j) }
          }
          out[o * inner + i] = Int64(at)
        }
      }
      return out
    }
    switch x.storage {
    case .float(let v): return [GraphTensor(shape: shape, int64s: positions(v))]
    case .int64(let v): return [GraphTensor(shape: shape, int64s: positions(v))]
    }
  }
}
