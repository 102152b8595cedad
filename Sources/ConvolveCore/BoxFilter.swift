/// Box (constant-weight) kernels at stride 1 by running sums: a column sum per input column slides down
/// the rows (one add and one subtract per sample), then a row sum slides along each row, so the cost does
/// not grow with the kernel size. Column sums restart every band of rows so Float rounding cannot drift;
/// row sums accumulate in Double.
///
/// The column sums live in the input part of one padded row; `PaddedRows` extends its edges once per
/// output row, so the row pass reads a plain padded row.
struct BoxPlan {
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

  func run(_ input: Tensor) -> Tensor {
    var output = geometry.output(channels: input.channels)
    run(input, into: &output)
    return output
  }

  /// `run` into `output`, reshaped over its own storage when it can be (`Tensor.reshapeReusingStorage`).
  func run(_ input: Tensor, into output: inout Tensor) {
    let g = geometry, padded = g.padded, inW = g.inW, outW = g.outW
    let (kh, kw, weight) = (self.kh, self.kw, self.weight)
    output.reshapeReusingStorage(channels: input.channels, height: g.outH, width: g.outW)
    forEachRowBand(of: input, into: &output, rows: g.outH, bandRows: 64, scratchFloats: padded.paddedWidth) { band in
      let line = band.floats, sums = line + padded.left
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
      for y in band.rows {
        if y > y0 {
          add(row: padded.sourceRow(y - 1), sign: -1)
          add(row: padded.sourceRow(y + kh - 1), sign: 1)
        }
        padded.extendEdges(line)
        let out = band.output + y * outW
        var s: Double = 0
        for j in 0 ..< kw { s += Double(line[j]) }
        out[0] = Float(s) * weight
        for x in 1 ..< max(1, outW) {
          s += Double(line[x + kw - 1]) - Double(line[x - 1])
          out[x] = Float(s) * weight
        }
      }
    }
  }
}
