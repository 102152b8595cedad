// Filtering a photo a strip of rows at a time, so that memory depends on the width and the kernel, not the
// height. The strips give the same values as the whole image: every output row is computed by the plan the
// whole image would use, from the same padded rows (`ConvolutionGeometry(strip:)`).

/// A filter's kernels on a `height x width` photo, run on output rows `rows` from the input rows
/// `inputRows(for: rows)` alone. Made by `StripPlan.make`, which says why when the strips cannot give the
/// whole image's result.
public struct StripPlan {
  public let height: Int, width: Int
  /// Output rows a strip starts at a multiple of: 64 when a kernel runs on running box sums (they restart
  /// every 64 rows), else 1.
  public let rowAlignment: Int
  let filter: ResolvedFilter
  let kernels: [(geometry: ConvolutionGeometry, plan: Plan)]

  enum Plan {
    case direct(Kernel), separable(Kernel, Kernel), box(Float, Kernel)
    /// A 1x1 kernel of weight 1: the input rows as they are. The direct plan's `0 + 1 · x` differs only for -0
    /// (it gives +0), which a decoded photo never holds and every output mapping writes alike.
    case identity
  }

  /// The plan for `channels` maps at a time, or the reason the whole image is needed: a wrap border, an output
  /// of another size than the input (mode, padding, stride), a kernel on the FFT path (its tiles span the image).
  public static func make(
    filter: ResolvedFilter, options: ConvolutionOptions, channels: Int, height: Int, width: Int
  ) throws
    -> Result<StripPlan, StripRefusal>
  {
    if options.border == .wrap { return .failure(StripRefusal("the wrap border reads the opposite edge")) }
    guard let first = filter.kernels.first else {
      throw ConvolveError.invalidArgument("filter '\(filter.name)' has no kernels")
    }
    var kernels: [(ConvolutionGeometry, Plan)] = []
    var alignment = 1
    for kernel in filter.combine == .magnitude ? filter.kernels : [first] {
      let k = options.correlate ? kernel : kernel.flipped
      let g = try ConvolutionGeometry(options, height: height, width: width, kernel: k)
      guard g.outH == height, g.outW == width, g.sy == 1 else {
        return .failure(StripRefusal("the output is \(g.outW)x\(g.outH), not the input's size (mode, padding or stride)"))
      }
      if k.height == 1 && k.width == 1 && k.weights[0] == 1 {
        kernels.append((g, .identity))
        continue
      }
      switch KernelPlan(k, geometry: g, channels: channels) {
      case .box(let weight):
        kernels.append((g, .box(weight, k)))
        alignment = 64
      case .separable(let column, let row): kernels.append((g, .separable(column, row)))
      case .fft: return .failure(StripRefusal("a \(planeSizeText(height: k.height, width: k.width)) kernel runs on the FFT path, whose tiles span the image"))
      case .direct: kernels.append((g, .direct(k)))
      }
    }
    return .success(StripPlan(height: height, width: width, rowAlignment: alignment, filter: filter, kernels: kernels))
  }

  /// The input rows that output rows `rows` read (through the border rule at the top and bottom).
  public func inputRows(for rows: Range<Int>) -> Range<Int> {
    var low = Int.max, high = Int.min
    for (g, _) in kernels {
      let sources = g.padded.rowSources
      for p in rows.lowerBound * g.sy ..< min(sources.count, (rows.upperBound - 1) * g.sy + g.extentY) where sources[p] >= 0 {
        low = min(low, sources[p])
        high = max(high, sources[p])
      }
    }
    return low <= high ? low ..< high + 1 : rows.lowerBound ..< rows.lowerBound
  }

  /// Output rows `rows` of every channel of `strip`, which holds input rows `inputRows` (at least
  /// `inputRows(for: rows)`), combined as the filter's `apply` combines them.
  public func apply(_ strip: Tensor, inputRows: Range<Int>, rows: Range<Int>) throws -> Tensor {
    var output = Tensor(channels: 0, height: 0, width: 0)
    try apply(strip, inputRows: inputRows, rows: rows, into: &output)
    return output
  }

  /// `apply` into `output`, reshaped over its own storage when it can be (`Tensor.reshapeReusingStorage`).
  public func apply(_ strip: Tensor, inputRows: Range<Int>, rows: Range<Int>, into output: inout Tensor) throws {
    precondition(strip.height == inputRows.count && strip.width == width, "the strip does not hold inputRows")
    func run(_ kernel: Int, into out: inout Tensor) {
      let (full, plan) = kernels[kernel]
      let g = ConvolutionGeometry(strip: full, rows: rows, inputRows: inputRows)
      switch plan {
      case .direct(let k): DirectPlan(kernel: k, geometry: g).run(strip, into: &out)
      case .separable(let column, let row): SeparablePlan(column: column, row: row, geometry: g).run(strip, into: &out)
      case .box(let weight, let k): BoxPlan(weight: weight, kernel: k, geometry: g).run(strip, into: &out)
      case .identity: strip.copyRows(rows.lowerBound - inputRows.lowerBound ..< rows.upperBound - inputRows.lowerBound, into: &out)
      }
    }
    run(0, into: &output)
    let rest = kernels.indices.dropFirst().map { kernel -> Tensor in
      var out = Tensor(channels: 0, height: 0, width: 0)
      run(kernel, into: &out)
      return out
    }
    try filter.combine(into: &output, rest[...])
  }
}

