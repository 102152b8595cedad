import ConvolveCore

/// ONNX Conv (2-D, or 1-D as height 1): group, dilations, strides, pads, auto_pad. With constant weights and
/// bias (the usual case) the plan prepares a `ConvKernelPlan` once (packed weights, the C kernels) and may fuse
/// the element-wise nodes after it into it; otherwise `convolutionLayer` (im2col + SGEMM, depthwise directly).
struct ConvOperator: PlannedKernelOperator {
  let kernelShape: [Int]?
  let window: WindowAttributes
  let group: Int
  /// Set when the plan is built, for the planned input shape.
  var kernel: ConvKernelPlan?

  init(_ node: Node, opset: Int) throws {
    kernelShape = try node.ints("kernel_shape")
    window = try WindowAttributes(node)
    group = try node.int("group", default: 1)
    guard group >= 1 else { throw ConvolveError.invalidArgument("group is \(group); it must be at least 1") }
  }

  struct Geometry {
    var bank: (m: Int, cg: Int, kh: Int, kw: Int)
    var layer: LayerGeometry
    var out: (h: Int, w: Int)
  }

  /// Checks the weight against the input and works out the layer's geometry.
  func geometry(x: [Int], w: [Int], bias: [Int]?) throws -> Geometry {
    let (_, c, h, width) = try spatialDims(x)
    let spatial = x.count - 2
    guard w.count == x.count else {
      throw ConvolveError.shapeMismatch("weight has shape \(shapeText(w)); a \(x.count)-d input needs a rank \(x.count) weight")
    }
    let m = w[0], cg = w[1]
    let (kh, kw) = spatial == 1 ? (1, w[2]) : (w[2], w[3])
    if let kernelShape, kernelShape != Array(w.dropFirst(2)) {
      throw ConvolveError.shapeMismatch("kernel_shape \(kernelShape) does not match the weight's shape \(shapeText(w))")
    }
    guard cg * group == c else {
      throw ConvolveError.shapeMismatch(
        "weight \(shapeText(w)) expects \(cg) input channels per group x \(group) group\(group == 1 ? "" : "s") = "
          + "\(cg * group); the input has \(c) channels")
    }
    guard m % group == 0, m >= 1, kh >= 1, kw >= 1 else {
      throw ConvolveError.shapeMismatch("weight \(shapeText(w)) does not fit group \(group)")
    }
    if let bias, bias != [m] {
      throw ConvolveError.shapeMismatch("bias has shape \(shapeText(bias)); the layer has \(m) output channels")
    }
    let (stride, dilation, pad) = try window.resolve(spatial: spatial, height: h, width: width, kernel: (kh, kw))
    let layer = LayerGeometry(stride: stride, padding: .explicit(pad), dilation: dilation, groups: group, rounding: .floor)
    let out = try layer.outputSize(inputHeight: h, inputWidth: width, kernelHeight: kh, kernelWidth: kw)
    return Geometry(bank: (m, cg, kh, kw), layer: layer, out: (out.height, out.width))
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "X"), w = try required(inputs, 1, "W")
    let bias = inputs.count > 2 ? inputs[2] : nil
    let g = try geometry(x: x.shape, w: w.shape, bias: bias?.shape)
    let n = x.shape[0]
    return [ValueType(x.rank == 3 ? [n, g.bank.m, g.out.w] : [n, g.bank.m, g.out.h, g.out.w])]
  }

  func multiplyAdds(inputs: [ValueType?], outputs: [ValueType]) -> Int {
    guard let w = inputs[1], let out = outputs.first else { return 0 }
    return out.shape.reduce(1, *) * w.shape.dropFirst().reduce(1, *)
  }

  func prepared(_ inputs: [KnownValue?]) -> any GraphOperator {
    guard let (x, dims, w, bias, biasShape) = plannableWeights(inputs),
      let g = try? geometry(x: x, w: w.shape, bias: biasShape),
      let plan = ConvKernelPlan(
        channels: dims.c, height: dims.h, width: dims.w, weights: w.floats, bias: bias,
        filters: g.bank.m, kh: g.bank.kh, kw: g.bank.kw, geometry: g.layer)
    else { return self }
    return with(plan)
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.take(0, "X"), w = try inputs.get(1, "W"), b = inputs.optional(2)
    let g = try geometry(x: x.shape, w: w.shape, bias: b?.shape)
    if let kernel {
      let (n, out) = try kernel.runBatch(x, fits: g.out == (kernel.outH, kernel.outW))
      let outShape = x.shape.count == 3 ? [n, g.bank.m, g.out.w] : [n, g.bank.m, g.out.h, g.out.w]
      return [GraphTensor(shape: outShape, floats: out)]
    }
    let bank = try FilterBank(
      outChannels: g.bank.m, inChannelsPerGroup: g.bank.cg, kernelHeight: g.bank.kh, kernelWidth: g.bank.kw,
      weights: try requireFloat(w, "W"), bias: try b.map { try requireFloat($0, "B") } ?? [])
    let (n, c, h, width) = try spatialDims(x.shape)
    let outShape = x.shape.count == 3 ? [n, g.bank.m, g.out.w] : [n, g.bank.m, g.out.h, g.out.w]
    let data = try requireFloat(x, "X")
    return [try perImage(n: n, c: c, h: h, w: width, data: data, outShape: outShape) { try convolutionLayer($0, bank, g.layer) }]
  }
}

/// Runs `body` on each image of a batch (`N` tensors `C × H × W`) and stacks the results. Batch 1 shares
/// the buffers both ways.
func perImage(
  n: Int, c: Int, h: Int, w: Int, data: [Float], outShape: [Int], _ body: (Tensor) throws -> Tensor
) throws -> GraphTensor {
  if n == 1 {
    let out = try body(Tensor(channels: c, height: h, width: w, data: data))
    return GraphTensor(shape: outShape, floats: out.data)
  }
  let per = c * h * w
  var result: [Float] = []
  result.reserveCapacity(outShape.reduce(1, *))
  for i in 0 ..< n {
    let image = Tensor(channels: c, height: h, width: w, data: Array(data[i * per ..< (i + 1) * per]))
    result.append(contentsOf: try body(image).data)
  }
  return GraphTensor(shape: outShape, floats: result)
}

extension ConvOperator {
  /// A window over the input (see `FieldAxis.window`).
  func receptiveField(_ context: FieldContext) throws -> ReceptiveField? {
    guard context.spatial else { return context.merged() }
    guard let w = context.shape(ofInput: 1) else { return nil }
    let g = try geometry(x: context.inShape, w: w, bias: nil).layer
    let pad = try g.resolvedPadding(kernelHeight: w[2], kernelWidth: w[3])
    var field = context.field
    let (oh, ow) = context.outSize
    field.y = field.y.window(kernel: w[2], stride: g.strideY, padBefore: pad.top, dilation: g.dilationY, outputs: oh)
    field.x = field.x.window(kernel: w[3], stride: g.strideX, padBefore: pad.left, dilation: g.dilationX, outputs: ow)
    return field
  }
}
