import CKernels
import ConvolveCore

/// Stride, padding, output padding, dilation and grouping of a transposed convolution, as PyTorch's
/// `conv_transpose2d`: `padding` is that of the convolution being transposed, so it crops the output.
public struct TransposedGeometry: Equatable, Sendable {
  public var strideY: Int, strideX: Int
  public var paddingY: Int, paddingX: Int
  /// Extra rows/columns at the bottom/right, choosing among the input sizes a strided convolution maps to one size.
  public var outputPaddingY: Int, outputPaddingX: Int
  public var dilationY: Int, dilationX: Int
  public var groups: Int

  public init(stride: Int = 1, padding: Int = 0, outputPadding: Int = 0, dilation: Int = 1, groups: Int = 1) {
    (strideY, strideX) = (stride, stride)
    (paddingY, paddingX) = (padding, padding)
    (outputPaddingY, outputPaddingX) = (outputPadding, outputPadding)
    (dilationY, dilationX) = (dilation, dilation)
    self.groups = groups
  }

  /// `s(n - 1) + d(k - 1) + 1 - 2p + outputPadding` per axis: the inverse of `slidingOutputSize`.
  public func outputSize(inputHeight h: Int, inputWidth w: Int, kernelHeight kh: Int, kernelWidth kw: Int) throws
    -> (height: Int, width: Int)
  {
    func axis(_ n: Int, _ k: Int, _ s: Int, _ p: Int, _ op: Int, _ d: Int, _ name: String) throws -> Int {
      guard n >= 1 else { throw ConvolveError.invalidArgument("input \(name) is \(n); it must be at least 1") }
      guard s >= 1 else { throw ConvolveError.invalidArgument("stride is \(s); it must be at least 1") }
      guard d >= 1 else { throw ConvolveError.invalidArgument("dilation is \(d); it must be at least 1") }
      guard p >= 0 else { throw ConvolveError.invalidArgument("padding is \(p); it must not be negative") }
      guard op >= 0 && op < Swift.max(s, d) else {
        throw ConvolveError.invalidArgument(
          "output padding \(op) must be at least 0 and smaller than the stride \(s) or the dilation \(d)")
      }
      // Overflow-checked: s(n - 1) + d(k - 1) + 1 + op - 2p.
      guard let grown = CheckedSize.product([s, n - 1]).flatMap({ a in
        CheckedSize.product([d, k - 1]).flatMap { b in CheckedSize.sum([a, b, 1, op]) }
      }), let twice = CheckedSize.product([2, p]) else {
        throw ConvolveError.tooLarge(
          "transposed convolution \(name) \(s)·(\(n) - 1) + \(d)·(\(k) - 1) + 1 - 2·\(p) + \(op) is too large")
      }
      let out = grown - twice
      guard out >= 1 else {
        throw ConvolveError.shapeMismatch(
          "transposed convolution \(name) is \(s)·(\(n) - 1) + \(d)·(\(k) - 1) + 1 - 2·\(p) + \(op) = \(out); "
            + "the padding is too large")
      }
      return out
    }
    return (
      try axis(h, kh, strideY, paddingY, outputPaddingY, dilationY, "height"),
      try axis(w, kw, strideX, paddingX, outputPaddingX, dilationX, "width")
    )
  }
}

