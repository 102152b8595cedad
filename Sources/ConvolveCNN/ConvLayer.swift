import CKernels
import ConvolveCore

/// The weights of a convolution layer: `outChannels` filters, each `inChannelsPerGroup × kernelHeight × kernelWidth`.
///
/// `weights` is laid out `[outChannels][inChannelsPerGroup][kernelHeight][kernelWidth]`, as PyTorch's
/// `Conv2d.weight`. `bias` has one entry per output channel of the layer that uses the bank, or none:
/// `outChannels` for `convolutionLayer`, `inChannelsPerGroup × groups` for `transposedConvolution`.
public struct FilterBank: Equatable, Sendable {
  public var outChannels: Int
  public var inChannelsPerGroup: Int
  public var kernelHeight: Int
  public var kernelWidth: Int
  public var weights: [Float]
  public var bias: [Float]

  public init(
    outChannels: Int, inChannelsPerGroup: Int, kernelHeight: Int, kernelWidth: Int, weights: [Float],
    bias: [Float] = []
  ) throws {
    for (name, value) in [
      ("output channels", outChannels), ("input channels per group", inChannelsPerGroup),
      ("kernel height", kernelHeight), ("kernel width", kernelWidth),
    ] where value < 1 {
      throw ConvolveError.invalidArgument("filter bank \(name) is \(value); it must be at least 1")
    }
    let expected = outChannels * inChannelsPerGroup * kernelHeight * kernelWidth
    guard weights.count == expected else {
      throw ConvolveError.shapeMismatch(
        "filter bank has \(weights.count) weights; \(outChannels)x\(inChannelsPerGroup)x\(kernelHeight)x\(kernelWidth) (NxCxHxW) "
          + "needs \(expected)")
    }
    self.outChannels = outChannels
    self.inChannelsPerGroup = inChannelsPerGroup
    self.kernelHeight = kernelHeight
    self.kernelWidth = kernelWidth
    self.weights = weights
    self.bias = bias
  }

  /// Learnable values: every weight plus every bias, e.g. ten 5x5x3 filters with bias have 760.
  public var parameterCount: Int { weights.count + bias.count }

  /// Weights of one filter and input channel, row-major `kernelHeight × kernelWidth`.
  public func kernel(filter n: Int, channel c: Int) -> Kernel {
    let size = kernelHeight * kernelWidth
    let start = (n * inChannelsPerGroup + c) * size
    return Kernel(height: kernelHeight, width: kernelWidth, weights: Array(weights[start ..< start + size]))
  }
}

/// Padding of a layer: explicit amounts, or `same`, which keeps the size at stride 1.
public enum LayerPadding: Equatable, Sendable {
  case explicit(Padding)
  /// `d(k-1)` split over both sides, the odd sample at the bottom/right (as TensorFlow and PyTorch do).
  case same

  /// The same amount on all four sides.
  public static func uniform(_ amount: Int) -> LayerPadding { .explicit(Padding(amount)) }
}

/// Stride, padding, dilation and grouping of a convolution layer.
public struct LayerGeometry: Equatable, Sendable {
  public var strideY: Int, strideX: Int
  public var padding: LayerPadding
  public var dilationY: Int, dilationX: Int
  /// Input and output channels split into this many groups, each convolved only with its own;
  /// `groups == channels` is a depthwise convolution.
  public var groups: Int
  /// Where a stride does not land on the last sample: round down (the default, as PyTorch), refuse (`.strict`,
  /// the lecture's rule) or round up (`.ceil`; pipelines and ONNX allow it for pools only).
  public var rounding: SizeRounding

  public init(
    stride: Int = 1, padding: LayerPadding = .uniform(0), dilation: Int = 1, groups: Int = 1,
    rounding: SizeRounding = .floor
  ) {
    self.init(
      stride: (stride, stride), padding: padding, dilation: (dilation, dilation), groups: groups, rounding: rounding)
  }

  public init(
    stride: (y: Int, x: Int), padding: LayerPadding, dilation: (y: Int, x: Int), groups: Int,
    rounding: SizeRounding = .floor
  ) {
    (strideY, strideX) = stride
    self.padding = padding
    (dilationY, dilationX) = dilation
    self.groups = groups
    self.rounding = rounding
  }

  /// Whether a stride can leave samples over and they are dropped: rounding `.floor` at a stride above 1.
  /// What the run report shows as `floor`; set `rounding` to change it.
  public var floor: Bool { rounding == .floor && (strideY > 1 || strideX > 1) }

