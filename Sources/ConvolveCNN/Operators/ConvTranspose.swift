import ConvolveCore

/// ONNX ConvTranspose (2-D, or 1-D as height 1): group, strides, dilations, pads (asymmetric too),
/// output_padding, output_shape and auto_pad, through ConvolveCore's `transposedConvolution`; a layer whose
/// kernel equals its stride (the usual 2x2 stride-2 upsampling) with constant weights runs on the C kernels.
struct ConvTransposeOperator: PlannedKernelOperator {
  let kernelShape: [Int]?
  let window: WindowAttributes
  let outputPadding: [Int]?, outputShape: [Int]?
  let group: Int
  /// Set when the plan is built, for a kernel-equals-stride layer with constant weights (`ConvTransposeKernelPlan`).
  var kernel: ConvTransposeKernelPlan?

  init(_ node: Node, opset: Int) throws {
    kernelShape = try node.ints("kernel_shape")
    window = try WindowAttributes(node)
    outputPadding = try node.ints("output_padding")
    outputShape = try node.ints("output_shape")
    group = try node.int("group", default: 1)
    guard group >= 1 else { throw ConvolveError.invalidArgument("group is \(group); it must be at least 1") }
  }

  struct Axis {
    var stride: Int, dilation: Int, kernel: Int, begin: Int, end: Int, adjust: Int, output: Int
    /// The size without padding or output padding: `s(n - 1) + d(k - 1) + 1`.
    var full: Int
  }

  struct Geometry {
    var cin: Int, coutPerGroup: Int
    var y: Axis, x: Axis
  }