/// Transposed convolution ("deconvolution"), PyTorch's `conv_transpose2d`: the adjoint of
/// `convolutionLayer` with the same filter bank, so each input sample scatters a weighted copy of the kernel.
///
/// The bank is that of the convolution being transposed, weights `[Cin][Cout/groups][kh][kw]`: the input has
/// `bank.outChannels` channels, the output `bank.inChannelsPerGroup × groups`, and `bank.bias` (if any)
/// one value per output channel. Equivalent to inserting `s - 1` zeros between input samples, padding
/// by `d(k-1) - p`, and convolving with the kernel (correlating with the flipped kernel).
public func transposedConvolution(
  _ input: Tensor, _ bank: FilterBank, _ geometry: TransposedGeometry = .init()
) throws -> Tensor {
  let g = geometry.groups
  let cin = input.channels
  let (cout, outH, outW) = try transposedConvolutionOutputShape(
    channels: cin, height: input.height, width: input.width, bank, geometry)
  let (kh, kw) = (bank.kernelHeight, bank.kernelWidth)
  let (inH, inW) = (input.height, input.width)
  let (cinG, coutG) = (cin / g, cout / g)
  _ = try CheckedSize.count([cout, outH, outW], what: "transposed convolution output")
  let k = try CheckedSize.count([coutG, kh, kw], what: "transposed convolution columns")
  let bandRows = Swift.max(1, Swift.min(inH, (1 << 21) / Swift.max(1, CheckedSize.product([k, inW]) ?? .max)))
  _ = try CheckedSize.count([k, bandRows, inW], what: "transposed convolution band")
  var output = biasFilled(channels: cout, planeSize: outH * outW, bias: bank.bias).reshaped(outH, outW)
  let inPlane = inH * inW, outPlane = outH * outW
  let (sy, sx, py, px, dy, dx) = (
    geometry.strideY, geometry.strideX, geometry.paddingY, geometry.paddingX, geometry.dilationY, geometry.dilationX
  )
  let col = UnsafeMutablePointer<Float>.allocate(capacity: k * bandRows * inW)
  defer { col.deallocate() }
  input.data.withUnsafeBufferPointer { src in
    bank.weights.withUnsafeBufferPointer { w in
      output.data.withUnsafeMutableBufferPointer { dst in
        for group in 0 ..< g {
          for y0 in stride(from: 0, to: inH, by: bandRows) {
            let rows = Swift.min(bandRows, inH - y0)
            let p = rows * inW
            ck_sgemm(
              1, 0, Int32(k), Int32(p), Int32(cinG), 1,
              w.baseAddress! + group * cinG * k, Int32(k), src.baseAddress! + group * cinG * inPlane + y0 * inW,
              Int32(inPlane), 0, col, Int32(p))
            let shared = Shared((dst.baseAddress!, col))
            parallelFor(coutG) { co in
              let (dst, col) = shared.value
              let out = dst + (group * coutG + co) * outPlane
              for i in 0 ..< kh {
                for j in 0 ..< kw {
                  let offsetX = j * dx - px
                  let lo = offsetX >= 0 ? 0 : (-offsetX + sx - 1) / sx
                  let last = outW - 1 - offsetX
                  let hi = last < 0 ? 0 : Swift.min(inW, last / sx + 1)
                  if lo >= hi { continue }
                  let line = col + ((co * kh + i) * kw + j) * p
                  for r in 0 ..< rows {
                    let oy = (y0 + r) * sy + i * dy - py
                    if oy < 0 || oy >= outH { continue }
                    let target = out + oy * outW + offsetX
                    let source = line + r * inW
                    for x in lo ..< hi { target[x * sx] += source[x] }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return output
}

/// The output `channels × height × width` of `transposedConvolution` for an input of the given size, after
/// every check it makes (the same errors, in the same order), without computing anything.
public func transposedConvolutionOutputShape(
  channels cin: Int, height: Int, width: Int, _ bank: FilterBank, _ geometry: TransposedGeometry
) throws -> (channels: Int, height: Int, width: Int) {
  let g = geometry.groups
  guard g >= 1 else { throw ConvolveError.invalidArgument("groups is \(g); it must be at least 1") }
  let cout = bank.inChannelsPerGroup * g
  guard bank.outChannels == cin else {
    throw ConvolveError.shapeMismatch(
      "the filter bank's weights have \(bank.outChannels) input channels; the input has \(cin) channels")
  }
  guard cin % g == 0 else {
    throw ConvolveError.shapeMismatch("groups \(g) must divide the \(cin) input channels")
  }
  try bank.checkCounts(filters: cin, outputChannels: cout)
  let (outH, outW) = try geometry.outputSize(
    inputHeight: height, inputWidth: width, kernelHeight: bank.kernelHeight, kernelWidth: bank.kernelWidth)
  return (cout, outH, outW)
}
