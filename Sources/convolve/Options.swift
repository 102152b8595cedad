import ArgumentParser
import ConvolveCore
import ConvolveFormats
import ConvolveCNN
import ConvolveRender
import ConvolveLecture
import Foundation

extension OutputMapping: ExpressibleByArgument {}
extension Colormap: ExpressibleByArgument {}
extension ResizeMethod: ExpressibleByArgument {}
extension PoolingKind: ExpressibleByArgument {
  public init?(argument: String) { self.init(rawValue: argument == "avg" ? "average" : argument) }
}

/// How images are read.
struct ImageInputOptions: ParsableArguments {
  @Flag(help: "Keep JPEG pixels as stored instead of applying the EXIF orientation.")
  var noAutoOrient = false

  @Option(help: "Refuse images with more pixels than this; checked from the header before decoding.")
  var maxPixels = 100_000_000

  func validate() throws {
    if maxPixels < 1 { throw ValidationError("--max-pixels is \(maxPixels); it must be at least 1") }
  }

  func load(_ path: String) throws -> LoadedImage {
    try loadImage(path: path, autoOrient: !noAutoOrient, maxPixels: maxPixels)
  }
}

/// How a float result becomes an image file.
struct ImageOutputOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "How float values become image values: clip (to [0,1]), abs (|v|, clipped), normalize (min-max), offset (v + 0.5).",
      discussion: "Defaults to the filter's own choice: clip for low-pass filters, abs or normalize for high-pass ones.",
      valueName: "mapping"))
  var outputRange: OutputMapping?

  @Option(help: ArgumentHelp("PNG bit depth, 8 or 16 (default: 16 when the input is a 16-bit PNG, else 8).", valueName: "bits"))
  var depth: Int?

  @Option(help: "JPEG quality, 1 to 100.")
  var quality = 92

  @Option(
    help: ArgumentHelp(
      "PNG zlib level, 0 (store) to 9, with libpng's adaptive row filters (default: fast Paeth + run-length coding).",
      discussion: "The default is several times faster than level 6 and about as small on photographs; levels 6 to 9 can be smaller on screenshots and graphics.",
      valueName: "level"))
  var pngCompression: Int?

  @Flag(help: "Allow the output file to replace the input file.")
  var inPlace = false

  func validate() throws {
    if let depth, depth != 8 && depth != 16 { throw ValidationError("--depth is \(depth); use 8 or 16") }
    guard (1 ... 100).contains(quality) else { throw ValidationError("--quality is \(quality); use 1 to 100") }
    if let pngCompression, !(0 ... 9).contains(pngCompression) {
      throw ValidationError("--png-compression is \(pngCompression); use 0 to 9")
    }
  }

  func save(_ tensor: Tensor, to path: String, input: ImageInfo?) throws {
    let bits = depth ?? ((input?.bitDepth == 16 && (try? ImageFormat(path: path)) == .png) ? 16 : 8)
    try saveImage(tensor, path: path, bitDepth: bits, quality: quality, pngCompression: pngCompression)
  }
}

/// How stacks of feature maps are written for viewing.
struct MapOutputOptions: ParsableArguments {
  @Option(help: "Colormap for feature maps: \(Colormap.allCases.map(\.rawValue).joined(separator: ", ")).")
  var colormap: Colormap = .gray

  @Option(help: "Tiles per row in the montage (default: about the square root of the map count).")
  var columns: Int?

  @Option(help: "Clip this percentage of the darkest and brightest values before normalising each map (0 to 49; 0 for plain min-max).")
  var clipPercentile: Float = 1

  @Flag(help: "Also write every feature map as its own image.")
  var maps = false

  @Flag(help: "Also write raw Float32 values as .npy.")
  var saveNpy = false

  @Flag(help: "Leave the map numbers off the montage tiles.")
  var noLabels = false

  func validate() throws {
    guard (0 ..< 50).contains(clipPercentile) else {
      throw ValidationError("--clip-percentile is \(clipPercentile); use 0 to 49")
    }
    if let columns, columns < 1 { throw ValidationError("--columns is \(columns); use at least 1") }
  }

  /// Writes `stem.png` (one image, or a montage of every map normalised on its own), plus the extras asked for.
  /// Returns the paths written.
  @discardableResult
  func write(_ t: Tensor, directory: String, stem: String, imageLike: Bool = false) throws -> [String] {
    var written: [String] = []
    let base = (directory as NSString).appendingPathComponent(stem)
    if saveNpy || t.height == 1 && t.width == 1 {
      try NPYArray(t).write(path: base + ".npy")
      written.append(base + ".npy")
    }
    guard t.height > 1 || t.width > 1 else { return written }
    if imageLike && (1 ... 4).contains(t.channels) {
      try saveImage(ConvolveCore.map(t, .clip), path: base + ".png")
      return written + [base + ".png"]
    }
    let normalized = ConvolveCore.map(
      t, .normalize, perChannel: true, clipPercentile: clipPercentile > 0 ? clipPercentile : nil)
    let tiles = try (0 ..< t.channels).map { c -> Tensor in
      let plane = normalized.plane(c)
      return colormap == .gray ? plane : try colormap.apply(plane)
    }
    if t.channels == 1 {
      try saveImage(tiles[0], path: base + ".png")
      return written + [base + ".png"]
    }
    let labels = noLabels ? nil : (0 ..< t.channels).map(String.init)
    try saveImage(montage(tiles, columns: columns, labels: labels), path: base + ".png")
    written.append(base + ".png")
    if maps {
      for (c, tile) in tiles.enumerated() {
        let path = base + String(format: "-map%02d.png", c)
        try saveImage(tile, path: path)
        written.append(path)
      }
    }
    return written
  }
}

/// Checks an output path before any work is done: a known image extension, an existing folder, and not the
/// input file unless `inPlace`.
func checkOutput(_ output: String, input: String, inPlace: Bool) throws {
  _ = try ImageFormat(path: output)
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

/// Creates the output directory if needed.
func prepareDirectory(_ path: String) throws {
  do {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  } catch {
    throw ConvolveError.file(path: path, reason: "cannot create the output folder")
  }
}

/// The file name without folder and extension.
func stem(of path: String) -> String {
  URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
}
