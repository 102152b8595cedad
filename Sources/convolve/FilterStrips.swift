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

/// What `filterInStripsIfPossible` did.
enum FilterRoute: Equatable {
  /// Streamed in strips of this many output rows; the output is written.
  case strips(Int)
  /// Nothing was written: the whole image is needed, for this reason.
  case whole(String)

  /// The line `--verbose` prints.
  var description: String {
    switch self {
    case .strips(let rows): return "streamed in strips of \(rows) rows"
    case .whole(let reason): return "whole image: \(reason)"
    }
  }
}

/// Filters the photo `input` (`-` with `standardInput`, its bytes) into `output` strip by strip when the result is
/// the whole-image path's (see `PhotoStrips`); otherwise writes nothing and says why. `note` gets the note on
/// rows and columns the stride leaves unused (`checkFilter`); `curveNote`, whether `--linear`'s note is printed.
func filterInStripsIfPossible(
  input: String, standardInput: Data?, output: String, format: ImageFormat?, filter: ResolvedFilter,
  options: ConvolutionOptions, out: ImageOutputOptions, photo: PhotoFilterFlags, load: ImageInputOptions,
  strips: StripOptions, note: (String?) -> Void = { $0.map(printNote) }, curveNote printsCurveNote: Bool = true
) throws -> FilterRoute {
  if strips.stripRows == 0 { return .whole("--strip-rows 0") }
  let limit = load.streamedMaxPixels
  let reader =
    try standardInput.map { try ImageRowReader(data: $0, name: "standard input", maxPixels: limit) }
    ?? ImageRowReader(path: input, maxPixels: limit)
  let info = reader.info
  if let refusal = reader.refusal { return .whole(refusal) }
  if !load.noAutoOrient && info.orientation != 1 {
    return .whole("EXIF orientation \(info.orientation) turns the image (--no-auto-orient streams it as stored)")
  }
  let (photoOptions, curveNote) = photo.options(for: reader.metadata)
  var opaque: Bool?
  if (info.channels == 2 || info.channels == 4) && photoOptions.alpha == .premultiply {
    // Whether alpha is all opaque decides the whole path's rule: a first pass reads it.
    let ahead =
      try standardInput.map { try ImageRowReader(data: $0, name: "standard input", maxPixels: limit) }
      ?? ImageRowReader(path: input, maxPixels: limit)
    opaque = try alphaIsOpaque(ahead, stripRows: defaultStripRows(width: info.width, channels: info.channels, alignment: 1))
  }
  let made: Result<PhotoStrips, StripRefusal>
  do {
    made = try PhotoStrips.make(
      filter: filter, options: options, outputRange: out.outputRange, photoOptions: photoOptions,
      channels: info.channels, height: info.height, width: info.width, alphaIsOpaque: opaque)
  } catch {
    return .whole("the geometry does not fit the image")  // the whole path words the error
  }
  let plan: PhotoStrips
  switch made {
  case .failure(let refusal): return .whole(refusal.reason)
  case .success(let p): plan = p
  }
  note(try checkFilter(filter, options: options, height: info.height, width: info.width, maxPixels: limit))
  if let curveNote, printsCurveNote { writeStandardError("note: \(curveNote)\n") }
  let (kind, bits, metadata) = try out.settings(
    for: output, channels: info.channels, input: (info, reader.metadata), format: format)
  let rows = strips.stripRows
    ?? defaultStripRows(width: info.width, channels: info.channels, alignment: plan.plan.rowAlignment)
  let toStream = output == standardStream
  let destination = StreamedOutput(
    path: toStream ? nil : output, name: toStream ? "standard output" : output, format: kind, bitDepth: bits,
    quality: out.quality, pngCompression: out.pngCompression, metadata: metadata)
  if let data = try filterInStrips(reader, strips: plan, stripRows: rows, output: destination) {
    FileHandle.standardOutput.write(data)
  }
  let alignment = plan.plan.rowAlignment
  return .strips(min(info.height, (rows + alignment - 1) / alignment * alignment))
}
