import ConvolveCore

/// ONNX NonZero: the indices of the nonzero elements, one row per dimension. Its size depends on the values,
/// so it runs only when the plan is built (on a constant or folded input).
struct NonZeroOperator: GraphOperator {
  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "X")
    guard let c = x.constant else {
      throw ConvolveError.invalidArgument(
        "NonZero of a value computed at run time is not supported: its output's size depends on the data, and the plan fixes every size before running")
    }
    var operands = OperatorInputs(values: [c])
    return try run(&operands).map { ValueType($0.shape, .int64) }
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
