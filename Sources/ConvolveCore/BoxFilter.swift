import CKernels

/// Box (constant-weight) kernels at stride 1 by running sums: a column sum per input column slides down
/// the rows (one add and one subtract per sample), then a row sum slides along each row, so the cost does
/// not grow with the kernel size. Column sums restart every band of rows so Float rounding cannot drift;
/// row sums accumulate in Double.
///
/// The column sums are copied into the input part of a padded row per output row; `PaddedRows` extends its
/// edges, and the row pass (CKernels' `ck_box_rows`) runs eight such rows at once, one running sum a lane.
struct BoxPlan: BandedPlan {
  let weight: Float
  let geometry: ConvolutionGeometry
  /// Kernel rows and columns (stride and dilation are 1).
  let kh: Int, kw: Int

  /// The common weight of a kernel whose weights are all equal and non-zero; nil otherwise.
  static func constantWeight(_ k: Kernel) -> Float? {
    guard let w = k.weights.first, w != 0, k.weights.allSatisfy({ $0 == w }) else { return nil }
    return w
  }

  init(weight: Float, kernel: Kernel, geometry: ConvolutionGeometry) {
    precondition(geometry.stride == (1, 1) && geometry.dilation == (1, 1), "box sums need stride 1 and dilation 1")
    self.weight = weight
    self.geometry = geometry
    (kh, kw) = (kernel.height, kernel.width)
  }

  /// `run` into `output`, reshaped over its own storage when it can be (`Tensor.reshapeReusingStorage`).
  func run(_ input: Tensor, into output: inout Tensor) {
    let g = geometry, padded = g.padded, inW = g.inW, outW = g.outW
    let (kh, kw, weight) = (self.kh, self.kw, self.weight)
    output.reshapeReusingStorage(channels: input.channels, height: g.outH, width: g.outW)
    let paddedW = padded.paddedWidth, level = Int32(SIMDLevel.current)
    // Scratch: the column sums, eight padded rows of them, then the row pass's transposed rows (`ck_box_rows`).
    let scratchFloats = inW + 8 * paddedW + (2 * outW + kw - 1) * 8
    forEachRowBand(of: input, into: &output, rows: g.outH, bandRows: 64, scratchFloats: scratchFloats) { band in
      let sums = band.floats, lines = band.floats + inW, rowScratch = lines + 8 * paddedW
      /// Adds (`sign` 1) or subtracts input row `r` (-1: zeros) to the column sums.
      func add(row r: Int, sign: Float) {
        guard r >= 0 else { return }
        let source = band.input + r * inW
        if sign > 0 {
          for x in 0 ..< inW { sums[x] += source[x] }
        } else {
          for x in 0 ..< inW { sums[x] -= source[x] }
        }
      }
      let y0 = band.rows.lowerBound
      sums.initialize(repeating: 0, count: inW)
      for i in 0 ..< kh { add(row: padded.sourceRow(y0 + i), sign: 1) }
      // Eight output rows at a time: each one's column sums as a padded row, then one row pass for all eight.
      var y = y0
      while y < band.rows.upperBound {
        let count = min(8, band.rows.upperBound - y)
        for k in 0 ..< count {
          if y + k > y0 {
            add(row: padded.sourceRow(y + k - 1), sign: -1)
            add(row: padded.sourceRow(y + k + kh - 1), sign: 1)
          }
          let line = lines + k * paddedW
          (line + padded.left).update(from: sums, count: inW)
          padded.extendEdges(line)
        }
        ck_box_rows(level, lines, paddedW, Int32(count), Int32(kw), outW, weight, band.output + y * outW, outW, rowScratch)
        y += count
      }
    }
  }
}
