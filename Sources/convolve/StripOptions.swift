import ArgumentParser
import ConvolveJobs
import ConvolveBatch
import ConvolveCore
import ConvolveFormats
import Foundation

/// How `filter` and `batch` stream a photo in strips of rows.
struct StripOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Output rows per strip when the photo is streamed (default: about 16 MB of input a strip); 0 filters it whole.",
      discussion: "Streaming decodes a strip, filters it with the rows its kernel reaches above and below, and encodes it, so memory depends on the width, not the height. The output is the same file either way. A wrap border, an EXIF rotation or flip, an interlaced PNG, an FFT-sized kernel, --output-range normalize, an output size other than the input's, and --print filter the whole image.",
      valueName: "rows"))
  var stripRows: Int?

  func validate() throws {
    if let stripRows, stripRows < 0 { throw ValidationError("--strip-rows is \(stripRows); use 0 (whole image) or more") }
  }
}

extension PhotoFilterJob {
  /// The job with the command's options.
  init(
    filter: ResolvedFilter, options: ConvolutionOptions, out: ImageOutputOptions, photo: PhotoFilterFlags,
    load: ImageInputOptions, strips: StripOptions
  ) {
    self.init(
      filter: filter, options: options, outputRange: out.outputRange, light: photo.light, writing: out.writing,
      loading: load.loading, stripRows: strips.stripRows)
  }
}
