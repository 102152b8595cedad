import ConvolveCore

/// ONNX Resize (opsets 10 to 18, without the axes attribute) and the older Upsample, through ConvolveCore's
/// `Tensor.resized`: nearest or linear over the last two dimensions, every coordinate transformation mode but
/// tf_crop_and_resize, every nearest_mode; cubic, and antialias, through `ResizeFilter`. Leading dimensions keep
/// their size.
struct ResizeOperator: GraphOperator {
  let options: ResizeOptions
  /// Set for `mode` cubic and for antialias (`options` then holds the coordinate mode).
  var filter: ResizeFilter? = nil
  /// Upsample before opset 9 gives its scales as an attribute.
  let attributeScales: [Float]?
  let scalesInput: Int?, sizesInput: Int?
  /// `convolve.Resize`: given both scales and sizes, the sizes set the output shape and the scales the
  /// coordinate mapping (standard Resize takes one of them).
  let scaleFactor: Bool

  /// The node's `mode` attribute: nearest, or linear (`bilinear` in the deprecated Upsample).
  private static func interpolation(_ node: Node) throws -> InterpolationMode {
    let modeText = try node.string("mode", default: "nearest")
    switch modeText {
    case "nearest": return .nearest
    case "linear", "bilinear", "cubic": return .linear
    default: throw ConvolveError.invalidArgument("mode '\(modeText)' is not supported (nearest, linear and cubic are)")
    }
  }

  init(_ node: Node, opset: Int, scaleFactor: Bool = false) throws {
    self.scaleFactor = scaleFactor
    let mode = try Self.interpolation(node)
    if opset < 11 {
      options = ResizeOptions(mode: mode, coordinates: .asymmetric, nearest: .simple)
      (scalesInput, sizesInput) = (1, nil)
    } else {
      let coordinatesText = try node.string("coordinate_transformation_mode", default: "half_pixel")
      guard let coordinates = CoordinateTransformation(rawValue: coordinatesText) else {
        throw ConvolveError.invalidArgument("coordinate_transformation_mode '\(coordinatesText)' is not supported")
      }
      let nearestText = try node.string("nearest_mode", default: "round_prefer_floor")
      guard let nearest = NearestRounding(rawValue: nearestText), nearest != .simple else {
        throw ConvolveError.invalidArgument("nearest_mode '\(nearestText)' is not supported")
      }
      options = ResizeOptions(mode: mode, coordinates: coordinates, nearest: nearest)
      (scalesInput, sizesInput) = (2, 3)
      let antialias = try node.int("antialias", default: 0) != 0
      if antialias && mode == .nearest { throw ConvolveError.invalidArgument("antialias is not supported with mode nearest") }
      if node.attributes["axes"] != nil { throw ConvolveError.invalidArgument("the axes attribute is not supported") }
      let policy = try node.string("keep_aspect_ratio_policy", default: "stretch")
      if policy != "stretch" { throw ConvolveError.invalidArgument("keep_aspect_ratio_policy '\(policy)' is not supported") }
    }
    attributeScales = nil
    let cubic = try node.string("mode", default: "nearest") == "cubic", antialias = try node.int("antialias", default: 0) != 0
    if cubic || (antialias && opset >= 18) {
      filter = ResizeFilter(
        cubic: cubic, a: try node.float("cubic_coeff_a", default: -0.75),
        excludeOutside: try node.int("exclude_outside", default: 0) != 0, antialias: antialias && opset >= 18)
    }
  }

  /// `convolve.Resize`, PyTorch's `interpolate(scale_factor=...)`: Resize (opset 11 on) whose output shape
  /// comes from `sizes` while the coordinates use `scales`. PyTorch sizes the output `floor(n · factor)` in
  /// double precision, which ONNX's float `floor(n · scale)` can miss by one; pipeline upsample stages use
  /// this node when the two differ.
  init(scaleFactor node: Node, opset: Int) throws {
    try self.init(node, opset: max(opset, 11), scaleFactor: true)
  }

  /// The deprecated Upsample: scales as an attribute (opset 7) or input 1 (opset 9), asymmetric coordinates.
  init(upsample node: Node, opset: Int) throws {
    scaleFactor = false
    let mode = try Self.interpolation(node)
    if try node.string("mode", default: "nearest") == "cubic" { throw ConvolveError.invalidArgument("Upsample has no cubic mode; use Resize") }
    options = ResizeOptions(mode: mode, coordinates: .asymmetric, nearest: .simple)
    attributeScales = try node.floats("scales")
    (scalesInput, sizesInput) = (attributeScales == nil ? 1 : nil, nil)
  }

