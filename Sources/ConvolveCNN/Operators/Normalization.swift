import ConvolveCore

/// Runs of values normalised together: `outer` × `inner` runs of `n` values spaced `inner` apart (a contiguous
/// range of axes of a row-major tensor).
struct NormalizedRuns: Equatable, Sendable {
  let outer: Int, n: Int, inner: Int

  /// The runs over axes `first ... last` of `shape`.
  init(_ shape: [Int], first: Int, last: Int) {
    outer = shape[..<first].reduce(1, *)
    n = shape[first ... last].reduce(1, *)
    inner = shape[(last + 1)...].reduce(1, *)
  }

  init(outer: Int, n: Int, inner: Int) { (self.outer, self.n, self.inner) = (outer, n, inner) }

  var count: Int { outer * inner }

  /// Normalises every run of `v` in place to mean 0 and variance 1 (`(x − mean) / sqrt(var + epsilon)`, the
  /// statistics accumulated in Float64), returning each run's mean and inverse standard deviation.
  func normalize(_ v: inout [Float], epsilon: Float) -> (mean: [Float], invStdDev: [Float]) {
    var means = [Float](repeating: 0, count: count), inv = means
    let (n, inner) = (self.n, self.inner)
    guard n > 0 else { return (means, inv) }
    v.withUnsafeMutableBufferPointer { buffer in
      means.withUnsafeMutableBufferPointer { pm in
        inv.withUnsafeMutableBufferPointer { pi in
          guard let base = buffer.baseAddress, let pm = pm.baseAddress, let pi = pi.baseAddress else { return }
          let shared = Shared((base, pm, pi))
          parallelRanges(count, minimumPerChunk: Swift.max(1, 8192 / n)) { range in
            let (base, pm, pi) = shared.value
            for r in range {
              let q = base + (r / inner) * n * inner + r % inner
              var sum = 0.0
              for j in 0 ..< n { sum += Double(q[j * inner]) }
              let mean = sum / Double(n)
              var squares = 0.0
              for j in 0 ..< n {
                let d = Double(q[j * inner]) - mean
                squares += d * d
              }
              let s = 1 / (squares / Double(n) + Double(epsilon)).squareRoot()
              let (m, sf) = (Float(mean), Float(s))
              for j in 0 ..< n { q[j * inner] = (q[j * inner] - m) * sf }
              (pm[r], pi[r]) = (m, sf)
            }
          }
        }
      }
    }
    return (means, inv)
  }

  /// The reverse of `normalize` followed by a scale: from `g` (the gradient of the scaled output, already
  /// multiplied by the scale) and `xhat` (the normalised values), `dx = s · (g − mean(g) − xhat · mean(g · xhat))`.
  func reverse(_ g: inout [Float], xhat: [Float], invStdDev: [Float]) {
    let (n, inner) = (self.n, self.inner)
    guard n > 0 else { return }
    for r in 0 ..< count {
      let base = (r / inner) * n * inner + r % inner
      var sg = 0.0, sgx = 0.0
      for j in 0 ..< n {
        let i = base + j * inner
        sg += Double(g[i])
        sgx += Double(g[i]) * Double(xhat[i])
      }
      let (mg, mgx) = (sg / Double(n), sgx / Double(n))
      let s = Double(invStdDev[r])
      for j in 0 ..< n {
        let i = base + j * inner
        g[i] = Float(s * (Double(g[i]) - mg - Double(xhat[i]) * mgx))
      }
    }
  }
}

