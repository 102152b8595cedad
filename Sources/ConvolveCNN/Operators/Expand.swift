import ConvolveCore

/// ONNX Expand: the input broadcast with a shape (NumPy's rules both ways: a 1 in the shape keeps the input's
/// dimension). The shape must be known when the plan is built; the input may be computed at run time.
struct ExpandOperator: GraphOperator {
  func outputShape(_ input: [Int], _ shape: GraphTensor) throws -> [Int] {
    let s = try broadcastShape(input, shape.ints)
    _ = try checkedCount(s)
    return s
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "input")
    guard let shape = try constantInput(inputs, 1, "shape") else { throw ConvolveError.invalidArgument("shape (input 2) is missing") }
    return [ValueType(try outputShape(x.shape, shape), x.type.elementType)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.take(0, "input")
    return [x.broadcast(to: try outputShape(x.shape, try inputs.get(1, "shape")))]
  }
}

/// ONNX Tile: the input repeated `repeats[i]` times along each axis. The repeats must be known when the plan
/// is built; the input may be computed at run time.
struct TileOperator: GraphOperator {
  func repeats(_ x: [Int], _ r: GraphTensor) throws -> [Int] {
    let repeats = r.ints
    guard repeats.count == x.count, repeats.allSatisfy({ $0 >= 0 }) else {
      throw ConvolveError.invalidArgument("repeats \(repeats) must be \(x.count) non-negative numbers, one per input axis")
    }
    _ = try checkedCount(zip(x, repeats).map { $0 * $1 })
    return repeats
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "input")
    guard let r = try constantInput(inputs, 1, "repeats") else { throw ConvolveError.invalidArgument("repeats (input 2) is missing") }
    return [ValueType(zip(x.shape, try repeats(x.shape, r)).map { $0 * $1 }, x.type.elementType)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.take(0, "input")
    let r = try repeats(x.shape, try inputs.get(1, "repeats"))
    // Read as repeats[0] × shape[0] × repeats[1] × shape[1] × ... with stride 0 on the repeats.
    let strides = stridesOf(x.shape)
    let shape = x.shape.indices.flatMap { [r[$0], x.shape[$0]] }
    let copy = x.strided(offset: 0, shape: shape, strides: x.shape.indices.flatMap { [0, strides[$0]] })
    return [copy.reshaped(zip(x.shape, r).map { $0 * $1 })]
  }
}

/// ONNX Range: `start, start + delta, ...` up to `limit` (excluded), Int64 or Float32 scalars. The count
/// decides the output's shape, so the three must be known when the plan is built.
struct RangeOperator: GraphOperator {
  /// `ceil((limit - start) / delta)`, the difference taken in the inputs' type as onnxruntime does.
  static func count(_ start: Double, _ limit: Double, _ delta: Double, difference: Double) throws -> Int {
    guard delta != 0, start.isFinite, limit.isFinite, delta.isFinite else {
      throw ConvolveError.invalidArgument("range \(start) to \(limit) by \(delta) has no length")
    }
    let n = max(0, (difference / delta).rounded(.up))
    guard n <= Double(GraphLimits.default.maxElements) else {
      throw ConvolveError.tooLarge("range \(start) to \(limit) by \(delta) has \(n) elements")
    }
    return Int(n)
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    var values: [GraphTensor] = []
    for (i, what) in ["start", "limit", "delta"].enumerated() {
      guard let v = try constantInput(inputs, i, what), v.count == 1 else {
        throw ConvolveError.invalidArgument("\(what) (input \(i + 1)) must be one number")
      }
      values.append(v)
    }
    return try run(values).map { ValueType($0.shape, $0.elementType) }
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    try run([inputs.get(0, "start"), inputs.get(1, "limit"), inputs.get(2, "delta")])
  }

  func run(_ v: [GraphTensor]) throws -> [GraphTensor] {
    if v.allSatisfy({ $0.elementType == .int64 }) {
      let (start, limit, delta) = (v[0].int64s[0], v[1].int64s[0], v[2].int64s[0])
      let n = try Self.count(Double(start), Double(limit), Double(delta), difference: Double(limit &- start))
      return [GraphTensor(int64s: (0 ..< n).map { start &+ Int64($0) &* delta })]
    }
    let (start, limit, delta) = (v[0].floats[0], v[1].floats[0], v[2].floats[0])
    let n = try Self.count(Double(start), Double(limit), Double(delta), difference: Double(limit - start))
    // Accumulated, as onnxruntime does.
    var out = [Float](repeating: 0, count: n)
    var value = start
    for i in 0 ..< n {
      out[i] = value
      value += delta
    }
    return [GraphTensor(shape: [n], floats: out)]
  }
}
