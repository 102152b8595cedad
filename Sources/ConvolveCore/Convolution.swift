import Foundation
#if canImport(Glibc)
  import Glibc
#endif

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

  /// The padding and output size for a kernel of the given size on a `height x width` input, or an error
  /// when the geometry does not fit (see `slidingOutputSize`).
  public func outputGeometry(inputHeight: Int, inputWidth: Int, kernelHeight kh: Int, kernelWidth kw: Int) throws
    -> (height: Int, width: Int, padding: Padding)
  {
    let pad = resolvedPadding(kernelHeight: kh, kernelWidth: kw)
    let height = try slidingOutputSize(
      input: inputHeight, kernel: kh, stride: strideY, padBefore: pad.top, padAfter: pad.bottom, dilation: dilationY,
      floor: floor, axis: "height")
    let width = try slidingOutputSize(
      input: inputWidth, kernel: kw, stride: strideX, padBefore: pad.left, padAfter: pad.right, dilation: dilationX,
      floor: floor, axis: "width")
    return (height, width, pad)
  }
}

/// 2-D convolution of every channel with one kernel: `y[n1, n2] = Σ x[k1, k2] · h[n1 - k1, n2 - k2]`.
///
/// The kernel is flipped (true convolution, as in the lecture) unless `options.correlate` is set.
/// Samples outside the input come from `options.border`. Output size per axis:
/// `(n + padBefore + padAfter - d(k-1) - 1) / stride + 1`.
public func convolve(_ input: Tensor, with kernel: Kernel, options: ConvolutionOptions = .init()) throws -> Tensor {
  try convolve(input, with: kernel, options: options, path: nil)
}

/// The ways `convolve` computes; all agree with the definition to float rounding.
enum ConvolutionPath: Equatable {
  /// Register-blocked sliding window over border-padded rows (`CorrelationPlan`).
  case direct
  /// A column pass then a row pass, for rank-1 kernels.
  case separable
  /// Overlap-save FFT tiles (`FFTCorrelationPlan`).
  case fft
  /// Running sums for constant kernels at stride 1 and dilation 1 (`BoxPlan`).
  case box
}

/// `convolve` along `forced`, or along `convolutionPath`'s choice when nil; `separable` on a kernel
/// that is not rank 1 runs `direct`.
func convolve(_ input: Tensor, with kernel: Kernel, options: ConvolutionOptions, path forced: ConvolutionPath?) throws
  -> Tensor
{
  let k = options.correlate ? kernel : kernel.flipped
  let (outH, outW, pad) = try options.outputGeometry(
    inputHeight: input.height, inputWidth: input.width, kernelHeight: k.height, kernelWidth: k.width)
  let stride = (options.strideY, options.strideX), dilation = (options.dilationY, options.dilationX)
  let factors = k.separableFactors
  let path =
    forced
    ?? convolutionPath(
      kernel: k, separable: factors != nil, channels: input.channels, output: (outH, outW), stride: stride,
      dilation: dilation)
  switch path {
  case .box where stride == (1, 1) && dilation == (1, 1) && BoxPlan.constantWeight(k) != nil:
    var result = Tensor.uninitialized(channels: input.channels, height: outH, width: outW)
    BoxPlan(
      weight: BoxPlan.constantWeight(k)!, kernel: (k.height, k.width), input: (input.height, input.width),
      output: (outH, outW), padding: pad, border: options.border
    ).run(input, into: &result)
    return result
  case .separable where factors != nil:
    var result = Tensor.uninitialized(channels: input.channels, height: outH, width: outW)
    SeparablePlan(
      column: factors!.column, row: factors!.row, input: (input.height, input.width), output: (outH, outW),
      padding: pad, border: options.border, stride: stride, dilation: dilation
    ).run(input, into: &result)
    return result
  case .fft:
    var result = Tensor.uninitialized(channels: input.channels, height: outH, width: outW)
    FFTCorrelationPlan(
      kernel: k, channels: input.channels, input: (input.height, input.width), output: (outH, outW), padding: pad,
      border: options.border, stride: stride, dilation: dilation
    ).run(input, into: &result)
    return result
  default:
    return correlationPass(
      input, k, output: (outH, outW), padding: pad, border: options.border, stride: stride, dilation: dilation)
  }
}

