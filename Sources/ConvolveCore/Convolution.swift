/// Which part of the linear convolution to keep.
public enum OutputMode: String, CaseIterable, Sendable {
  /// Every position where kernel and input overlap: `(M1 + M2 - 1) x (N1 + N2 - 1)`, the lecture's linear convolution.
  case full
  /// The input's size (with stride 1), centred on the full result as `scipy.signal.convolve2d` does.
  case same
  /// Only positions where the kernel lies wholly inside the input: `(M1 - M2 + 1) x (N1 - N2 + 1)`.
  case valid
}

/// Geometry and orientation of a 2-D convolution.
public struct ConvolutionOptions: Equatable, Sendable {
  public var mode: OutputMode = .same
  /// Explicit padding; when set it replaces the padding implied by `mode`.
  public var padding: Padding? = nil
  public var border: Border = .zero
  public var strideY = 1, strideX = 1
  public var dilationY = 1, dilationX = 1
  /// Slide the kernel as it is (correlation) instead of flipped (convolution).
  public var correlate = false
  /// Drop trailing input samples that a stride cannot reach instead of rejecting the geometry.
  public var floor = false

  public init(
    mode: OutputMode = .same, padding: Padding? = nil, border: Border = .zero, stride: Int = 1,
    dilation: Int = 1, correlate: Bool = false, floor: Bool = false
  ) {
    self.mode = mode
    self.padding = padding
    self.border = border
    (strideY, strideX) = (stride, stride)
    (dilationY, dilationX) = (dilation, dilation)
    self.correlate = correlate
    self.floor = floor
  }

  /// The padding on each side for a kernel of the given size.
  ///
  /// `same` splits `d(k-1)` so that convolution matches `scipy.signal.convolve2d` (the extra sample of an
  /// even kernel goes before) and correlation matches `correlate2d` and PyTorch (the extra sample goes after).
  public func resolvedPadding(kernelHeight kh: Int, kernelWidth kw: Int) -> Padding {
    if let padding { return padding }
    let ey = dilationY * (kh - 1), ex = dilationX * (kw - 1)
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
}

/// 2-D convolution of every channel with one kernel: `y[n1, n2] = Σ x[k1, k2] · h[n1 - k1, n2 - k2]`.
///
/// The kernel is flipped (true convolution, as in the lecture) unless `options.correlate` is set.
/// Samples outside the input come from `options.border`. Output size per axis:
/// `(n + padBefore + padAfter - d(k-1) - 1) / stride + 1`.
public func convolve(_ input: Tensor, with kernel: Kernel, options: ConvolutionOptions = .init()) throws -> Tensor {
  let k = options.correlate ? kernel : kernel.flipped
  let pad = options.resolvedPadding(kernelHeight: k.height, kernelWidth: k.width)
  let outH = try slidingOutputSize(
    input: input.height, kernel: k.height, stride: options.strideY, padBefore: pad.top, padAfter: pad.bottom,
    dilation: options.dilationY, floor: options.floor, axis: "height")
  let outW = try slidingOutputSize(
    input: input.width, kernel: k.width, stride: options.strideX, padBefore: pad.left, padAfter: pad.right,
    dilation: options.dilationX, floor: options.floor, axis: "width")
  let stride = (options.strideY, options.strideX), dilation = (options.dilationY, options.dilationX)
  if let (column, row) = k.separableFactors, k.height * k.width > 2 * (k.height + k.width) {
    let vertical = correlationPass(
      input, column, output: (outH, input.width), padding: Padding(top: pad.top, bottom: pad.bottom, left: 0, right: 0),
      border: options.border, stride: (stride.0, 1), dilation: (dilation.0, 1))
    return correlationPass(
      vertical, row, output: (outH, outW), padding: Padding(top: 0, bottom: 0, left: pad.left, right: pad.right),
      border: options.border, stride: (1, stride.1), dilation: (1, dilation.1))
  }
  return correlationPass(
    input, k, output: (outH, outW), padding: pad, border: options.border, stride: stride, dilation: dilation)
}

private func correlationPass(
  _ input: Tensor, _ kernel: Kernel, output: (Int, Int), padding: Padding, border: Border,
  stride: (Int, Int), dilation: (Int, Int)
) -> Tensor {
  var result = Tensor(channels: input.channels, height: output.0, width: output.1)
  CorrelationPlan(
    kernel: kernel, input: (input.height, input.width), output: output, padding: padding, border: border,
    stride: stride, dilation: dilation
  ).run(input, into: &result)
  return result
}

/// Correlation, `convolve` without the flip: `y[n1, n2] = Σ x[n1 + k1, n2 + k2] · h[k1, k2]`.
public func correlate(_ input: Tensor, with kernel: Kernel, options: ConvolutionOptions = .init()) throws -> Tensor {
  var options = options
  options.correlate = true
  return try convolve(input, with: kernel, options: options)
}

/// A sliding-window correlation with its geometry fixed, run band by band over every channel.
///
/// Each band pads the input rows it needs once (by the border rule) into a scratch buffer, so the
/// inner loop is a branch-free multiply-add along contiguous rows, one pass per non-zero tap.
struct CorrelationPlan {
  let taps: [(dy: Int, dx: Int, w: Float)]
  let inH: Int, inW: Int, outH: Int, outW: Int
  let sy: Int, sx: Int
  let rowMap: [Int], colMap: [Int]
  let paddedW: Int
  let left: Int
  let kernelRows: Int

