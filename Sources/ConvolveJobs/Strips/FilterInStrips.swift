import ConvolveBatch
import ConvolveCore
import ConvolveFormats
import Foundation

/// What `filterInStripsIfPossible` did.
public enum FilterRoute: Equatable, Sendable {
  /// Streamed in strips of this many output rows; the output is written.
  case strips(Int)
  /// Nothing was written: the whole image is needed, for this reason.
  case whole(String)

  /// The line `--verbose` prints.
  public var description: String {
    switch self {
    case .strips(let rows): return "streamed in strips of \(rows) rows"
    case .whole(let reason): return "whole image: \(reason)"
    }
  }
}

/// `filter` on a photo, and each photo of `batch` with a filter: streamed in strips when that gives the whole
/// path's file (the one place that decides it), else loaded and filtered whole.
public struct PhotoFilterJob {
  public var filter: ResolvedFilter
  public var options: ConvolutionOptions
  /// `--output-range` (nil: the filter's own).
  public var outputRange: OutputMapping?
  public var light: PhotoLight
  public var writing: ImageWriteSettings
  public var loading: ImageLoading
  /// Output rows per strip (nil: about 16 MB of input a strip; 0: never stream).
  public var stripRows: Int?

  public init(
    filter: ResolvedFilter, options: ConvolutionOptions, outputRange: OutputMapping?, light: PhotoLight,
    writing: ImageWriteSettings, loading: ImageLoading, stripRows: Int?
  ) {
    (self.filter, self.options, self.outputRange, self.light) = (filter, options, outputRange, light)
    (self.writing, self.loading, self.stripRows) = (writing, loading, stripRows)
  }

  /// Filters the photo `input` (`-` with `standardInput`, its bytes) into `output` strip by strip when the result
  /// is the whole-image path's (see `PhotoStrips`); otherwise writes nothing and says why. Refused here: `stripRows`
  /// 0, a file its codec cannot read in rows, an EXIF turn (unless `loading.autoOrient` is off), and whatever
  /// `PhotoStrips.make` refuses. `note` gets the note on rows and columns the stride leaves unused; with
  /// `curveNote`, the note on the linear-light curve is printed.
  public func streamIfPossible(
    input: String, standardInput: Data?, output: String, format: ImageFormat?,
    note: (String?) -> Void = { $0.map { writeStandardError("note: \($0)\n") } }, curveNote printsCurveNote: Bool = true
  ) throws -> FilterRoute {
    if stripRows == 0 { return .whole("--strip-rows 0") }
    let limit = loading.streamedMaxPixels
    func reader() throws -> ImageRowReader {
      try standardInput.map {
        try ImageRowReader(data: $0, name: "standard input", maxPixels: limit, page: loading.page, toSRGB: loading.toSRGB)
      } ?? ImageRowReader(path: input, maxPixels: limit, page: loading.page, toSRGB: loading.toSRGB)
    }
    let rows = try reader()
    let info = rows.info
    if let refusal = rows.refusal { return .whole(refusal) }
    if loading.autoOrient && info.orientation != 1 {
      return .whole("EXIF orientation \(info.orientation) turns the image (--no-auto-orient streams it as stored)")
    }
    let (photoOptions, curveNote) = light.options(for: rows.metadata)
    var opaque: Bool?
    if (info.channels == 2 || info.channels == 4) && photoOptions.alpha == .premultiply {
      // Whether alpha is all opaque decides the whole path's rule: a first pass reads it.
      opaque = try alphaIsOpaque(try reader(), stripRows: defaultStripRows(width: info.width, channels: info.channels, alignment: 1))
    }
    let made: Result<PhotoStrips, StripRefusal>
    do {
      made = try PhotoStrips.make(
        filter: filter, options: options, outputRange: outputRange, photoOptions: photoOptions,
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
    let (kind, bits, metadata) = try writing.settings(
      for: output, channels: info.channels, input: (info, rows.metadata), format: format)
    let stripRows = stripRows ?? defaultStripRows(width: info.width, channels: info.channels, alignment: plan.plan.rowAlignment)
    let toStream = output == standardStream
    let destination = StreamedOutput(
      path: toStream ? nil : output, name: toStream ? "standard output" : output, format: kind, bitDepth: bits,
      quality: writing.quality, pngCompression: writing.pngCompression, lossless: writing.lossless,
      metadata: metadata)
    if let data = try filterInStrips(rows, strips: plan, stripRows: stripRows, output: destination) {
      FileHandle.standardOutput.write(data)
    }
    let alignment = plan.plan.rowAlignment
    return .strips(min(info.height, (stripRows + alignment - 1) / alignment * alignment))
  }
}

extension PhotoFilterJob {
  /// Filters the photo `input` (`-` with `standardInput`, its bytes) into `output` (nil: nowhere), in strips when it
  /// can (never with `keepResult`), else whole; `route` hears the decision before the work. Returns the raw result
  /// when the whole path ran (for `--print`).
  @discardableResult
  public func run(
    input: String, standardInput: Data?, output: String?, format: ImageFormat?, keepResult: Bool = false,
    route: (FilterRoute) -> Void = { _ in }, note: (String?) -> Void = { $0.map { writeStandardError("note: \($0)\n") } },
    curveNote printsCurveNote: Bool = true
  ) throws -> Tensor? {
    var decided = FilterRoute.whole("--print needs the whole result")
    if !keepResult, let output {
      decided = try streamIfPossible(
        input: input, standardInput: standardInput, output: output, format: format, note: note, curveNote: printsCurveNote)
    }
    route(decided)
    if case .strips = decided { return nil }
    let image = try loading.load(input, data: standardInput)
    note(try checkFilter(filter, options: options, height: image.tensor.height, width: image.tensor.width, maxPixels: loading.maxPixels))
    let (photoOptions, curveNote) = light.options(for: image.metadata)
    if let curveNote, printsCurveNote { writeStandardError("note: \(curveNote)\n") }
    let (result, mapped) = try filter.applyToPhoto(
      image.tensor, options: options, outputRange: outputRange, photoOptions: photoOptions)
    if let output { try writing.save(mapped, to: output, input: image, format: format) }
    return result
  }
}