/// Dispatch: constant kernels of 9x9 taps and more (`kh + kw >= 18`) at stride 1 and dilation 1 run `box`;
/// rank-1 kernels with more than `2(kh + kw)` taps run `separable`; otherwise `fft` when its
/// modelled time (`FFTCorrelationPlan.bestTiles`) is below the direct one, `taps · outputs · directNanosPerTap`;
/// otherwise `direct`. On 4000x3000 RGB at stride 1 the switch falls between 7x7 and 9x9 dense kernels.
func convolutionPath(
  kernel k: Kernel, separable: Bool, channels: Int, output: (Int, Int), stride: (Int, Int), dilation: (Int, Int)
) -> ConvolutionPath {
  if stride == (1, 1) && dilation == (1, 1) && k.height + k.width >= 18 && BoxPlan.constantWeight(k) != nil {
    return .box
  }
  if separable && k.height * k.width > 2 * (k.height + k.width) { return .separable }
  let taps = k.weights.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
  let directCost = Double(taps * output.0 * output.1 * channels) * directNanosPerTap
  let fftCost = FFTCorrelationPlan.bestTiles(
    stride1Rows: (output.0 - 1) * stride.0 + 1, stride1Cols: (output.1 - 1) * stride.1 + 1,
    extentY: dilation.0 * (k.height - 1) + 1, extentX: dilation.1 * (k.width - 1) + 1, channels: channels
  ).cost
  return fftCost < directCost ? .fft : .direct
}

/// Nanoseconds per tap and output sample of the direct path at stride 1 on 2 cores (4000x3000 RGB, 3x3 to 21x21).
let directNanosPerTap = 0.045