  /// Output shape and the scales used in the coordinate mapping.
  func resolve(input shape: [Int], scales: [Float]?, sizes: [Int]?) throws -> (shape: [Int], scales: [Float]) {
    let rank = shape.count
    let out: [Int], used: [Float]
    if scaleFactor, let sizes, !sizes.isEmpty, let scales, !scales.isEmpty {
      guard sizes.count == rank, scales.count == rank else {
        throw ConvolveError.shapeMismatch(
          "scales has \(scales.count) values and sizes \(sizes.count); the input has \(rank) dimensions")
      }
      guard sizes.allSatisfy({ $0 >= 1 }) else { throw ConvolveError.invalidArgument("sizes \(sizes) must be positive") }
      guard scales.allSatisfy({ $0.isFinite && $0 > 0 }) else {
        throw ConvolveError.invalidArgument("scales \(scales) must be positive numbers")
      }
      out = sizes
      used = scales
    } else if let sizes, !sizes.isEmpty {
      guard sizes.count == rank else {
        throw ConvolveError.shapeMismatch("sizes has \(sizes.count) values; the input has \(rank) dimensions")
      }
      guard sizes.allSatisfy({ $0 >= 1 }) else { throw ConvolveError.invalidArgument("sizes \(sizes) must be positive") }
      out = sizes
      used = zip(sizes, shape).map { Float($0) / Float(Swift.max(1, $1)) }
    } else if let scales, !scales.isEmpty {
      guard scales.count == rank else {
        throw ConvolveError.shapeMismatch("scales has \(scales.count) values; the input has \(rank) dimensions")
      }
      guard scales.allSatisfy({ $0.isFinite && $0 > 0 && $0 < 1e6 }) else {
        throw ConvolveError.invalidArgument("scales \(scales) must be positive numbers")
      }
      out = zip(shape, scales).map { Int(Float($0) * $1) }
      used = scales
    } else {
      throw ConvolveError.invalidArgument("neither scales nor sizes is given")
    }
    for i in 0 ..< Swift.max(0, rank - 2) where out[i] != shape[i] {
      throw ConvolveError.invalidArgument(
        "resizing dimension \(i) (\(shape[i]) to \(out[i])) is not supported; only the last two dimensions are resized")
    }
    _ = try checkedCount(out)
    return (out, used)
  }

  func scalesAndSizes(_ value: (Int) throws -> GraphTensor?) throws -> ([Float]?, [Int]?) {
    let scales = try attributeScales ?? scalesInput.flatMap { try value($0) }?.floats
    let sizes = try sizesInput.flatMap { try value($0) }?.ints
    return (scales, sizes)
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "X")
    guard x.rank >= 1 else { throw ConvolveError.shapeMismatch("cannot resize a scalar") }
    let (scales, sizes) = try scalesAndSizes { try constantInput(inputs, $0, $0 == scalesInput ? "scales" : "sizes") }
    return [ValueType(try resolve(input: x.shape, scales: scales, sizes: sizes).shape)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.take(0, "X")
    let (scales, sizes) = try scalesAndSizes { inputs.optional($0) }
    let (outShape, used) = try resolve(input: x.shape, scales: scales, sizes: sizes)
    let rank = x.shape.count
    let h = rank >= 2 ? x.shape[rank - 2] : 1, w = x.shape[rank - 1]
    let oh = rank >= 2 ? outShape[rank - 2] : 1, ow = outShape[rank - 1]
    let planes = x.shape.dropLast(Swift.min(2, rank)).reduce(1, *)
    if let filter {
      let values = filter.apply(
        try requireFloat(x, "X"), planes: planes, h: h, w: w, oh: oh, ow: ow, scaleY: rank >= 2 ? used[rank - 2] : 1,
        scaleX: used[rank - 1], coordinates: options.coordinates)
      return [GraphTensor(shape: outShape, floats: values)]
    }
    let image = Tensor(channels: planes, height: h, width: w, data: try requireFloat(x, "X"))
    let resized = try image.resized(
      height: oh, width: ow, scaleY: rank >= 2 ? used[rank - 2] : 1, scaleX: used[rank - 1], options: options)
    return [GraphTensor(shape: outShape, floats: resized.data)]
  }
}

extension ResizeOperator {
  /// Each axis as `FieldAxis.resized` says for the coordinate mode and interpolation.
  func receptiveField(_ context: FieldContext) throws -> ReceptiveField? {
    guard context.spatial else { return context.merged() }
    let inShape = context.inShape, (oh, ow) = context.outSize
    let (scales, sizes) = (try? scalesAndSizes { context.constant($0) }) ?? (nil, nil)
    let used = (try? resolve(input: inShape, scales: scales, sizes: sizes).scales)
      ?? [1, 1, Float(oh) / Float(inShape[2]), Float(ow) / Float(inShape[3])]
    var field = context.field
    field.y = resizedAxis(field.y, n: inShape[2], m: oh, scale: Double(used[2]))
    field.x = resizedAxis(field.x, n: inShape[3], m: ow, scale: Double(used[3]))
    return field
  }

  /// An axis from `n` to `m` samples (see `FieldAxis`): output `o` reads input coordinate `a + o·b`.
  private func resizedAxis(_ axis: FieldAxis, n: Int, m: Int, scale: Double) -> FieldAxis {
    let step: Double, offset: Double
    switch options.coordinates {
    case .alignCorners: (step, offset) = (m > 1 ? Double(n - 1) / Double(m - 1) : 0, 0)
    case .asymmetric: (step, offset) = (1 / scale, 0)
    case .tfHalfPixelForNN: (step, offset) = (1 / scale, 0.5 / scale)
    case .halfPixel, .pytorchHalfPixel: (step, offset) = (1 / scale, 0.5 / scale - 0.5)
    }
    guard options.mode == .nearest else {
      return axis.resized(offset: offset, step: step, shift: 0, taps: filter?.cubic == true ? 4 : 2, outputs: m)
    }
    let shift: Double
    switch options.nearest {
    case .floor: shift = -0.5
    case .ceil: shift = 0.5
    case .simple: shift = m < n ? 0.5 : -0.5
    default: shift = 0
    }
    return axis.resized(offset: offset, step: step, shift: shift, taps: 1, outputs: m)
  }
}
