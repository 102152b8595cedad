import ConvolveCore

/// Inference-mode BatchNormalization: `y = (x - mean) / sqrt(var + epsilon) · scale + B` per channel
/// (axis 1). A BatchNormalization right after a Conv is folded into it when the plan is built
/// (`Graph.foldBatchNormalization`); this runs the others.
struct BatchNormalizationOperator: GraphOperator {
  let epsilon: Float

  init(_ node: Node, opset: Int) throws {
    epsilon = try node.float("epsilon", default: 1e-5)
    if try node.int("training_mode", default: 0) != 0 {
      throw ConvolveError.invalidArgument("training_mode 1 is not supported (inference only)")
    }
    if node.outputs.dropFirst().contains(where: { !$0.isEmpty }) {
      throw ConvolveError.invalidArgument("the running mean and variance outputs (training) are not supported")
    }
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "X")
    guard x.rank >= 2 else { throw ConvolveError.shapeMismatch("input has shape \(shapeText(x.shape)); it needs N x C x ...") }
    for (i, name) in [(1, "scale"), (2, "B"), (3, "mean"), (4, "var")] {
      let p = try required(inputs, i, name)
      guard p.shape == [x.shape[1]] else {
        throw ConvolveError.shapeMismatch("\(name) has shape \(shapeText(p.shape)); the input has \(x.shape[1]) channels")
      }
    }
    return [x.type]
  }

  /// Per-channel `(a, b)` with `y = a·x + b`.
  static func coefficients(scale: [Float], bias: [Float], mean: [Float], variance: [Float], epsilon: Float)
    -> (a: [Float], b: [Float])
  {
    var a = [Float](repeating: 0, count: scale.count), b = a
    for c in scale.indices {
      let inv = Double(scale[c]) / (Double(variance[c]) + Double(epsilon)).squareRoot()
      a[c] = Float(inv)
      b[c] = Float(Double(bias[c]) - Double(mean[c]) * inv)
    }
    return (a, b)
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    var x = try inputs.take(0, "X")
    let shape = x.shape
    let (a, b) = Self.coefficients(
      scale: try requireFloat(inputs.get(1), "scale"), bias: try requireFloat(inputs.get(2), "B"),
      mean: try requireFloat(inputs.get(3), "mean"), variance: try requireFloat(inputs.get(4), "var"), epsilon: epsilon)
    let channels = shape[1], plane = shape.dropFirst(2).reduce(1, *)
    var v = x.takeFloats()
    v.withUnsafeMutableBufferPointer { p in
      guard let base = p.baseAddress else { return }
      let shared = Shared(base)
      parallelRanges(shape[0] * channels, minimumPerChunk: max(1, 4096 / max(1, plane))) { range in
        let base = shared.value
        for task in range {
          let c = task % channels
          let (ac, bc) = (a[c], b[c])
          let q = base + task * plane
          for i in 0 ..< plane { q[i] = q[i] * ac + bc }
        }
      }
    }
    return [GraphTensor(shape: shape, floats: v)]
  }
}

extension BatchNormalizationOperator {
  var reverseReads: ReverseReads? { .inputs }

  /// Inference mode is a per-channel affine map: `dx = a_c · dy`. The parameters get no gradient.
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let shape = try context.inputShape(0)
    let (a, _) = Self.coefficients(
      scale: try requireFloat(context.input(1), "scale"), bias: try requireFloat(context.input(2), "B"),
      mean: try requireFloat(context.input(3), "mean"), variance: try requireFloat(context.input(4), "var"), epsilon: epsilon)
    let channels = shape[1], plane = shape.dropFirst(2).reduce(1, *)
    var g = context.gradient(0)
    for task in 0 ..< shape[0] * channels {
      let ac = a[task % channels]
      for i in task * plane ..< (task + 1) * plane { g[i] *= ac }
    }
    return context.only(shape, g)
  }
}
