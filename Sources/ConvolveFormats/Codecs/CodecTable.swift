import ConvolveCore

/// The image formats, one line each: the codec (its file in this folder) and what it can do. Format detection,
/// `imageInfo`, `loadImage`, `saveImage`, the strip reader and writer, the output extensions and `--format`
/// values and batch's default files all come from here; adding a format adds its line.
let codecTable: [CodecEntry] = [
  //    format codec        label   extensions       read depths             write        gray   alpha  ICC   EXIF   EXIF max rows   writes
  .init(.png,  PNGCodec(),  "PNG",  ["png"],         [1, 2, 4, 8, 16],       [8, 16],     true,  true,  true, true,  nil,     true,  true),
  .init(.jpeg, JPEGCodec(), "JPEG", ["jpg", "jpeg"], [8],                    [8],         true,  false, true, true,  65527,   true,  true),
  .init(.webp, WebPCodec(), "WebP", ["webp"],        [8],                    [8],         false, true,  true, true,  nil,     false, true),
  .init(.tiff, TIFFCodec(), "TIFF", ["tif", "tiff"], [1, 2, 4, 8, 16, 32],   [8, 16, 32], true,  true,  true, false, nil,     true,  true),
  .init(.avif, HEIFCodec(avif: true),  "AVIF", ["avif"], [8, 16],       [8],         false, true,  true, true,  nil,     false, true),
  .init(.heic, HEIFCodec(avif: false), "HEIC", ["heic", "heif"], [8, 16], [],          false, true,  true, true,  nil,     false, false),
]

/// What one image format can do: its line in the codec table.
public struct CodecCapabilities: Sendable {
  /// The format's name in messages ("PNG").
  public let label: String
  /// File extensions in lower case, without the dot; the first is the one written.
  public let extensions: [String]
  /// Sample bit depths read, and written (32: IEEE float, the values as they are).
  public let readDepths: [Int], writeDepths: [Int]
  /// Whether gray is kept as one channel; without it, gray is written as RGB.
  public let gray: Bool
  /// Whether alpha is kept; without it, a gray + alpha or RGBA image is written as gray or RGB.
  public let alpha: Bool
  /// Whether an ICC profile, and EXIF, are read and written.
  public let icc: Bool, exif: Bool
  /// The most EXIF bytes a file holds (nil: no limit below the format's own).
  public let exifLimit: Int?
  /// Whether rows can be decoded a strip at a time (else a streamed filter reads the image whole).
  public let rowStreaming: Bool
  /// Whether the format can be written.
  public let writing: Bool

  /// The channels written for an image of `channels` channels: alpha dropped when the format has none.
  public func writtenChannels(_ channels: Int) -> Int { alpha ? channels : (channels <= 2 ? 1 : 3) }
  /// The channels the file holds for an image of `channels` channels: `writtenChannels`, gray as RGB when the
  /// format has no gray.
  public func storedChannels(_ channels: Int) -> Int {
    let written = writtenChannels(channels)
    return gray || written > 2 ? written : written + 2
  }
}

/// One line of `codecTable`.
struct CodecEntry: Sendable {
  let format: ImageFormat
  let codec: any ImageCodec
  let capabilities: CodecCapabilities

  /// A line of the table: the columns of `CodecCapabilities` in order after the format and its codec.
  init(_ format: ImageFormat, _ codec: any ImageCodec, _ label: String, _ extensions: [String], _ readDepths: [Int],
       _ writeDepths: [Int], _ gray: Bool, _ alpha: Bool, _ icc: Bool, _ exif: Bool, _ exifLimit: Int?, _ rowStreaming: Bool,
       _ writing: Bool) {
    (self.format, self.codec) = (format, codec)
    capabilities = CodecCapabilities(
      label: label, extensions: extensions, readDepths: readDepths, writeDepths: writeDepths, gray: gray, alpha: alpha, icc: icc,
      exif: exif, exifLimit: exifLimit, rowStreaming: rowStreaming, writing: writing)
  }
}

/// An image file format: a line of the codec table (`.png`, `.jpeg`, ...). Prints as its name ("png", "jpeg").
public struct ImageFormat: Hashable, Sendable, CustomStringConvertible {
  /// The format's name, as `info` prints it.
  public let name: String

  init(_ name: String) { self.name = name }

  public var description: String { name }

  /// Every format, in table order.
  public static var all: [ImageFormat] { codecTable.map(\.format) }
  /// The formats that can be written, in table order.
  public static var writable: [ImageFormat] { codecTable.filter(\.capabilities.writing).map(\.format) }

  /// The written format named by the extension of `path` (`.png`, `.jpg`, `.jpeg`, ..., in any case).
  public init(path: String) throws {
    let ext = pathExtension(path).lowercased()
    let use = "(use \(joinedWithOr(Self.writable.flatMap(\.capabilities.extensions).map { "." + $0 })))"
    guard !ext.isEmpty else { throw ConvolveError.file(path: path, reason: "no file extension \(use)") }
    guard let format = Self.writable.first(where: { $0.capabilities.extensions.contains(ext) }) else {
      throw ConvolveError.file(path: path, reason: "unsupported extension '.\(ext)' \(use)")
    }
    self = format
  }

  /// The written format named `name` or one of its extensions (`png`, `jpg`, `jpeg`, ...), in any case.
  public init?(name: String) {
    let key = name.lowercased()
    guard let format = Self.writable.first(where: { $0.name == key || $0.capabilities.extensions.contains(key) })
    else { return nil }
    self = format
  }

  /// The extension written for this format, without the dot.
  public var fileExtension: String { capabilities.extensions[0] }

  /// What this format can do.
  public var capabilities: CodecCapabilities { entry.capabilities }

  var entry: CodecEntry { codecTable.first { $0.format == self }! }
}

/// The extension of the last component of `path`, without the dot ("" when none).
func pathExtension(_ path: String) -> Substring {
  let name = path.split(separator: "/").last ?? ""
  guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
  return name[name.index(after: dot)...]
}

extension ImageFormat {
  /// The extensions of every format read, lower case, in table order ("png", "jpg", "jpeg").
  public static var readableExtensions: [String] { codecTable.flatMap(\.capabilities.extensions) }
  /// A glob for each of them ("*.png", ...): the files a folder run takes by default.
  public static var readableGlobs: [String] { readableExtensions.map { "*." + $0 } }
  /// "a", "a or b", "a, b or c": for messages listing formats.
  public static func orList(_ items: [String]) -> String { joinedWithOr(items) }
}
