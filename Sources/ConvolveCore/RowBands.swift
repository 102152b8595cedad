/// One band of work: rows `rows` of one channel, with the input and output maps of that channel and
/// the worker's scratch.
struct RowBand: @unchecked Sendable {  // pointers to this band's own rows and its worker's own scratch
  /// The channel's input map and output map.
  let input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
  let rows: Range<Int>
  /// The running worker's own scratch, as many floats and ints as asked for; its content is left
  /// from the worker's previous band.
  let floats: UnsafeMutablePointer<Float>, ints: UnsafeMutablePointer<Int>
}

/// The band driver of the convolution plans: splits `rows` rows of every channel into bands of
/// `bandRows`, runs the bands across the cores (a few contiguous runs of bands per core, so that
/// neighbouring bands share cache) and hands each band to `body` with its worker's scratch.
///
/// `rows` are output rows for the row-by-row plans and pairs of tiles for the FFT; `body` is called once per
/// band, never per sample. Nothing runs when there are no channels or no rows.
@inline(__always)
func forEachRowBand(
  of input: Tensor, into output: inout Tensor, rows: Int, bandRows: Int, scratchFloats: Int, scratchInts: Int = 0,
  _ body: @Sendable (RowBand) -> Void
) {
  let channels = input.channels
  guard channels > 0 && rows > 0 && output.count > 0 else { return }
  let bandRows = max(1, min(rows, bandRows))
  let bands = (rows + bandRows - 1) / bandRows
  let inPlane = input.planeSize, outPlane = output.planeSize
  input.data.withUnsafeBufferPointer { src in
    output.data.withUnsafeMutableBufferPointer { dst in
      let bases = Shared((src.baseAddress!, dst.baseAddress!))
      parallelRanges(channels * bands) { tasks in
        let (srcBase, dstBase) = bases.value
        let floats = UnsafeMutablePointer<Float>.allocate(capacity: max(1, scratchFloats))
        let ints = UnsafeMutablePointer<Int>.allocate(capacity: max(1, scratchInts))
        defer {
          floats.deallocate()
          ints.deallocate()
        }
        for task in tasks {
          let c = task / bands, y0 = task % bands * bandRows
          body(
            RowBand(
              input: srcBase + c * inPlane, output: dstBase + c * outPlane, rows: y0 ..< min(rows, y0 + bandRows),
              floats: floats, ints: ints))
        }
      }
    }
  }
}

/// A plan run band by band that writes into a tensor given to it (reshaped over that tensor's storage), as
/// the strip filter reuses its buffers; `run(_:)` gives a fresh output.
protocol BandedPlan {
  var geometry: ConvolutionGeometry { get }
  func run(_ input: Tensor, into output: inout Tensor)
}

extension BandedPlan {
  func run(_ input: Tensor) -> Tensor {
    var output = geometry.output(channels: input.channels)
    run(input, into: &output)
    return output
  }
}