  init(
    kernel: Kernel, input: (Int, Int), output: (Int, Int), padding: Padding, border: Border,
    stride: (Int, Int), dilation: (Int, Int)
  ) {
    (inH, inW) = input
    (outH, outW) = output
    (sy, sx) = stride
    var taps: [(Int, Int, Float)] = []
    for i in 0 ..< kernel.height {
      for j in 0 ..< kernel.width where kernel[i, j] != 0 {
        taps.append((i * dilation.0, j * dilation.1, kernel[i, j]))
      }
    }
    self.taps = taps
    kernelRows = dilation.0 * (kernel.height - 1) + 1
    rowMap = border.indexMap(count: inH, before: padding.top, after: padding.bottom)
    colMap = border.indexMap(count: inW, before: padding.left, after: padding.right)
    paddedW = inW + padding.left + padding.right
    left = padding.left
  }

  func run(_ input: Tensor, into output: inout Tensor) {
    guard outH > 0 && outW > 0 && input.channels > 0 else { return }
    let bandRows = max(1, min(outH, 32768 / max(1, outW)))
    let bands = (outH + bandRows - 1) / bandRows
    let channels = input.channels
    input.data.withUnsafeBufferPointer { src in
      output.data.withUnsafeMutableBufferPointer { dst in
        let srcBase = src.baseAddress!, dstBase = dst.baseAddress!
        parallelFor(channels * bands) { task in
          let c = task / bands, band = task % bands
          let y0 = band * bandRows, y1 = min(outH, y0 + bandRows)
          runBand(
            src: srcBase + c * inH * inW, dst: dstBase + c * outH * outW, rows: y0 ..< y1)
        }
      }
    }
  }

  private func runBand(src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>, rows: Range<Int>) {
    let firstRow = rows.lowerBound * sy
    let rowCount = (rows.upperBound - 1) * sy + kernelRows - firstRow
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: rowCount * paddedW)
    defer { scratch.deallocate() }
    colMap.withUnsafeBufferPointer { cols in
      for r in 0 ..< rowCount {
        let line = scratch + r * paddedW
        let sourceRow = rowMap[firstRow + r]
        if sourceRow < 0 {
          line.initialize(repeating: 0, count: paddedW)
          continue
        }
        let s = src + sourceRow * inW
        for j in 0 ..< paddedW where j < left || j >= left + inW {
          let col = cols[j]
          line[j] = col < 0 ? 0 : s[col]
        }
        (line + left).update(from: s, count: min(inW, paddedW - left))
      }
    }
    taps.withUnsafeBufferPointer { taps in
      for y in rows {
        let out = dst + y * outW
        out.initialize(repeating: 0, count: outW)
        let base = scratch + (y * sy - firstRow) * paddedW
        for tap in taps {
          let line = base + tap.dy * paddedW + tap.dx
          let w = tap.w
          if sx == 1 {
            for x in 0 ..< outW { out[x] += w * line[x] }
          } else {
            for x in 0 ..< outW { out[x] += w * line[x * sx] }
          }
        }
      }
    }
  }
}