  /// The padding on each side for a kernel of the given size; `same` requires stride 1.
  public func resolvedPadding(kernelHeight kh: Int, kernelWidth kw: Int) throws -> Padding {
    switch padding {
    case .explicit(let p): return p
    case .same:
      guard strideY == 1 && strideX == 1 else {
        throw ConvolveError.invalidArgument("same padding needs stride 1; the stride is \(strideY)x\(strideX)")
      }
      let ey = CheckedSize.product([dilationY, kh - 1]) ?? .max / 4
      let ex = CheckedSize.product([dilationX, kw - 1]) ?? .max / 4
      return Padding(top: ey / 2, bottom: ey - ey / 2, left: ex / 2, right: ex - ex / 2)
    }
  }

  /// Output height and width for an input of the given size, through `slidingWindow`.
  public func outputSize(inputHeight h: Int, inputWidth w: Int, kernelHeight kh: Int, kernelWidth kw: Int) throws
    -> (height: Int, width: Int)
  {
    let (height, width) = try windows(inputHeight: h, inputWidth: w, kernelHeight: kh, kernelWidth: kw)
    return (height.size, width.size)
  }

  /// The input rows (at the bottom) and columns (at the right) that the stride leaves unused under `.floor`.
  public func unusedSamples(inputHeight h: Int, inputWidth w: Int, kernelHeight kh: Int, kernelWidth kw: Int) throws
    -> (rows: Int, columns: Int)
  {
    let (height, width) = try windows(inputHeight: h, inputWidth: w, kernelHeight: kh, kernelWidth: kw)
    return (height.unusedInput, width.unusedInput)
  }

  private func windows(inputHeight h: Int, inputWidth w: Int, kernelHeight kh: Int, kernelWidth kw: Int) throws
    -> (SlidingSize, SlidingSize)
  {
    let p = try resolvedPadding(kernelHeight: kh, kernelWidth: kw)
    return (
      try slidingWindow(
        input: h, kernel: kh, stride: strideY, padBefore: p.top, padAfter: p.bottom, dilation: dilationY,
        rounding: rounding, axis: "height"),
      try slidingWindow(
        input: w, kernel: kw, stride: strideX, padBefore: p.left, padAfter: p.right, dilation: dilationX,
        rounding: rounding, axis: "width")
    )
  }
}

/// A CNN convolution layer as in PyTorch's `conv2d`: `y[n] = bias[n] + Σ_c x[c] ⋆ w[n, c]`.
///
/// This is CROSS-CORRELATION: the kernel is not flipped, so weights trained in PyTorch or TensorFlow
/// apply as they are. Padding is zero. Output `N × H' × W'` with
/// `H' = floor((H + pad - d(k-1) - 1) / s) + 1` (`geometry.rounding`: `.strict` refuses a stride that does
/// not fit, `.ceil` rounds up). One group and depthwise layers run on the C kernels (`ConvKernelPlan`: an implicit
/// matrix product over a zero-padded copy of the input, no im2col buffer); other groupings as im2col + SGEMM per
/// group (the lecture's Toeplitz view).
public func convolutionLayer(_ input: Tensor, _ bank: FilterBank, _ geometry: LayerGeometry = .init()) throws -> Tensor {
  let groups = geometry.groups
  let (c, n) = (input.channels, bank.outChannels)
  let (_, outH, outW) = try convolutionLayerOutputShape(
    channels: c, height: input.height, width: input.width, bank, geometry)
  let (kh, kw) = (bank.kernelHeight, bank.kernelWidth)
  let pad = try geometry.resolvedPadding(kernelHeight: kh, kernelWidth: kw)
  var output = try Tensor.checkedUninitialized(channels: n, height: outH, width: outW, what: "convolution layer output")
  // One group or depthwise: the C kernels (weights packed for this call).
  if let plan = ConvKernelPlan(
    channels: c, height: input.height, width: input.width, weights: bank.weights, bias: bank.bias, filters: n, kh: kh,
    kw: kw, geometry: geometry)
  {
    input.data.withUnsafeBufferPointer { src in
      output.data.withUnsafeMutableBufferPointer { dst in plan.run(src.baseAddress!, dst.baseAddress!) }
    }
    return output
  }
  let plan = SlidingPlan(
    inH: input.height, inW: input.width, outH: outH, outW: outW, kh: kh, kw: kw, pad: pad,
    stride: (geometry.strideY, geometry.strideX), dilation: (geometry.dilationY, geometry.dilationX))
  if !(groups == c && groups > 1) {
    _ = try CheckedSize.count(plan.im2colBand(channels: c / groups), what: "im2col band")
  }
  input.data.withUnsafeBufferPointer { src in
    bank.weights.withUnsafeBufferPointer { w in
      bank.bias.withUnsafeBufferPointer { bias in
        output.data.withUnsafeMutableBufferPointer { dst in
          let outPlane = outH * outW
          let b = bias.isEmpty ? nil : bias.baseAddress!
          if groups == c && groups > 1 {
            plan.depthwise(
              src: src.baseAddress!, weights: w.baseAddress!, bias: b, dst: dst.baseAddress!, channels: c, outputs: n)
          } else {
            for g in 0 ..< groups {
              let cg = c / groups, ng = n / groups
              plan.gemm(
                src: src.baseAddress! + g * cg * plan.inH * plan.inW, channels: cg,
                weights: w.baseAddress! + g * ng * cg * kh * kw, filters: ng, bias: b.map { $0 + g * ng },
                dst: dst.baseAddress! + g * ng * outPlane)
            }
          }
        }
      }
    }
  }
  return output
}