/// `v · scale + bias` in place, both broadcast to `shape` (NumPy's rules; nil: left out).
func applyAffine(_ v: inout [Float], shape: [Int], scale: GraphTensor?, bias: GraphTensor?) throws {
  for (t, isScale) in [(scale, true), (bias, false)] {
    guard let t else { continue }
    guard try broadcastShape(shape, t.shape) == shape else {
      throw ConvolveError.shapeMismatch("\(isScale ? "scale" : "bias") \(shapeText(t.shape)) does not broadcast to the input \(shapeText(shape))")
    }
    let values = try requireFloat(t, isScale ? "scale" : "bias")
    let plan = BroadcastPlan(shape, t.shape, output: shape)
    guard plan.count > 0 else { continue }
    v.withUnsafeMutableBufferPointer { p in
      values.withUnsafeBufferPointer { s in
        if isScale {
          broadcastLoop(MulF.self, plan, p.baseAddress!, s.baseAddress!, p.baseAddress!)
        } else {
          broadcastLoop(AddF.self, plan, p.baseAddress!, s.baseAddress!, p.baseAddress!)
        }
      }
    }
  }
}

/// ONNX LayerNormalization (opset 17): `(x − mean) / sqrt(var + epsilon) · Scale + B` over the axes from `axis` to
/// the last, with the optional Mean and InvStdDev outputs. The planner also makes one from the decomposed form
/// exporters write before opset 17 (`NormalizationFusion`), whose normalised axes may stop before the last
/// (ConvNeXt's channels-first LayerNorm, axis 1 of N×C×H×W): `lastAxis` then says where.
struct LayerNormalizationOperator: GraphOperator {
  let axis: Int
  let lastAxis: Int
  let epsilon: Float

  init(_ node: Node, opset: Int) throws {
    axis = try node.int("axis", default: -1)
    lastAxis = -1
    epsilon = try node.float("epsilon", default: 1e-5)
  }

  init(axis: Int, lastAxis: Int, epsilon: Float) { (self.axis, self.lastAxis, self.epsilon) = (axis, lastAxis, epsilon) }

  func runs(_ shape: [Int]) throws -> NormalizedRuns {
    let first = try normalizedAxis(axis, rank: shape.count), last = try normalizedAxis(lastAxis, rank: shape.count)
    guard first <= last else { throw ConvolveError.invalidArgument("axis \(axis) comes after the last normalised axis \(lastAxis)") }
    return NormalizedRuns(shape, first: first, last: last)
  }

  /// The shape of Mean and InvStdDev: the input's with the normalised axes 1.
  func statisticsShape(_ shape: [Int]) throws -> [Int] {
    let first = try normalizedAxis(axis, rank: shape.count), last = try normalizedAxis(lastAxis, rank: shape.count)
    return shape.indices.map { $0 >= first && $0 <= last ? 1 : shape[$0] }
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "X")
    guard x.type.elementType == .float32 else { throw ConvolveError.invalidArgument("X is \(x.type.elementType); it must be float32") }
    _ = try runs(x.shape)
    for i in 1 ..< max(1, min(3, inputs.count)) {
      if let p = inputs[i], try broadcastShape(x.shape, p.shape) != x.shape {
        throw ConvolveError.shapeMismatch("\(i == 1 ? "Scale" : "B") \(shapeText(p.shape)) does not broadcast to X \(shapeText(x.shape))")
      }
    }
    let stats = ValueType(try statisticsShape(x.shape))
    return [x.type, stats, stats]
  }

  func multiplyAdds(inputs: [ValueType?], outputs: [ValueType]) -> Int { 4 * (outputs.first?.shape.reduce(1, *) ?? 0) }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    var x = try inputs.take(0, "X")
    let shape = x.shape
    let runs = try self.runs(shape)
    var v = x.takeFloats()
    let (mean, inv) = runs.normalize(&v, epsilon: epsilon)
    try applyAffine(&v, shape: shape, scale: inputs.optional(1), bias: inputs.optional(2))
    let stats = try statisticsShape(shape)
    return [GraphTensor(shape: shape, floats: v), GraphTensor(shape: stats, floats: mean), GraphTensor(shape: stats, floats: inv)]
  }
}

/// ONNX InstanceNormalization: each channel of each image normalised over its spatial axes, then
/// `· scale[c] + B[c]`.
struct InstanceNormalizationOperator: GraphOperator {
  let epsilon: Float