  func geometry(x: [Int], w: [Int], bias: [Int]?) throws -> Geometry {
    let (_, c, h, width) = try spatialDims(x)
    let spatial = x.count - 2
    guard w.count == x.count else {
      throw ConvolveError.shapeMismatch("weight has shape \(shapeText(w)); a \(x.count)-d input needs a rank \(x.count) weight")
    }
    if let kernelShape, kernelShape != Array(w.dropFirst(2)) {
      throw ConvolveError.shapeMismatch("kernel_shape \(kernelShape) does not match the weight's shape \(shapeText(w))")
    }
    guard w[0] == c else {
      throw ConvolveError.shapeMismatch("weight \(shapeText(w)) expects \(w[0]) input channels; the input has \(c)")
    }
    guard c % group == 0, w[1] >= 1 else {
      throw ConvolveError.shapeMismatch("group \(group) does not divide the \(c) input channels")
    }
    let cout = w[1] * group
    if let bias, bias != [cout] {
      throw ConvolveError.shapeMismatch("bias has shape \(shapeText(bias)); the layer has \(cout) output channels")
    }
    let (kh, kw) = spatial == 1 ? (1, w[2]) : (w[2], w[3])
    let (sy, sx) = try pair(window.strides, rank: spatial, default: 1, "strides")
    let (dy, dx) = try pair(window.dilations, rank: spatial, default: 1, "dilations")
    let (ay, ax) = try pair(outputPadding, rank: spatial, default: 0, "output_padding")
    let explicit = try padding(window.pads, spatial: spatial)
    let shape = try outputShape.map { s -> (Int, Int) in
      // output_shape may include N and C.
      let spatialPart = s.count == spatial + 2 ? Array(s.dropFirst(2)) : s
      return try pair(spatialPart, rank: spatial, default: 1, "output_shape")
    }
    for (name, v) in [("strides", sy), ("strides", sx), ("dilations", dy), ("dilations", dx)] where v < 1 {
      throw ConvolveError.invalidArgument("\(name) must be at least 1, got \(v)")
    }
    for v in [ay, ax] where v < 0 { throw ConvolveError.invalidArgument("output_padding must not be negative, got \(v)") }
    // As the ONNX spec and ONNX Runtime: an output_shape decides the padding (an odd sample at the start,
    // at the end for SAME_UPPER); auto_pad SAME without one keeps n·stride.
    func axis(_ n: Int, _ k: Int, _ s: Int, _ d: Int, _ adj: Int, _ pad: (Int, Int), _ wanted: Int?) throws -> Axis {
      let full = s * (n - 1) + d * (k - 1) + 1
      var (begin, end) = pad
      if let wanted {
        let total = max(0, full + adj - wanted)
        (begin, end) = window.autoPad == .sameUpper ? (total / 2, total - total / 2) : (total - total / 2, total / 2)
      } else if window.autoPad == .sameUpper || window.autoPad == .sameLower {
        let total = max(0, full + adj - n * s)
        (begin, end) = window.autoPad == .sameUpper ? (total / 2, total - total / 2) : (total - total / 2, total / 2)
      } else if window.autoPad == .valid {
        (begin, end) = (0, 0)
      }
      // An output_shape beyond the unpadded size (by less than a stride, as onnxruntime takes it) is met: the
      // samples past the unpadded result hold the bias.
      let output = wanted ?? (full + adj - begin - end)
      guard output >= 1 else {
        throw ConvolveError.shapeMismatch("the output would be \(output) samples long; the padding is too large")
      }
      return Axis(stride: s, dilation: d, kernel: k, begin: begin, end: end, adjust: adj, output: output, full: full)
    }
    let ya = try axis(h, kh, sy, dy, ay, (explicit.top, explicit.bottom), shape?.0)
    let xa = try axis(width, kw, sx, dx, ax, (explicit.left, explicit.right), shape?.1)
    return Geometry(cin: c, coutPerGroup: w[1], y: ya, x: xa)
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "X"), w = try required(inputs, 1, "W")
    let g = try geometry(x: x.shape, w: w.shape, bias: (inputs.count > 2 ? inputs[2] : nil)?.shape)
    let n = x.shape[0], cout = g.coutPerGroup * group
    return [ValueType(x.rank == 3 ? [n, cout, g.x.output] : [n, cout, g.y.output, g.x.output])]
  }

  func multiplyAdds(inputs: [ValueType?], outputs: [ValueType]) -> Int {
    guard let x = inputs[0], let w = inputs[1] else { return 0 }
    return x.shape.reduce(1, *) * w.shape.dropFirst().reduce(1, *)
  }

  func prepared(_ inputs: [KnownValue?]) -> any GraphOperator {
    guard group == 1, let (x, dims, w, bias, biasShape) = plannableWeights(inputs),
      let g = try? geometry(x: x, w: w.shape, bias: biasShape),
      g.y.kernel == g.y.stride, g.x.kernel == g.x.stride, g.y.dilation == 1, g.x.dilation == 1,
      g.y.output == dims.h * g.y.stride, g.x.output == dims.w * g.x.stride, g.y.begin == 0, g.x.begin == 0,
      let plan = ConvTransposeKernelPlan(
        channels: dims.c, height: dims.h, width: dims.w, weights: w.floats, bias: bias,
        outChannels: g.coutPerGroup, kh: g.y.kernel, kw: g.x.kernel)
    else { return self }
    return with(plan)
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.take(0, "X"), w = try inputs.get(1, "W"), b = inputs.optional(2)
    let g = try geometry(x: x.shape, w: w.shape, bias: b?.shape)
    if let kernel {
      let (n, out) = try kernel.runBatch(x)
      let cout = g.coutPerGroup
      return [GraphTensor(shape: x.shape.count == 3 ? [n, cout, g.x.output] : [n, cout, g.y.output, g.x.output], floats: out)]
    }
    let bias = try b.map { try requireFloat($0, "B") } ?? []
    let bank = try FilterBank(
      outChannels: g.cin, inChannelsPerGroup: g.coutPerGroup, kernelHeight: g.y.kernel, kernelWidth: g.x.kernel,
      weights: try requireFloat(w, "W"), bias: bias)
    let (n, c, h, width) = try spatialDims(x.shape)
    let cout = g.coutPerGroup * group
    let outShape = x.shape.count == 3 ? [n, cout, g.x.output] : [n, cout, g.y.output, g.x.output]
    // ConvolveCore's geometry takes equal padding on both sides and output padding below max(stride, dilation);
    // anything else runs unpadded and is cropped (or extended with the bias) here.
    let direct = g.y.begin == g.y.end && g.x.begin == g.x.end
      && g.y.adjust < max(g.y.stride, g.y.dilation) && g.x.adjust < max(g.x.stride, g.x.dilation)
      && g.y.output == g.y.full + g.y.adjust - 2 * g.y.begin && g.x.output == g.x.full + g.x.adjust - 2 * g.x.begin
    var geometry = TransposedGeometry(groups: group)
    (geometry.strideY, geometry.strideX) = (g.y.stride, g.x.stride)
    (geometry.dilationY, geometry.dilationX) = (g.y.dilation, g.x.dilation)
    if direct {
      (geometry.paddingY, geometry.paddingX) = (g.y.begin, g.x.begin)
      (geometry.outputPaddingY, geometry.outputPaddingX) = (g.y.adjust, g.x.adjust)
    }
    let data = try requireFloat(x, "X")
    return [
      try perImage(n: n, c: c, h: h, w: width, data: data, outShape: outShape) { image in
        let full = try transposedConvolution(image, bank, geometry)
        return direct ? full : crop(full, g, bias: bias)
      }
    ]
  }

  /// Output rows/columns `o` are the unpadded result's `o + begin`, or the bias where that falls outside it.
  private func crop(_ full: Tensor, _ g: Geometry, bias: [Float]) -> Tensor {
    let (oh, ow) = (g.y.output, g.x.output)
    var out = Tensor(channels: full.channels, height: oh, width: ow)
    let cols = max(0, min(ow, full.width - g.x.begin))
    full.data.withUnsafeBufferPointer { src in
      out.data.withUnsafeMutableBufferPointer { dst in
        for c in 0 ..< full.channels {
          let fill = bias.isEmpty ? 0 : bias[c]
          for y in 0 ..< oh {
            let row = dst.baseAddress! + (c * oh + y) * ow
            let sy = y + g.y.begin
            guard sy < full.height else {
              row.update(repeating: fill, count: ow)
              continue
            }
            if cols > 0 { row.update(from: src.baseAddress! + (c * full.height + sy) * full.width + g.x.begin, count: cols) }
            if cols < ow { (row + cols).update(repeating: fill, count: ow - cols) }
          }
        }
      }
    }
    return out
  }
}

extension ConvTransposeOperator {
  /// See `FieldAxis.transposed`.
  func receptiveField(_ context: FieldContext) throws -> ReceptiveField? {
    guard context.spatial else { return context.merged() }
    guard let w = context.shape(ofInput: 1) else { return nil }
    let g = try geometry(x: context.inShape, w: w, bias: nil)
    var field = context.field
    let (oh, ow) = context.outSize
    field.y = field.y.transposed(kernel: g.y.kernel, stride: g.y.stride, padBefore: g.y.begin, dilation: g.y.dilation, outputs: oh)
    field.x = field.x.transposed(kernel: g.x.kernel, stride: g.x.stride, padBefore: g.x.begin, dilation: g.x.dilation, outputs: ow)
    return field
  }
}