/// The output `channels × height × width` of `convolutionLayer` for an input of the given size, after every
/// check the layer makes (the same errors, in the same order), without computing anything.
public func convolutionLayerOutputShape(
  channels c: Int, height: Int, width: Int, _ bank: FilterBank, _ geometry: LayerGeometry
) throws -> (channels: Int, height: Int, width: Int) {
  let groups = geometry.groups
  let n = bank.outChannels
  guard groups >= 1 else { throw ConvolveError.invalidArgument("groups is \(groups); it must be at least 1") }
  guard c % groups == 0 && n % groups == 0 else {
    throw ConvolveError.shapeMismatch(
      "groups \(groups) must divide both the \(c) input channels and the \(n) output channels")
  }
  guard bank.inChannelsPerGroup * groups == c else {
    throw ConvolveError.shapeMismatch(
      "filters expect \(bank.inChannelsPerGroup) input channels per group x \(groups) groups = "
        + "\(bank.inChannelsPerGroup * groups); the input has \(c) channels")
  }
  try bank.checkCounts(filters: n, outputChannels: n)
  let (outH, outW) = try geometry.outputSize(
    inputHeight: height, inputWidth: width, kernelHeight: bank.kernelHeight, kernelWidth: bank.kernelWidth)
  return (n, outH, outW)
}

extension FilterBank {
  /// Throws unless the weights fill `filters × inChannelsPerGroup × kernelHeight × kernelWidth` and the bias is
  /// empty or one value per output channel.
  func checkCounts(filters: Int, outputChannels: Int) throws {
    guard weights.count == filters * inChannelsPerGroup * kernelHeight * kernelWidth else {
      throw ConvolveError.shapeMismatch("filter bank has \(weights.count) weights, which does not match its shape")
    }
    guard bias.isEmpty || bias.count == outputChannels else {
      throw ConvolveError.shapeMismatch("bias has \(bias.count) values; the layer has \(outputChannels) output channels")
    }
  }
}

/// `channels` planes each filled with its bias value (zero without bias), written once.
func biasFilled(channels: Int, planeSize: Int, bias: [Float]) -> Tensor {
  let data = [Float](unsafeUninitializedCapacity: channels * planeSize) { buffer, count in
    for c in 0 ..< channels {
      (buffer.baseAddress! + c * planeSize).initialize(repeating: bias.isEmpty ? 0 : bias[c], count: planeSize)
    }
    count = channels * planeSize
  }
  return Tensor(channels: channels, height: 1, width: planeSize, data: data)
}

extension Tensor {
  func reshaped(_ height: Int, _ width: Int) -> Tensor {
    Tensor(channels: channels, height: height, width: width, data: data)
  }
}

/// Sliding-window geometry shared by the layer's im2col and depthwise paths.
struct SlidingPlan {
  let inH: Int, inW: Int, outH: Int, outW: Int, kh: Int, kw: Int
  let pad: Padding
  let stride: (y: Int, x: Int), dilation: (y: Int, x: Int)

  /// The output columns `ox` whose input column `ox·s + j·d - left` lies inside the input (within `0 ..< outW`, empty
  /// at `outW` when the tap is in the padding for every column).
  @inline(__always)
  func validColumns(tap j: Int) -> Range<Int> {
    let offset = j * dilation.x - pad.left
    let lo = offset >= 0 ? 0 : min(outW, (-offset + stride.x - 1) / stride.x)
    let last = inW - 1 - offset
    let hi = last < 0 ? 0 : min(outW, last / stride.x + 1)
    return lo ..< max(lo, hi)
  }

  /// The im2col buffer `gemm` allocates, `[channels·kh·kw, band rows, outW]` (about 2²⁰ elements, at least
  /// one output row), or empty for a 1x1 kernel at stride 1 without padding, which multiplies the input
  /// directly. `convolutionLayer` checks its size with `CheckedSize` before running.
  func im2colBand(channels: Int) -> [Int] {
    if kh == 1 && kw == 1 && stride == (1, 1) && pad == .zero { return [] }
    let k = CheckedSize.product([channels, kh, kw]) ?? .max
    let row = CheckedSize.product([k, outW]) ?? .max
    return [k, max(1, min(outH, (1 << 20) / max(1, row))), outW]
  }