private func correlationPass(
  _ input: Tensor, _ kernel: Kernel, output: (Int, Int), padding: Padding, border: Border,
  stride: (Int, Int), dilation: (Int, Int)
) -> Tensor {
  var result = Tensor.uninitialized(channels: input.channels, height: output.0, width: output.1)
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
/// inner loops read contiguous rows without branches. With horizontal stride 1 every output is
/// computed once in registers: 32 outputs at a time (four `SIMD8<Float>` accumulators), all taps
/// applied before a single store. Other strides run one multiply-add pass per non-zero tap.
struct CorrelationPlan {
  let taps: [(dy: Int, dx: Int, w: Float)]
  /// Tap offsets into the padded scratch (`dy * paddedW + dx`) and weights, for the register-blocked loop.
  let offsets: [Int], weights: [Float]
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
    if taps.isEmpty { taps.append((0, 0, 0)) }  // an all-zero kernel still writes zeros
    self.taps = taps
    kernelRows = dilation.0 * (kernel.height - 1) + 1
    (rowMap, colMap) = border.indexMaps(height: inH, width: inW, padding: padding)
    paddedW = inW + padding.left + padding.right
    left = padding.left
    offsets = taps.map { [paddedW] in $0.0 * paddedW + $0.1 }
    weights = taps.map { $0.2 }
  }

  func run(_ input: Tensor, into output: inout Tensor) {
    guard outH > 0 && outW > 0 && input.channels > 0 else { return }
    // About 64K floats of output per band keeps a band's padded rows in L2 while leaving enough bands to balance.
    let bandRows = max(1, min(outH, 65536 / max(1, outW)))
    let bands = (outH + bandRows - 1) / bandRows
    let channels = input.channels
    let scratchSize = ((bandRows - 1) * sy + kernelRows) * paddedW
    input.data.withUnsafeBufferPointer { src in
      output.data.withUnsafeMutableBufferPointer { dst in
        let srcBase = src.baseAddress!, dstBase = dst.baseAddress!
        // A few contiguous runs of bands per core, each with one scratch buffer.
        parallelRanges(channels * bands) { tasks in
          let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchSize)
          defer { scratch.deallocate() }
          for task in tasks {
            let c = task / bands, band = task % bands
            let y0 = band * bandRows, y1 = min(outH, y0 + bandRows)
            runBand(src: srcBase + c * inH * inW, dst: dstBase + c * outH * outW, rows: y0 ..< y1, scratch: scratch)
          }
        }
      }
    }
  }

  private func runBand(
    src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>, rows: Range<Int>, scratch: UnsafeMutablePointer<Float>
  ) {
    let firstRow = rows.lowerBound * sy
    let rowCount = (rows.upperBound - 1) * sy + kernelRows - firstRow
    colMap.withUnsafeBufferPointer { cols in
      let copied = min(inW, paddedW - left)
      for r in 0 ..< rowCount {
        let line = scratch + r * paddedW
        let sourceRow = rowMap[firstRow + r]
        if sourceRow < 0 {
          line.initialize(repeating: 0, count: paddedW)
          continue
        }
        let s = src + sourceRow * inW
        for j in 0 ..< left { line[j] = cols[j] < 0 ? 0 : s[cols[j]] }
        for j in left + copied ..< paddedW { line[j] = cols[j] < 0 ? 0 : s[cols[j]] }
        (line + left).update(from: s, count: copied)
      }
    }
    if sx == 1 {
      offsets.withUnsafeBufferPointer { offsets in
        weights.withUnsafeBufferPointer { weights in
          for y in rows {
            correlateRow(
              out: dst + y * outW, base: scratch + (y * sy - firstRow) * paddedW, offsets: offsets, weights: weights,
              count: outW)
          }
        }
      }
      return
    }
    taps.withUnsafeBufferPointer { taps in
      for y in rows {
        let out = dst + y * outW
        out.initialize(repeating: 0, count: outW)
        let base = scratch + (y * sy - firstRow) * paddedW
        for tap in taps {
          let line = base + tap.dy * paddedW + tap.dx
          let w = tap.w
          for x in 0 ..< outW { out[x] += w * line[x * sx] }
        }
      }
    }
  }
}

/// A rank-1 kernel as a column pass then a row pass, one output row at a time: the column pass reads
/// the (border-mapped) input rows in place and writes one padded intermediate row, which the row pass
/// reads back while it is still in L1. No intermediate image is made.
struct SeparablePlan {
  /// Column taps (row offset, weight) and row taps (offset, weight), zero weights dropped.
  let columnTaps: [(dy: Int, w: Float)]
  let rowOffsets: [Int], rowWeights: [Float]
  let inH: Int, inW: Int, outH: Int, outW: Int
  let sy: Int, sx: Int
  let rowMap: [Int], colMap: [Int]
  let paddedW: Int, left: Int

  init(
    column: Kernel, row: Kernel, input: (Int, Int), output: (Int, Int), padding: Padding, border: Border,
    stride: (Int, Int), dilation: (Int, Int)
  ) {
    (inH, inW) = input
    (outH, outW) = output
    (sy, sx) = stride
    columnTaps = (0 ..< column.height).filter { column.weights[$0] != 0 }.map { ($0 * dilation.0, column.weights[$0]) }
    let rowTaps = (0 ..< row.width).filter { row.weights[$0] != 0 }
    rowOffsets = rowTaps.map { $0 * dilation.1 }
    rowWeights = rowTaps.map { row.weights[$0] }
    (rowMap, colMap) = border.indexMaps(height: inH, width: inW, padding: padding)
    paddedW = inW + padding.left + padding.right
    left = padding.left
  }