/// Why a filter cannot run in strips, in words for `--verbose`.
public struct StripRefusal: Error, Equatable, Sendable {
  public let reason: String
  public init(_ reason: String) { self.reason = reason }
}

/// A photo filtered strip by strip as `applyToPhoto` filters it whole: linear light, alpha and the output
/// mapping per strip. `.normalize` needs the whole result's range and is refused by `make`.
public struct PhotoStrips {
  public let plan: StripPlan
  let outputRange: OutputMapping?
  let settings: PhotoFilterOptions
  /// Whether the photo's alpha is anything but opaque (`applyToPhoto` decides on the whole alpha channel).
  let premultiply: Bool
  /// Whether `apply` gives the window itself: a 1x1 identity kernel on a photo without alpha, with no tone curve,
  /// offset or output mapping around it.
  public let passesWindowThrough: Bool

  /// The strips for a photo of `channels x height x width`; `alphaIsOpaque` is whether every alpha value is 1
  /// (read ahead by the caller; nil when unknown, which refuses with `--alpha premultiply`).
  public static func make(
    filter: ResolvedFilter, options: ConvolutionOptions, outputRange: OutputMapping?,
    photoOptions settings: PhotoFilterOptions, channels: Int, height: Int, width: Int, alphaIsOpaque: Bool?
  ) throws -> Result<PhotoStrips, StripRefusal> {
    if (outputRange ?? filter.output) == .normalize {
      return .failure(StripRefusal("--output-range normalize needs the whole result's range"))
    }
    let hasAlpha = channels == 2 || channels == 4
    var premultiply = false
    if hasAlpha && settings.alpha == .premultiply {
      guard let alphaIsOpaque else { return .failure(StripRefusal("premultiplied alpha needs the whole alpha channel")) }
      premultiply = !alphaIsOpaque
    }
    // The maps convolved together, as `applyToPhoto` passes them (the path choice depends on their number).
    let convolved = (hasAlpha ? channels - 1 : channels) + (premultiply && filter.averages ? 1 : 0)
    switch try StripPlan.make(filter: filter, options: options, channels: convolved, height: height, width: width) {
    case .failure(let refusal): return .failure(refusal)
    case .success(let plan):
      let identity: Bool
      if case .identity = plan.kernels[0].plan { identity = true } else { identity = false }
      let passes =
        identity && filter.combine == .single && filter.offset == 0 && (outputRange ?? filter.output) == .clip
        && settings.linear == nil && !hasAlpha
      return .success(
        PhotoStrips(
          plan: plan, outputRange: outputRange, settings: settings, premultiply: premultiply,
          passesWindowThrough: passes))
    }
  }

  /// The mapped output rows `rows` (with alpha, as `applyToPhoto`'s `mapped`) from `window`, the photo's input
  /// rows `inputRows` (at least `plan.inputRows(for: rows)`).
  public func apply(_ window: Tensor, inputRows: Range<Int>, rows: Range<Int>) throws -> Tensor {
    var output = Tensor(channels: 0, height: 0, width: 0)
    try apply(window, inputRows: inputRows, rows: rows, into: &output)
    return output
  }

  /// `apply` into `output`: a plain filter (no alpha, tone curve or output mapping) writes over `output`'s storage
  /// (`Tensor.reshapeReusingStorage`), so a buffer reused strip after strip touches no fresh memory; the identity
  /// on a window of just `rows` gives `output` the window's storage.
  public func apply(_ window: Tensor, inputRows: Range<Int>, rows: Range<Int>, into output: inout Tensor) throws {
    let first = rows.lowerBound - inputRows.lowerBound
    let mapped = try plan.filter.photoPass(
      window, premultiply: premultiply, outputRange: outputRange, settings: settings,
      alphaFor: { alpha, _ in alpha.rows(first ..< first + rows.count) },
      convolve: { color in
        try plan.apply(color, inputRows: inputRows, rows: rows, into: &output)
        return output
      }
    ).mapped
    output = mapped
  }
}

extension Tensor {
  /// Rows `rows` of every channel into `out`, reshaped over its own storage (`reshapeReusingStorage`); all rows
  /// give `out` this tensor's storage, no copy.
  func copyRows(_ rows: Range<Int>, into out: inout Tensor) {
    if rows == 0 ..< height {
      out = self
      return
    }
    out.reshapeReusingStorage(channels: channels, height: rows.count, width: width)
    let n = rows.count * width
    data.withUnsafeBufferPointer { src in
      out.data.withUnsafeMutableBufferPointer { dst in
        for c in 0 ..< channels {
          (dst.baseAddress! + c * n).update(from: src.baseAddress! + c * planeSize + rows.lowerBound * width, count: n)
        }
      }
    }
  }

  /// Rows `rows` of every channel.
  func rows(_ rows: Range<Int>) -> Tensor {
    var out = Tensor(channels: 0, height: 0, width: 0)
    copyRows(rows, into: &out)
    return out
  }
}
