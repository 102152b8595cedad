/// A rank-1 kernel as a column pass then a row pass, one output row at a time: the column pass reads
/// the input rows in place (the taps on zero rows dropped) and writes the input part of one padded
/// intermediate row, `PaddedRows` extends its edges, and the row pass reads it back while it is still
/// in L1. No intermediate image is made.
struct SeparablePlan: BandedPlan {
  let geometry: ConvolutionGeometry
  /// Column taps (padded-row offset, weight) and row taps (offset, weight), zero weights dropped.
  let columnTaps: [(dy: Int, w: Float)]
  let rowOffsets: [Int], rowWeights: [Float]

  init(column: Kernel, row: Kernel, geometry g: ConvolutionGeometry) {
    geometry = g
    columnTaps = (0 ..< column.height).filter { column.weights[$0] != 0 }.map { ($0 * g.dilationY, column.weights[$0]) }
    let rowTaps = (0 ..< row.width).filter { row.weights[$0] != 0 }
    rowOffsets = rowTaps.map { $0 * g.dilationX }
    rowWeights = rowTaps.map { row.weights[$0] }
  }

  /// `run` into `output`, reshaped over its own storage when it can be (`Tensor.reshapeReusingStorage`).
  func run(_ input: Tensor, into output: inout Tensor) {
    let g = geometry, padded = g.padded, inW = g.inW
    output.reshapeReusingStorage(channels: input.channels, height: g.outH, width: g.outW)
    // Scratch: the column taps' weights, then the padded row, a multiple of 16 floats further. With the weights
    // right after the row (the column pass's last stores then share a cache line with the weights every block
    // reloads), 61 taps measured 3% slower.
    let taps = columnTaps.count, lineStart = (taps + 15) / 16 * 16
    rowOffsets.withUnsafeBufferPointer { rowOffsets in
      rowWeights.withUnsafeBufferPointer { rowWeights in
        columnTaps.withUnsafeBufferPointer { columnTaps in
          let shared = Shared((rowOffsets, rowWeights, columnTaps))
          forEachRowBand(
            of: input, into: &output, rows: g.outH, bandRows: 16, scratchFloats: lineStart + padded.paddedWidth,
            scratchInts: taps
          ) { band in
            let (rowOffsets, rowWeights, columnTaps) = shared.value
            let weights = band.floats, line = band.floats + lineStart, offsets = band.ints
            for y in band.rows {
              // Column pass: the taps whose padded row is an input row.
              var n = 0
              for tap in columnTaps {
                let r = padded.sourceRow(y * g.sy + tap.dy)
                if r >= 0 {
                  offsets[n] = r * inW
                  weights[n] = tap.w
                  n += 1
                }
              }
              correlateRow(
                out: line + padded.left, base: band.input, offsets: UnsafeBufferPointer(start: offsets, count: n),
                weights: UnsafeBufferPointer(start: weights, count: n), count: inW)
              padded.extendEdges(line)
              // Row pass.
              let out = band.output + y * g.outW
              if g.sx == 1 {
                correlateRow(out: out, base: line, offsets: rowOffsets, weights: rowWeights, count: g.outW)
              } else {
                correlateRowStrided(
                  out: out, base: line, offsets: rowOffsets, weights: rowWeights, count: g.outW, stride: g.sx)
              }
            }
          }
        }
      }
    }
  }
}