  func run(_ input: Tensor, into output: inout Tensor) {
    guard outH > 0 && outW > 0 && input.channels > 0 else { return }
    let bandRows = 16
    let bands = (outH + bandRows - 1) / bandRows
    let channels = input.channels
    input.data.withUnsafeBufferPointer { src in
      output.data.withUnsafeMutableBufferPointer { dst in
        rowOffsets.withUnsafeBufferPointer { rowOffsets in
          rowWeights.withUnsafeBufferPointer { rowWeights in
            colMap.withUnsafeBufferPointer { cols in
              let srcBase = src.baseAddress!, dstBase = dst.baseAddress!
              parallelRanges(channels * bands) { tasks in
                let line = UnsafeMutablePointer<Float>.allocate(capacity: paddedW)
                let offsets = UnsafeMutablePointer<Int>.allocate(capacity: max(1, columnTaps.count))
                let weights = UnsafeMutablePointer<Float>.allocate(capacity: max(1, columnTaps.count))
                defer {
                  line.deallocate()
                  offsets.deallocate()
                  weights.deallocate()
                }
                for task in tasks {
                  let c = task / bands, band = task % bands
                  let plane = srcBase + c * inH * inW, out = dstBase + c * outH * outW
                  for y in band * bandRows ..< min(outH, (band + 1) * bandRows) {
                    // Column pass: the taps whose padded row maps to an input row.
                    var n = 0
                    for tap in columnTaps {
                      let r = rowMap[y * sy + tap.dy]
                      if r >= 0 {
                        offsets[n] = r * inW
                        weights[n] = tap.w
                        n += 1
                      }
                    }
                    correlateRow(
                      out: line + left, base: plane, offsets: UnsafeBufferPointer(start: offsets, count: n),
                      weights: UnsafeBufferPointer(start: weights, count: n), count: inW)
                    for j in 0 ..< left { line[j] = cols[j] < 0 ? 0 : line[left + cols[j]] }
                    for j in left + inW ..< paddedW { line[j] = cols[j] < 0 ? 0 : line[left + cols[j]] }
                    // Row pass.
                    let o = out + y * outW
                    if sx == 1 {
                      correlateRow(out: o, base: line, offsets: rowOffsets, weights: rowWeights, count: outW)
                    } else {
                      for x in 0 ..< outW {
                        var sum: Float = 0
                        for t in 0 ..< rowOffsets.count { sum += rowWeights[t] * line[x * sx + rowOffsets[t]] }
                        o[x] = sum
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

/// One row at stride 1: `out[x] = Σ_t weights[t] · base[offsets[t] + x]` for `x < count`, taps in order,
/// 32 outputs at a time in four `SIMD8<Float>` accumulators and stored once.
@inline(__always)
func correlateRow(
  out: UnsafeMutablePointer<Float>, base: UnsafePointer<Float>, offsets: UnsafeBufferPointer<Int>,
  weights: UnsafeBufferPointer<Float>, count outW: Int
) {
  let n = offsets.count
  func block(_ x: Int) {
    var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
    for t in 0 ..< n {
      let p = UnsafeRawPointer(base + offsets[t] + x)
      let w = SIMD8<Float>(repeating: weights[t])
      a0 += w * p.loadUnaligned(as: SIMD8<Float>.self)
      a1 += w * p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
      a2 += w * p.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
      a3 += w * p.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
    }
    let o = UnsafeMutableRawPointer(out + x)
    o.storeBytes(of: a0, as: SIMD8<Float>.self)
    o.storeBytes(of: a1, toByteOffset: 32, as: SIMD8<Float>.self)
    o.storeBytes(of: a2, toByteOffset: 64, as: SIMD8<Float>.self)
    o.storeBytes(of: a3, toByteOffset: 96, as: SIMD8<Float>.self)
  }
  var x = 0
  while x + 32 <= outW {
    block(x)
    x += 32
  }
  if x == outW { return }
  if outW >= 32 {
    block(outW - 32)  // the last block overlaps the previous one; outputs are stored, not accumulated
    return
  }
  for x in x ..< outW {
    var sum: Float = 0
    for t in 0 ..< n { sum += weights[t] * base[offsets[t] + x] }
    out[x] = sum
  }
}
