import ConvolveCore

/// ONNX NonZero: the indices of the nonzero elements, one row per dimension (in row-major order of the
/// elements). Its size depends on the values: folded when the input is a constant, else a dynamic step
/// (`DynamicShapes`) whose output is at most the input's size.
struct NonZeroOperator: GraphOperator {
  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "X")
    guard let c = x.constant else { return [ValueType([x.rank, -1], .int64)] }
    let count: Int
    switch c.storage {
    case .float(let v): count = v.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
    case .int64(let v): count = v.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
    }
    return [ValueType([c.rank, count], .int64)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.get(0, "X")
    let s = x.shape
    let nonzero: [Int]
    switch x.storage {
    case .float(let v): nonzero = v.indices.filter { v[$0] != 0 }
    case .int64(let v): nonzero = v.indices.filter { v[$0] != 0 }
    }
    let strides = stridesOf(s)
    var out = [Int64](repeating: 0, count: s.count * nonzero.count)
    for (j, flat) in nonzero.enumerated() {
      for d in s.indices { out[d * nonzero.count + j] = Int64((flat / strides[d]) % s[d]) }
    }
    return [GraphTensor(shape: [s.count, nonzero.count], int64s: out)]
  }
}