  init(_ node: Node) throws { epsilon = try node.float("epsilon", default: 1e-5) }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "input")
    guard x.rank >= 3, x.type.elementType == .float32 else {
      throw ConvolveError.shapeMismatch("input is \(x.type); it needs float32 N x C x D1 x ...")
    }
    for (i, name) in [(1, "scale"), (2, "B")] where try required(inputs, i, name).shape.reduce(1, *) != x.shape[1] {
      throw ConvolveError.shapeMismatch("\(name) has shape \(shapeText(inputs[i]!.shape)); the input has \(x.shape[1]) channels")
    }
    return [x.type]
  }

  /// The per-channel parameters' shape, broadcast against N × C × spatial.
  static func channelShape(_ shape: [Int]) -> [Int] { [shape[1]] + [Int](repeating: 1, count: shape.count - 2) }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    var x = try inputs.take(0, "input")
    let shape = x.shape
    var v = x.takeFloats()
    _ = NormalizedRuns(shape, first: 2, last: shape.count - 1).normalize(&v, epsilon: epsilon)
    let channels = Self.channelShape(shape)
    try applyAffine(&v, shape: shape, scale: inputs.get(1, "scale").reshaped(channels), bias: inputs.get(2, "B").reshaped(channels))
    return [GraphTensor(shape: shape, floats: v)]
  }
}

/// ONNX GroupNormalization: the channels of each image split into `num_groups` groups, each normalised over
/// its channels and spatial axes, then scaled and shifted per group (opset 18) or per channel (opset 21; the
/// parameters' size says which).
struct GroupNormalizationOperator: GraphOperator {
  let groups: Int
  let epsilon: Float

  init(_ node: Node) throws {
    guard let g = try node.int("num_groups"), g >= 1 else { throw ConvolveError.invalidArgument("num_groups is missing or below 1") }
    groups = g
    epsilon = try node.float("epsilon", default: 1e-5)
  }

  func check(_ shape: [Int], _ parameters: [[Int]]) throws {
    guard shape.count >= 3 else { throw ConvolveError.shapeMismatch("input has shape \(shapeText(shape)); it needs N x C x D1 x ...") }
    guard shape[1] % groups == 0 else {
      throw ConvolveError.shapeMismatch("num_groups \(groups) does not divide the \(shape[1]) channels")
    }
    for (p, name) in zip(parameters, ["scale", "bias"]) where ![groups, shape[1]].contains(p.reduce(1, *)) {
      throw ConvolveError.shapeMismatch("\(name) has shape \(shapeText(p)); it needs \(groups) (per group) or \(shape[1]) (per channel) values")
    }
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "X")
    try check(x.shape, [try required(inputs, 1, "scale").shape, try required(inputs, 2, "bias").shape])
    return [x.type]
  }

  /// A per-group or per-channel parameter as one value per channel, shaped `C × 1 × ...`.
  func perChannel(_ t: GraphTensor, _ shape: [Int]) throws -> GraphTensor {
    let v = try requireFloat(t), c = shape[1]
    let values = v.count == c ? v : (0 ..< c).map { v[$0 / (c / groups)] }
    return GraphTensor(shape: InstanceNormalizationOperator.channelShape(shape), floats: values)
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    var x = try inputs.take(0, "X")
    let shape = x.shape
    let scale = try inputs.get(1, "scale"), bias = try inputs.get(2, "bias")
    try check(shape, [scale.shape, bias.shape])
    var v = x.takeFloats()
    _ = NormalizedRuns(outer: shape[0] * groups, n: v.count / max(1, shape[0] * groups), inner: 1).normalize(&v, epsilon: epsilon)
    try applyAffine(&v, shape: shape, scale: perChannel(scale, shape), bias: perChannel(bias, shape))
    return [GraphTensor(shape: shape, floats: v)]
  }
}
