import ArgumentParser
import ConvolveBatch
import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveLecture
import ConvolveRender
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// How images are read.
struct ImageInputOptions: ParsableArguments {
  @Flag(help: "Keep JPEG pixels as stored instead of applying the EXIF orientation.")
  var noAutoOrient = false

  @Option(
    name: .customLong("max-pixels"),
    help: ArgumentHelp("Refuse images with more pixels than this (checked from the header before decoding), and outputs or padded inputs with more pixels per map (checked before computing) (default: 100000000; 4000000000 for a photo filter or batch streams in strips).", valueName: "n"))
  var maxPixelsOption: Int?

  @Option(help: ArgumentHelp("The image of a multi-page TIFF to read, from 0.", valueName: "n"))
  var page = 0

  @Flag(help: "Convert the pixels from the embedded ICC profile (Adobe RGB, Display P3, ...) to sRGB through lcms2, and tag the output sRGB.")
  var toSRGB = false

  /// The limit for whole images.
  var maxPixels: Int { maxPixelsOption ?? 100_000_000 }
  /// The limit for a photo `filter` and `batch` stream in strips, whose memory does not grow with its height.
  var streamedMaxPixels: Int { maxPixelsOption ?? 4_000_000_000 }

  func validate() throws {
    if let maxPixelsOption, maxPixelsOption < 1 {
      throw ValidationError("--max-pixels is \(maxPixelsOption); it must be at least 1")
    }
    if page < 0 { throw ValidationError("--page is \(page); pages count from 0") }
  }

  /// How a photo for a network is read: converted to sRGB unless `keepColours` (see `ModelInputOptions`).
  func loading(keepColours: Bool) -> ImageLoading {
    var loading = self.loading
    loading.toSRGB = toSRGB || !keepColours
    return loading
  }

  var loading: ImageLoading {
    ImageLoading(
      autoOrient: !noAutoOrient, maxPixels: maxPixels, streamedMaxPixels: streamedMaxPixels, page: page, toSRGB: toSRGB)
  }

  /// Loads `path`, or standard input when it is `-` (the format is recognised from the bytes; `data` when
  /// standard input was read already).
  func load(_ path: String, data: Data? = nil) throws -> LoadedImage {
    try loading.load(path, data: path == standardStream ? try data ?? readStandardInput() : nil)
  }

  /// The bytes piped into standard input.
  func readStandardInput() throws -> Data {
    if isatty(STDIN_FILENO) != 0 {
      throw ValidationError("the input is '-' (standard input) but nothing is piped in; pipe an image (cat photo.jpg | convolve ...) or give a file")
    }
    return FileHandle.standardInput.readDataToEndOfFile()
  }
}

/// How `filter` and `batch` filter a photo's values: in which light, and what happens to alpha.
struct PhotoFilterFlags: ParsableArguments {
  @Flag(help: ArgumentHelp(
    "Filter in linear light: decode sRGB before filtering and encode the result after (no dark fringes between bright and dark areas).",
    discussion: "An embedded ICC profile's tone curve is used instead when it is sRGB-like (a pure power such as Adobe RGB's 2.2, or a parametric curve); other profiles are decoded as sRGB, with a note."))
  var linear = false

  @Option(
    help: ArgumentHelp(
      "How an alpha channel is treated: premultiply (colour times alpha, all channels filtered, divided back) or keep (colour filtered alone, alpha copied as it is).",
      discussion: "premultiply keeps the colour under transparent pixels from bleeding into visible edges; filters whose weights sum to 0 (edge detectors) see the colour over black and keep the alpha.",
      valueName: "rule"))
  var alpha: AlphaHandling = .premultiply

  var light: PhotoLight { PhotoLight(linear: linear, alpha: alpha) }

  /// The options for `image`, with a note when its profile's tone curve could not be used.
  func options(for image: LoadedImage) -> (options: PhotoFilterOptions, note: String?) { light.options(for: image.metadata) }
}

