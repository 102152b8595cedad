@testable import ConvolveCore

/// The definition, one output sample at a time: correlation with the (flipped, unless correlating) kernel
/// over the border-extended input. Deliberately plain; every fast path is compared with it.
func naiveConvolve(_ x: Tensor, _ kernel: Kernel, _ o: ConvolutionOptions) throws -> Tensor {
  let k = o.correlate ? kernel : kernel.flipped
  let (outH, outW, p) = try o.outputGeometry(
    inputHeight: x.height, inputWidth: x.width, kernelHeight: k.height, kernelWidth: k.width)
  var y = Tensor(channels: x.channels, height: outH, width: outW)
  for c in 0 ..< x.channels {
    for oy in 0 ..< outH {
      for ox in 0 ..< outW {
        var sum: Double = 0
        for i in 0 ..< k.height {
          for j in 0 ..< k.width {
            let sy = o.border.sourceIndex(oy * o.strideY + i * o.dilationY - p.top, count: x.height)
            let sx = o.border.sourceIndex(ox * o.strideX + j * o.dilationX - p.left, count: x.width)
            if sy >= 0 && sx >= 0 { sum += Double(x[c, sy, sx]) * Double(k[i, j]) }
          }
        }
        y[c, oy, ox] = Float(sum)
      }
    }
  }
  return y
}
