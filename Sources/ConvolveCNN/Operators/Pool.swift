import ConvolveCore

/// The window geometry ONNX's MaxPool and AveragePool share, resolved to a ConvolveCore `Pooling` for one input shape.
struct PoolAttributes {
  let kernelShape: [Int]
  let window: WindowAttributes
  let ceilMode: Bool

  init(_ node: Node) throws {
    guard let kernel = try node.ints("kernel_shape") else { throw ConvolveError.invalidArgument("kernel_shape is missing") }
    guard kernel.allSatisfy({ $0 >= 1 }) else { throw ConvolveError.invalidArgument("kernel_shape \(kernel) must be positive") }
    kernelShape = kernel
    window = try WindowAttributes(node)
    ceilMode = try node.int("ceil_mode", default: 0) != 0
  }

  /// The pooling for an input of the given shape (N×C×H×W, or N×C×W as height 1), and the output shape.
  func pooling(_ kind: PoolingKind, input shape: [Int], countIncludesPadding: Bool) throws -> (Pooling, [Int]) {
    let (n, c, h, w) = try spatialDims(shape)
    let spatial = shape.count - 2
    let (kh, kw) = try pair(kernelShape, rank: spatial, default: 1, "kernel_shape")
    let ((sy, sx), (dy, dx), pad) = try window.resolve(spatial: spatial, height: h, width: w, kernel: (kh, kw))
    var pooling = Pooling(
      kind, kernelHeight: kh, kernelWidth: kw, strideY: sy, strideX: sx, padding: pad, rounding: ceilMode ? .ceil : .floor)
    (pooling.dilationY, pooling.dilationX) = (dy, dx)
    pooling.countIncludesPadding = countIncludesPadding
    pooling.allowsPaddingBelowKernel = true
    let (oh, ow) = try pooling.outputSize(inputHeight: h, inputWidth: w)
    return (pooling, spatial == 1 ? [n, c, ow] : [n, c, oh, ow])
  }

  /// Pools the N·C planes of `x` as one stack of channels.
  func run(_ kind: PoolingKind, _ x: GraphTensor, countIncludesPadding: Bool) throws -> GraphTensor {
    let (pooling, outShape) = try pooling(kind, input: x.shape, countIncludesPadding: countIncludesPadding)
    let (n, c, h, w) = try spatialDims(x.shape)
    let image = Tensor(channels: n * c, height: h, width: w, data: try requireFloat(x, "X"))
    return GraphTensor(shape: outShape, floats: try pooling.apply(to: image).data)
  }
}

extension PoolAttributes {
  /// The window's receptive field (see `FieldAxis.window`), the same for MaxPool and AveragePool.
  func receptiveField(_ context: FieldContext) throws -> ReceptiveField? {
    guard context.spatial else { return context.merged() }
    let (p, _) = try pooling(.max, input: context.inShape, countIncludesPadding: true)
    var field = context.field
    let (oh, ow) = context.outSize
    field.y = field.y.window(kernel: p.kernelHeight, stride: p.strideY, padBefore: p.padding.top, dilation: p.dilationY, outputs: oh)
    field.x = field.x.window(kernel: p.kernelWidth, stride: p.strideX, padBefore: p.padding.left, dilation: p.dilationX, outputs: ow)
    return field
  }
}
