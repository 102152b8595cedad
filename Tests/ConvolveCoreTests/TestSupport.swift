@testable import ConvolveCore

/// A small deterministic generator (SplitMix64) so random tests repeat exactly.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
  mutating func floats(_ n: Int) -> [Float] { (0 ..< n).map { _ in Float.random(in: -1 ... 1, using: &self) } }
}

func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
  precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
  return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

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
