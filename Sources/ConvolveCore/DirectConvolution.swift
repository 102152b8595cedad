import CKernels

/// A sliding-window correlation, run band by band over every channel.
///
/// Each band pads the input rows it needs once (`PaddedRows`) into its scratch, so the inner loops read
/// contiguous rows without branches. With horizontal stride 1 every output is computed once in
/// registers (`correlateRow`); other strides run one multiply-add pass per non-zero tap (`correlateRowStrided`).
struct DirectPlan: BandedPlan {
  let geometry: ConvolutionGeometry
  /// Non-zero taps as offsets into the padded scratch (`dy · paddedWidth + dx`) and weights, row by row.
  let offsets: [Int], weights: [Float]

  init(kernel: Kernel, geometry g: ConvolutionGeometry) {
    geometry = g
    var offsets: [Int] = [], weights: [Float] = []
    for i in 0 ..< kernel.height {
      for j in 0 ..< kernel.width where kernel[i, j] != 0 {
        offsets.append(i * g.dilationY * g.padded.paddedWidth + j * g.dilationX)
        weights.append(kernel[i, j])
      }
    }
    if offsets.isEmpty { (offsets, weights) = ([0], [0]) }  // an all-zero kernel still writes zeros
    (self.offsets, self.weights) = (offsets, weights)
  }

  /// `run` into `output`, reshaped over its own storage when it can be (`Tensor.reshapeReusingStorage`).
  func run(_ input: Tensor, into output: inout Tensor) {
    let g = geometry, padded = g.padded, paddedW = padded.paddedWidth
    output.reshapeReusingStorage(channels: input.channels, height: g.outH, width: g.outW)
    // About 64K floats of output per band keeps a band's padded rows in L2 while leaving enough bands to balance.
    let bandRows = max(1, min(g.outH, 65536 / max(1, g.outW)))
    offsets.withUnsafeBufferPointer { offsets in
      weights.withUnsafeBufferPointer { weights in
        let taps = Shared((offsets, weights))
        forEachRowBand(
          of: input, into: &output, rows: g.outH, bandRows: bandRows,
          scratchFloats: ((bandRows - 1) * g.sy + g.extentY) * paddedW
        ) { band in
          let (offsets, weights) = taps.value
          // The padded rows this band reads, once each.
          let firstRow = band.rows.lowerBound * g.sy
          for r in 0 ..< (band.rows.upperBound - 1) * g.sy + g.extentY - firstRow {
            padded.fill(band.floats + r * paddedW, row: firstRow + r, of: band.input)
          }
          for y in band.rows {
            let out = band.output + y * g.outW, base = band.floats + (y * g.sy - firstRow) * paddedW
            if g.sx == 1 {
              correlateRow(out: out, base: base, offsets: offsets, weights: weights, count: g.outW)
            } else {
              correlateRowStrided(out: out, base: base, offsets: offsets, weights: weights, count: g.outW, stride: g.sx)
            }
          }
        }
      }
    }
  }
}

/// One row at stride 1: `out[x] = Σ_t weights[t] · base[offsets[t] + x]` for `x < count`, taps in order, by the
/// CPU's widest SIMD level (CKernels' `ck_correlate_row`; every level gives the same bits).
@inline(__always)
func correlateRow(
  out: UnsafeMutablePointer<Float>, base: UnsafePointer<Float>, offsets: UnsafeBufferPointer<Int>,
  weights: UnsafeBufferPointer<Float>, count outW: Int
) {
  if SIMDLevel.current == 0 {
    correlateRowPortable(out: out, base: base, offsets: offsets, weights: weights, count: outW)
  } else {
    ck_correlate_row(
      Int32(SIMDLevel.current), out, base, offsets.baseAddress, weights.baseAddress, Int32(truncatingIfNeeded: offsets.count), outW)
  }
}

/// `correlateRow` without CKernels, for CPUs below AVX2 (SSE2, NEON): 32 outputs at a time in four
/// `SIMD8<Float>` accumulators, stored once; the same bits as every CKernels level.
@inline(__always)
func correlateRowPortable(
  out: UnsafeMutablePointer<Float>, base: UnsafePointer<Float>, offsets: UnsafeBufferPointer<Int>,
  weights: UnsafeBufferPointer<Float>, count outW: Int
) {
  let n = offsets.count
  @inline(__always) func block(_ x: Int) {
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


/// One row at horizontal stride `stride`: `out[x] = Σ_t weights[t] · base[offsets[t] + x · stride]`, summed in
/// tap order, one pass over the row per tap.
@inline(__always)
func correlateRowStrided(
  out: UnsafeMutablePointer<Float>, base: UnsafePointer<Float>, offsets: UnsafeBufferPointer<Int>,
  weights: UnsafeBufferPointer<Float>, count outW: Int, stride sx: Int
) {
  out.initialize(repeating: 0, count: outW)
  for t in 0 ..< offsets.count {
    let line = base + offsets[t], w = weights[t]
    for x in 0 ..< outW { out[x] += w * line[x * sx] }
  }
}
