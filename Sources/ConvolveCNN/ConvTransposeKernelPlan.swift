import CKernels
import ConvolveCore
import Foundation

/// A transposed convolution whose kernel equals its stride (no two taps reach the same output sample), no
/// padding, dilation 1, one group: every input pixel's `kh × kw` output block is a matrix product
/// `[kh·kw·cout × cin] · x`, computed by the same kernels band by band and scattered into place; bias and
/// fused stages as for `ConvKernelPlan`.
struct ConvTransposeKernelPlan: Sendable {
  let level: Int32
  let channels: Int, height: Int, width: Int
  let outChannels: Int, kh: Int, kw: Int
  /// Rows `(i·kw + j)·cout + o`, columns the input channels.
  let weights: [Float]
  /// Per row as above, or empty.
  let bias: [Float]
  let koff: [Int32]
  var stages: [ck_stage] = []
  var swiftStages: [ElementwiseStage] = []

  /// For weights `[channels][outChannels][kh][kw]`.
  init?(channels c: Int, height h: Int, width w: Int, weights: [Float], bias: [Float], outChannels m: Int, kh: Int, kw: Int) {
    guard c >= 1, h >= 1, w >= 1, m >= 1, kh >= 1, kw >= 1, weights.count == c * m * kh * kw,
      bias.isEmpty || bias.count == m, c * h * w < Int(Int32.max)
    else { return nil }
    level = ck_level()
    (channels, height, width, outChannels, self.kh, self.kw) = (c, h, w, m, kh, kw)
    let rows = kh * kw * m
    var a = [Float](repeating: 0, count: rows * c)
    for ci in 0 ..< c {
      for o in 0 ..< m {
        for t in 0 ..< kh * kw { a[(t * m + o) * c + ci] = weights[(ci * m + o) * kh * kw + t] }
      }
    }
    let count = ck_packed_count(level, Int32(rows), Int32(c))
    let lvl = level
    self.weights = [Float](unsafeUninitializedCapacity: count) { buffer, n in
      a.withUnsafeBufferPointer { ck_pack_weights(lvl, $0.baseAddress!, Int32(rows), Int32(c), buffer.baseAddress!) }
      n = count
    }
    self.bias = bias.isEmpty ? [] : (0 ..< rows).map { bias[$0 % m] }
    koff = (0 ..< c).map { Int32($0 * h * w) }
  }

  func fusing(_ more: [ElementwiseStage]) -> ConvTransposeKernelPlan {
    var copy = self
    appendStages(more, kernel: &copy.stages, swift: &copy.swiftStages)
    return copy
  }

  var outputCount: Int { outChannels * height * kh * width * kw }

  /// One image: `input` `channels × height × width`, `output` `outChannels × height·kh × width·kw`.
  func run(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
    let rowsM = kh * kw * outChannels
    // Input rows per band: the band's products (rowsM × band pixels) stay in the core's cache.
    let band = Swift.max(1, Swift.min(height, (1 << 15) / Swift.max(1, rowsM * width)))
    let bands = (height + band - 1) / band
    let (outW, outPlane) = (width * kw, height * kh * width * kw)
    weights.withUnsafeBufferPointer { w in
      bias.withUnsafeBufferPointer { biasBuffer in
        koff.withUnsafeBufferPointer { ko in
          stages.withUnsafeBufferPointer { st in
            let g = ck_gemm(
              packed: w.baseAddress, koff: ko.baseAddress, bias: bias.isEmpty ? nil : biasBuffer.baseAddress,
              stages: st.baseAddress, m: Int32(rowsM), k: Int32(channels), nstages: Int32(stages.count), level: level,
              dst_stride: band * width, scratch: nil, scratch_tiles: 0)
            let shared = Shared((g, input, output))
            parallelRanges(bands, minimumPerChunk: Swift.max(1, (1 << 16) / Swift.max(1, rowsM * channels * band * width)))
            { range in
              var (g, input, output) = shared.value
              let temp = threadBuffer(0, floats: rowsM * band * width)
              for b in range {
                let y0 = b * band, rows = Swift.min(band, height - y0), n = rows * width
                withUnsafePointer(to: &g) { gp in
                  ck_gemm_run(gp, input + y0 * width, Int32(n), y0 + rows < height ? 1 : 0, temp)
                }
                if !swiftStages.isEmpty {
                  for r in 0 ..< rowsM { for stage in swiftStages { stage.apply(temp + r * band * width, n) } }
                }
                var taps = [UnsafePointer<Float>?](repeating: nil, count: kw)
                for o in 0 ..< outChannels {
                  for r in 0 ..< rows {
                    for i in 0 ..< kh {
                      for j in 0 ..< kw { taps[j] = UnsafePointer(temp + ((i * kw + j) * outChannels + o) * band * width + r * width) }
                      ck_interleave(level, taps, Int32(kw), Int32(width), output + o * outPlane + ((y0 + r) * kh + i) * outW)
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
