import ConvolveCNN
import ConvolveCore

/// What the note about unused rows and columns adds: how to keep them or refuse instead.
public func roundingHint(pools: Bool) -> String {
  "rounded down, as PyTorch" + (pools ? "; --ceil adds a partial window instead" : "") + "; --strict refuses"
}

/// Refuses an image-sized result beyond `--max-pixels` (exit 64 with the computed size).
public func checkPixels(_ what: String, height: Int, width: Int, maxPixels: Int, fix: String) throws {
  try CheckedSize.checkPixels(
    height: height, width: width, limit: maxPixels, what: what, fix: fix + (fix.isEmpty ? "" : ", or ") + "raise --max-pixels")
}

/// The sizes of a 2-D filter on a `height x width` photo, checked before anything is computed: the padded input
/// and the output against `--max-pixels`; returns the note on rows and columns the stride leaves unused.
public func checkFilter(
  _ filter: ResolvedFilter, options: ConvolutionOptions, height: Int, width: Int, maxPixels: Int
) throws -> String? {
  var note: String?
  for kernel in filter.kernels {
    let (outH, outW, pad) = try options.outputGeometry(
      inputHeight: height, inputWidth: width, kernelHeight: kernel.height, kernelWidth: kernel.width)
    try checkPixels(
      "the padded input", height: height + pad.top + pad.bottom, width: width + pad.left + pad.right,
      maxPixels: maxPixels, fix: "lower --padding or use --mode same or valid")
    try checkPixels("the output", height: outH, width: outW, maxPixels: maxPixels, fix: "lower --padding")
    let unused = try options.unusedSamples(
      inputHeight: height, inputWidth: width, kernelHeight: kernel.height, kernelWidth: kernel.width)
    if note == nil, let text = unusedSamplesDescription(rows: unused.rows, columns: unused.columns, height: height, width: width) {
      let stride = options.strideY == options.strideX ? "\(options.strideY)" : "\(options.strideY),\(options.strideX)"
      note = "\(text): stride \(stride) gives \(pictureSizeText(width: outW, height: outH)), \(roundingHint(pools: false))"
    }
  }
  return note
}

/// A pipeline's stage sizes on a photo of `channels x height x width`, checked before anything is computed:
/// every stage's output against `--max-pixels`; returns the notes on rows and columns strides leave unused.
public func checkPipeline(_ pipeline: Pipeline, channels: Int, height: Int, width: Int, maxPixels: Int) throws -> [String] {
  let graph = try pipeline.graph(
    inputChannels: pipeline.preparedChannels(channels), height: height, width: width, maxPixels: maxPixels)
  let pools = pipeline.stages.contains { if case .pool = $0.operation { return true } else { return false } }
  return graph.notes.map { "\($0) (\(roundingHint(pools: pools)))" }
}