  /// Writes `W · im2col(x) + bias` into `dst` (`filters × outH·outW`), band by band of output rows so that
  /// the bias rows are still in cache when SGEMM adds to them.
  func gemm(
    src: UnsafePointer<Float>, channels: Int, weights: UnsafePointer<Float>, filters: Int,
    bias: UnsafePointer<Float>?, dst: UnsafeMutablePointer<Float>
  ) {
    let k = channels * kh * kw
    let outPlane = outH * outW
    let band = im2colBand(channels: channels)
    let direct = band.isEmpty
    let bandRows = direct ? outH : band[1]
    let col = UnsafeMutablePointer<Float>.allocate(capacity: direct ? 0 : CheckedSize.product(band)!)
    defer { col.deallocate() }
    var y0 = 0
    while y0 < outH {
      let rows = min(bandRows, outH - y0)
      let p = rows * outW
      if let bias {
        for f in 0 ..< filters { (dst + f * outPlane + y0 * outW).update(repeating: bias[f], count: p) }
      }
      let beta: Float = bias == nil ? 0 : 1
      if direct {
        ck_sgemm(
          0, 0, Int32(filters), Int32(p), Int32(k), 1, weights, Int32(k),
          src + y0 * outW, Int32(inH * inW), beta, dst + y0 * outW, Int32(outPlane))
      } else {
        im2col(src: src, channels: channels, rows: y0 ..< y0 + rows, into: col)
        ck_sgemm(
          0, 0, Int32(filters), Int32(p), Int32(k), 1, weights, Int32(k),
          col, Int32(p), beta, dst + y0 * outW, Int32(outPlane))
      }
      y0 += rows
    }
  }

  /// Fills `col` (`channels·kh·kw × rows·outW`): row `(c, i, j)` holds the input sample under tap `(i, j)`
  /// of channel `c` for every output position of the band, zero where the tap falls in the padding.
  func im2col(src: UnsafePointer<Float>, channels: Int, rows: Range<Int>, into col: UnsafeMutablePointer<Float>) {
    let bandRows = rows.count
    let p = bandRows * outW
    let shared = Shared((src, col))
    parallelRanges(channels * kh * kw * bandRows, minimumPerChunk: max(1, 4096 / max(1, outW))) { range in
      let (src, col) = shared.value
      for task in range {
        let r = task / bandRows, y = task % bandRows
        let (c, i, j) = (r / (kh * kw), (r / kw) % kh, r % kw)
        let line = col + r * p + y * outW
        let sy = (rows.lowerBound + y) * stride.y + i * dilation.y - pad.top
        guard sy >= 0 && sy < inH else {
          line.initialize(repeating: 0, count: outW)
          continue
        }
        let cols = validColumns(tap: j)
        line.initialize(repeating: 0, count: cols.lowerBound)
        (line + cols.upperBound).initialize(repeating: 0, count: outW - cols.upperBound)
        let s = src + (c * inH + sy) * inW + j * dilation.x - pad.left
        if stride.x == 1 {
          (line + cols.lowerBound).update(from: s + cols.lowerBound, count: cols.count)
        } else {
          for x in cols { line[x] = s[x * stride.x] }
        }
      }
    }
  }

  /// Depthwise convolution, `outputs / channels` filters per input channel, straight from the input.
  func depthwise(
    src: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    dst: UnsafeMutablePointer<Float>, channels: Int, outputs: Int
  ) {
    let multiplier = outputs / channels
    let shared = Shared((src, weights, bias, dst))
    parallelRanges(outputs * outH, minimumPerChunk: max(1, 4096 / max(1, outW * kh * kw))) { range in
      let (src, weights, bias, dst) = shared.value
      for task in range {
        let o = task / outH, y = task % outH
        let plane = src + (o / multiplier) * inH * inW
        let w = weights + o * kh * kw
        let out = dst + (o * outH + y) * outW
        out.update(repeating: bias?[o] ?? 0, count: outW)
        for i in 0 ..< kh {
          let sy = y * stride.y + i * dilation.y - pad.top
          if sy < 0 || sy >= inH { continue }
          for j in 0 ..< kw {
            let tap = w[i * kw + j]
            let s = plane + sy * inW + j * dilation.x - pad.left
            let cols = validColumns(tap: j)
            if stride.x == 1 {
              for x in cols { out[x] += tap * s[x] }
            } else {
              for x in cols { out[x] += tap * s[x * stride.x] }
            }
          }
        }
      }
    }
  }
}
