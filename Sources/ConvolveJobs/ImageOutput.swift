import ConvolveCore
import ConvolveFormats
import Foundation

/// `-` as an input or output: standard input or standard output.
public let standardStream = "-"

/// "--format png or --format jpg": one for each format written.
public let formatChoices = ImageFormat.orList(ImageFormat.writable.map { "--format \($0.fileExtension)" })

/// How a result becomes an image file: bit depth, JPEG / WebP quality, PNG compression, WebP lossless, and
/// whether the input's ICC profile and EXIF go along.
public struct ImageWriteSettings: Sendable {
  /// 8, 16 or 32 (float) (nil: the input's 16 or 32 bits when the format writes them, else 8).
  public var depth: Int?
  public var quality = 92
  /// zlib level 0-9 with libpng's adaptive filters (nil: the fast default).
  public var pngCompression: Int?
  /// Write no ICC profile and no EXIF.
  public var strip = false
  /// WebP's lossless mode instead of `quality`.
  public var lossless = false

  public init(depth: Int? = nil, quality: Int = 92, pngCompression: Int? = nil, strip: Bool = false,
              lossless: Bool = false) {
    (self.depth, self.quality, self.pngCompression, self.strip, self.lossless) =
      (depth, quality, pngCompression, strip, lossless)
  }

  /// The format, bit depth and metadata an output of `channels` channels is written with (the metadata's notes
  /// printed on standard error), from the input's header and metadata.
  public func settings(
    for path: String, channels: Int, input: (info: ImageInfo, metadata: ImageMetadata)?, format: ImageFormat?
  ) throws -> (format: ImageFormat, bitDepth: Int, metadata: ImageMetadata) {
    let toStream = path == standardStream
    guard let kind = toStream ? format : try ImageFormat(path: path) else {
      throw ConvolveError.invalidArgument("the output is '-' (standard output); give its format with \(formatChoices)")
    }
    if let depth, !kind.capabilities.writeDepths.contains(depth) {
      let holders = ImageFormat.writable.filter { $0.capabilities.writeDepths.contains(depth) }.map { "." + $0.fileExtension }
      let depths = kind.capabilities.writeDepths.map(String.init).joined(separator: " or ")
      throw ConvolveError.invalidArgument(
        "--depth \(depth): \(kind.capabilities.label) is written at \(depths) bits; write \(holders.joined(separator: " or ")) "
          + "for \(depth) bits, or leave out --depth")
    }
    let inputBits = input?.info.bitDepth ?? 8
    let bits = depth ?? (inputBits > 8 && kind.capabilities.writeDepths.contains(inputBits) ? inputBits : 8)
    var metadata = ImageMetadata.none
    if let input, !strip {
      let (fitted, notes) = input.metadata.fitted(channels: channels, format: kind)
      metadata = fitted
      for note in notes { FileHandle.standardError.write(Data("note: \(toStream ? "standard output" : path): \(note)\n".utf8)) }
    }
    return (kind, bits, metadata)
  }

  /// Writes `tensor` to `path`, or to standard output in `format` when `path` is `-`, with the ICC profile and
  /// EXIF of `input` unless `strip`.
  public func save(_ tensor: Tensor, to path: String, input: LoadedImage?, format: ImageFormat? = nil) throws {
    let (kind, bits, metadata) = try settings(
      for: path, channels: tensor.channels, input: input.map { ($0.info, $0.metadata) }, format: format)
    if path == standardStream {
      let data = try encodeImage(
        tensor, format: kind, bitDepth: bits, quality: quality, pngCompression: pngCompression, lossless: lossless,
        metadata: metadata)
      FileHandle.standardOutput.write(data)
    } else {
      try saveImage(
        tensor, path: path, bitDepth: bits, quality: quality, pngCompression: pngCompression, lossless: lossless,
        metadata: metadata)
    }
  }
}

/// In which light a photo is filtered and what happens to its alpha.
public struct PhotoLight: Sendable {
  /// Decode the tone curve (the profile's when sRGB-like, else sRGB's) before filtering, encode it after.
  public var linear = false
  public var alpha: AlphaHandling = .premultiply

  public init(linear: Bool = false, alpha: AlphaHandling = .premultiply) { (self.linear, self.alpha) = (linear, alpha) }

  /// The options for a photo with `metadata`, with a note when its profile's tone curve could not be used.
  public func options(for metadata: ImageMetadata) -> (options: PhotoFilterOptions, note: String?) {
    guard linear else { return (PhotoFilterOptions(alpha: alpha), nil) }
    let (curve, note) = metadata.linearLightCurve
    return (PhotoFilterOptions(linear: curve, alpha: alpha), note)
  }
}

/// How photos are read: the EXIF orientation applied or not, and the pixel limits.
public struct ImageLoading: Sendable {
  public var autoOrient = true
  /// The limit for whole images.
  public var maxPixels = 100_000_000
  /// The limit for a photo filtered in strips, whose memory does not grow with its height.
  public var streamedMaxPixels = 4_000_000_000
  /// The image of a multi-image file (TIFF), from 0.
  public var page = 0
  /// Convert the pixels from the embedded ICC profile to sRGB (the output tagged sRGB).
  public var toSRGB = false

  public init(autoOrient: Bool = true, maxPixels: Int = 100_000_000, streamedMaxPixels: Int = 4_000_000_000, page: Int = 0,
              toSRGB: Bool = false) {
    (self.autoOrient, self.maxPixels, self.streamedMaxPixels, self.page) = (autoOrient, maxPixels, streamedMaxPixels, page)
    self.toSRGB = toSRGB
  }

  /// Loads `path`, or `data` (standard input's bytes) when `path` is `-`.
  public func load(_ path: String, data: Data? = nil) throws -> LoadedImage {
    guard path == standardStream, let data else {
      return try loadImage(path: path, autoOrient: autoOrient, maxPixels: maxPixels, page: page, toSRGB: toSRGB)
    }
    return try loadImage(
      data: data, name: "standard input", autoOrient: autoOrient, maxPixels: maxPixels, page: page, toSRGB: toSRGB)
  }
}

/// Writes an output folder whole or not at all: `body` fills a temporary folder beside it (`AtomicFile.writeFolder`),
/// renamed into place when complete; on a failure the temporary folder and any parent folders made for it are
/// removed. `body` gets the temporary path and a log that prints its lines with the final path in place of it.
@discardableResult
public func writeOutputFolder(_ path: String, _ body: (_ temporary: String, _ log: @escaping (String) -> Void) throws -> [String])
  throws -> [String]
{
  var folder = path
  while folder.count > 1 && folder.hasSuffix("/") { folder.removeLast() }
  var missing: [String] = []
  var ancestor = parentPath(folder)
  while !ancestor.isEmpty && !FileManager.default.fileExists(atPath: ancestor) {
    missing.append(ancestor)
    ancestor = parentPath(ancestor)
  }
  do {
    try makeFolders(parentPath(folder))
    return try AtomicFile.writeFolder(folder) { temporary in
      try body(temporary) { line in print(line.replacingOccurrences(of: temporary, with: folder)) }
    }
  } catch {
    for made in missing { rmdir(made) }
    throw error
  }
}
