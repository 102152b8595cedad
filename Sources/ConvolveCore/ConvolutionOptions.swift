/// Which part of the linear convolution to keep.
public enum ConvolutionMode: String, CaseIterable, Sendable {
  /// Every position where kernel and input overlap: `(M1 + M2 - 1) x (N1 + N2 - 1)`, the lecture's linear convolution.
  case full
  /// The input's size (with stride 1), centred on the full result as `scipy.signal.convolve2d` does.
  case same
  /// Only positions where the kernel lies wholly inside the input: `(M1 - M2 + 1) x (N1 - N2 + 1)`.
  case valid
}

/// Geometry and orientation of a 2-D convolution.
public struct ConvolutionOptions: Equatable, Sendable {
  public var mode: ConvolutionMode = .same
  /// Explicit padding; when set it replaces the padding implied by `mode`.
  public var padding: Padding? = nil
  public var border: Border = .zero
  public var strideY = 1, strideX = 1
  public var dilationY = 1, dilationX = 1
  /// Slide the kernel as it is (correlation) instead of flipped (convolution).
  public var correlate = false
  /// Where a stride does not land on the last sample: round down (the default, as PyTorch), refuse (`.strict`,
  /// the lecture's rule) or round up (`.ceil`).
  public var rounding = SizeRounding.floor

  public init(
    mode: ConvolutionMode = .same, padding: Padding? = nil, border: Border = .zero, stride: Int = 1,
    dilation: Int = 1, correlate: Bool = false, rounding: SizeRounding = .floor
  ) {
    self.mode = mode
    self.padding = padding
    self.border = border
    (strideY, strideX) = (stride, stride)
    (dilationY, dilationX) = (dilation, dilation)
    self.correlate = correlate
    self.rounding = rounding
  }

  /// The padding on each side for a kernel of the given size.
  ///
  /// `same` splits `d(k-1)` so that convolution matches `scipy.signal.convolve2d` (the extra sample of an
  /// even kernel goes before) and correlation matches `correlate2d` and PyTorch (the extra sample goes after).
  public func resolvedPadding(kernelHeight kh: Int, kernelWidth kw: Int) -> Padding {
    if let padding { return padding }
    // Saturated rather than trapping: a dilation too large for an Int gives a padded size that
    // `slidingWindow` refuses as too large.
    let ey = CheckedSize.product([dilationY, kh - 1]) ?? .max / 4
    let ex = CheckedSize.product([dilationX, kw - 1]) ?? .max / 4
    switch mode {
    case .valid: return .zero
    case .full: return Padding(vertical: ey, horizontal: ex)
    case .same:
      let (bigY, smallY) = ((ey + 1) / 2, ey / 2)
      let (bigX, smallX) = ((ex + 1) / 2, ex / 2)
      return correlate
        ? Padding(top: smallY, bottom: bigY, left: smallX, right: bigX)
        : Padding(top: bigY, bottom: smallY, left: bigX, right: smallX)
    }
  }

  /// The padding and output size for a kernel of the given size on a `height x width` input, or an error
  /// when the geometry does not fit (see `slidingOutputSize`).
  public func outputGeometry(inputHeight: Int, inputWidth: Int, kernelHeight kh: Int, kernelWidth kw: Int) throws
    -> (height: Int, width: Int, padding: Padding)
  {
    let (height, width, pad) = try windows(inputHeight: inputHeight, inputWidth: inputWidth, kernelHeight: kh, kernelWidth: kw)
    return (height.size, width.size, pad)
  }

  /// The input rows (at the bottom) and columns (at the right) that the stride leaves unused under `.floor`.
  public func unusedSamples(inputHeight: Int, inputWidth: Int, kernelHeight kh: Int, kernelWidth kw: Int) throws
    -> (rows: Int, columns: Int)
  {
    let (height, width, _) = try windows(inputHeight: inputHeight, inputWidth: inputWidth, kernelHeight: kh, kernelWidth: kw)
    return (height.unusedInput, width.unusedInput)
  }

  private func windows(inputHeight: Int, inputWidth: Int, kernelHeight kh: Int, kernelWidth kw: Int) throws
    -> (SlidingSize, SlidingSize, Padding)
  {
    let pad = resolvedPadding(kernelHeight: kh, kernelWidth: kw)
    let height = try slidingWindow(
      input: inputHeight, kernel: kh, stride: strideY, padBefore: pad.top, padAfter: pad.bottom, dilation: dilationY,
      rounding: rounding, axis: "height")
    let width = try slidingWindow(
      input: inputWidth, kernel: kw, stride: strideX, padBefore: pad.left, padAfter: pad.right, dilation: dilationX,
      rounding: rounding, axis: "width")
    return (height, width, pad)
  }
}

/// One convolution's geometry as the plans run it: input and output sizes, stride, the kernel's
/// (dilated) extent, and the border-padded input rows every plan reads through `PaddedRows`.
struct ConvolutionGeometry {
  let inH: Int, inW: Int, outH: Int, outW: Int
  let sy: Int, sx: Int
  let dilationY: Int, dilationX: Int
  /// Rows and columns of padded input one output sample covers: `d(k - 1) + 1`.
  let extentY: Int, extentX: Int
  let padded: PaddedRows

  /// The geometry of `kernel` (already oriented: flipped for convolution) on `height x width` maps,
  /// or the error `outputGeometry` gives when it does not fit.
  init(_ options: ConvolutionOptions, height: Int, width: Int, kernel: Kernel) throws {
    let (outH, outW, padding) = try options.outputGeometry(
      inputHeight: height, inputWidth: width, kernelHeight: kernel.height, kernelWidth: kernel.width)
    // The plans keep one source index per padded row and column and scratch rows of the padded width.
    _ = try CheckedSize.count(
      [height + padding.top + padding.bottom, width + padding.left + padding.right], what: "padded input")
    (inH, inW) = (height, width)
    (self.outH, self.outW) = (outH, outW)
    (sy, sx) = (options.strideY, options.strideX)
    (dilationY, dilationX) = (options.dilationY, options.dilationX)
    extentY = dilationY * (kernel.height - 1) + 1
    extentX = dilationX * (kernel.width - 1) + 1
    padded = PaddedRows(border: options.border, height: height, width: width, padding: padding)
  }

  /// Output rows `rows` of `full` computed from its input rows `inputRows` alone (see `PaddedRows(strip:)`).
  init(strip full: ConvolutionGeometry, rows: Range<Int>, inputRows: Range<Int>) {
    (inH, inW) = (inputRows.count, full.inW)
    (outH, outW) = (rows.count, full.outW)
    (sy, sx) = (full.sy, full.sx)
    (dilationY, dilationX) = (full.dilationY, full.dilationX)
    (extentY, extentX) = (full.extentY, full.extentX)
    padded = PaddedRows(
      strip: full.padded, rows: rows.lowerBound * sy ..< (rows.upperBound - 1) * sy + extentY, inputRows: inputRows)
  }

  var stride: (Int, Int) { (sy, sx) }
  var dilation: (Int, Int) { (dilationY, dilationX) }

  /// An output of `channels` maps for a plan that writes every sample.
  func output(channels: Int) -> Tensor { Tensor.uninitialized(channels: channels, height: outH, width: outW) }
}
