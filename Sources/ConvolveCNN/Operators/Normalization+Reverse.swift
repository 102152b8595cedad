import ConvolveCore

/// The reverse of normalising `x` over `runs` then scaling by `scale` (given broadcast to x's shape as
/// `scaleFull`): the input's gradient, and `g · xhat` (summed by the caller into the scale's gradient).
private func normalizationReverse(
  _ context: ReverseContext, runs: NormalizedRuns, epsilon: Float, scaleFull: [Float]?
) throws -> (dx: [Float], gxhat: [Float], shape: [Int]) {
  let x = try context.input(0)
  var xhat = try requireFloat(x, "X")
  let (_, inv) = runs.normalize(&xhat, epsilon: epsilon)
  let g = context.gradient(0)
  var dx = g
  if let scaleFull { for i in dx.indices { dx[i] *= scaleFull[i] } }
  runs.reverse(&dx, xhat: xhat, invStdDev: inv)
  var gxhat = g
  for i in gxhat.indices { gxhat[i] *= xhat[i] }
  return (dx, gxhat, x.shape)
}

extension LayerNormalizationOperator {
  var reverseReads: ReverseReads? { .inputs }

  /// `dx = s · (g' − mean(g') − xhat · mean(g' · xhat))` per run with `g' = g · Scale`; Scale gets `Σ g · xhat`
  /// and B `Σ g` over what their broadcast stretched. The Mean and InvStdDev outputs pass no gradient back.
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let shape = try context.inputShape(0)
    let scale = context.optional(1), bias = context.optional(2)
    let full = try scale.map { expand(try requireFloat($0, "Scale"), $0.shape, to: shape) }
    let (dx, gxhat, _) = try normalizationReverse(context, runs: runs(shape), epsilon: epsilon, scaleFull: full)
    let g = context.gradient(0)
    return [
      GraphTensor(shape: shape, floats: dx),
      scale.flatMap { context.wants(1) ? GraphTensor(shape: $0.shape, floats: sumToShape(gxhat, from: shape, to: $0.shape)) : nil },
      bias.flatMap { context.wants(2) ? GraphTensor(shape: $0.shape, floats: sumToShape(g, from: shape, to: $0.shape)) : nil },
    ]
  }
}

extension InstanceNormalizationOperator {
  var reverseReads: ReverseReads? { .inputs }

  /// As LayerNormalization's, per image and channel; scale and B get per-channel sums.
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let shape = try context.inputShape(0), channels = Self.channelShape(shape)
    let scale = try context.input(1), bias = try context.input(2)
    let full = expand(try requireFloat(scale, "scale"), channels, to: shape)
    let (dx, gxhat, _) = try normalizationReverse(
      context, runs: NormalizedRuns(shape, first: 2, last: shape.count - 1), epsilon: epsilon, scaleFull: full)
    return [
      GraphTensor(shape: shape, floats: dx),
      context.wants(1) ? GraphTensor(shape: scale.shape, floats: sumToShape(gxhat, from: shape, to: channels)) : nil,
      context.wants(2) ? GraphTensor(shape: bias.shape, floats: sumToShape(context.gradient(0), from: shape, to: channels)) : nil,
    ]
  }
}

extension GroupNormalizationOperator {
  var reverseReads: ReverseReads? { .inputs }

  /// As LayerNormalization's, per image and group; scale and bias get per-channel (or per-group) sums.
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let shape = try context.inputShape(0), channels = InstanceNormalizationOperator.channelShape(shape)
    let scale = try context.input(1), bias = try context.input(2)
    let perChannelScale = try perChannel(scale, shape)
    let full = expand(perChannelScale.floats, channels, to: shape)
    let count = shape.reduce(1, *), images = shape[0] * groups
    let (dx, gxhat, _) = try normalizationReverse(
      context, runs: NormalizedRuns(outer: images, n: count / max(1, images), inner: 1), epsilon: epsilon, scaleFull: full)
    func parameter(_ values: [Float], _ p: GraphTensor) -> GraphTensor {
      let c = shape[1]
      let sums = sumToShape(values, from: shape, to: channels)
      guard p.count != c else { return GraphTensor(shape: p.shape, floats: sums) }
      var grouped = [Float](repeating: 0, count: groups)
      for k in 0 ..< c { grouped[k / (c / groups)] += sums[k] }
      return GraphTensor(shape: p.shape, floats: grouped)
    }
    return [
      GraphTensor(shape: shape, floats: dx),
      context.wants(1) ? parameter(gxhat, scale) : nil,
      context.wants(2) ? parameter(context.gradient(0), bias) : nil,
    ]
  }
}