/// How a float result becomes an image file.
struct ImageOutputOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "How float values become image values: clip (to [0,1]), abs (|v|, clipped), normalize (min-max), offset (v + 0.5) (default: the filter's own choice: clip for low-pass filters, abs or normalize for high-pass ones; clip for pool and upsample).",
      valueName: "mapping"))
  var outputRange: OutputMapping?

  @Option(help: ArgumentHelp("Bit depth: 8 or 16 (PNG, TIFF), or 32 for float TIFF, the values as computed (default: the input's 16 or 32 bits when the output format has them, else 8).", valueName: "bits"))
  var depth: Int?

  @Option(help: ArgumentHelp("JPEG and lossy WebP quality, 1 to 100.", valueName: "q"))
  var quality = 92

  @Flag(help: "Write WebP lossless instead of lossy at --quality.")
  var lossless = false

  @Option(
    help: ArgumentHelp(
      "PNG zlib level, 0 (store) to 9, with libpng's adaptive row filters (default: fast Paeth + run-length coding).",
      discussion: "The default is several times faster than level 6 and about as small on photographs; levels 6 to 9 can be smaller on screenshots and graphics.",
      valueName: "level"))
  var pngCompression: Int?

  @Flag(help: "Write no ICC profile and no EXIF (by default an output keeps the input's, as far as its format holds them, with the EXIF orientation set to 1 when the pixels were turned upright).")
  var strip = false

  func validate() throws {
    if let depth, ![8, 16, 32].contains(depth) { throw ValidationError("--depth is \(depth); use 8, 16 or 32 (float TIFF)") }
    guard (1 ... 100).contains(quality) else { throw ValidationError("--quality is \(quality); use 1 to 100") }
    if let pngCompression, !(0 ... 9).contains(pngCompression) {
      throw ValidationError("--png-compression is \(pngCompression); use 0 to 9")
    }
  }

  var writing: ImageWriteSettings {
    ImageWriteSettings(depth: depth, quality: quality, pngCompression: pngCompression, strip: strip, lossless: lossless)
  }

  /// Writes `tensor` to `path`, or to standard output in `format` when `path` is `-`, with the ICC profile and
  /// EXIF of `input` unless --strip.
  func save(_ tensor: Tensor, to path: String, input: LoadedImage?, format: ImageFormat? = nil) throws {
    try writing.save(tensor, to: path, input: input, format: format)
  }
}

/// The format of an output: `--format` for `-` (required there), else the extension, which `--format` must match.
func checkStreamFormat(output: String?, format: ImageFormat?) throws {
  guard let output else { return }
  if output == standardStream {
    guard format != nil else {
      throw ValidationError("the output is '-' (standard output); give its format with \(formatChoices)")
    }
    if isatty(STDOUT_FILENO) != 0 {
      throw ValidationError("standard output is a terminal; redirect it (> out.png) or pipe it into another program")
    }
  } else if let format, let named = try? ImageFormat(path: output), named != format {
    throw ValidationError(
      "--format \(format.fileExtension) does not match the output \(output); --format is for '-' (standard output), "
        + "a file's format follows its extension")
  }
}

/// The help of `--in-place`, for the commands that write one file.
let inPlaceHelp = ArgumentHelp("Allow the output file to replace the input file.")

/// One image in, one image out (`-` for the standard streams): pool, upsample.
struct ImageFiles: ParsableArguments {
  @Argument(help: "Input image (PNG, JPEG, WebP, TIFF, AVIF or HEIC), or - for standard input.", completion: imageFileCompletion) var input: String
  @Argument(help: "Output image, or - for standard output (with --format).", completion: .file()) var output: String
  @Option(help: ArgumentHelp("The format written to standard output (output -): png or jpg (default: none; required with -).", valueName: "format"))
  var format: ImageFormat?
  @Flag(help: inPlaceHelp) var inPlace = false

  func validate() throws { try checkStreamFormat(output: output, format: format) }

  /// The input, after checking that writing the output will not replace it unasked.
  func load(_ options: ImageInputOptions) throws -> LoadedImage {
    try checkOutput(output, input: input, inPlace: inPlace)
    return try options.load(input)
  }

  /// Writes `tensor` to the output, with `input`'s metadata as `options` say.
  func save(_ tensor: Tensor, _ options: ImageOutputOptions, input: LoadedImage) throws {
    try options.save(tensor, to: output, input: input, format: format)
  }
}

/// Checks an output path before any work is done: a known image extension, an existing folder, and not the
/// input file unless `inPlace`.
func checkOutput(_ output: String, input: String, inPlace: Bool) throws {
  if output == standardStream { return }
  // An output name the tool cannot write is a value error (exit 64), not a file that failed.
  do { _ = try ImageFormat(path: output) } catch let error as ConvolveError { throw ValidationError(error.description) }
  let folder = URL(fileURLWithPath: output).deletingLastPathComponent().path
  var isFolder: ObjCBool = false
  guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
    throw ConvolveError.file(path: output, reason: "the folder \(folder) does not exist")
  }
  let a = URL(fileURLWithPath: input).resolvingSymlinksInPath().standardizedFileURL.path
  let b = URL(fileURLWithPath: output).resolvingSymlinksInPath().standardizedFileURL.path
  if a == b && !inPlace {
    throw ValidationError("the output \(output) is the input file; pass --in-place to replace it")
  }
}


/// The file name without folder and extension.
func stem(of path: String) -> String {
  URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
}
