import CCodecs
import ConvolveCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The image file formats: PNG (8 or 16 bits, 1–4 channels) and 8-bit JPEG.
public enum ImageFormat: Equatable, Sendable {
  case png, jpeg

  /// The format named by the extension of `path`: .png, .jpg or .jpeg, in any case.
  public init(path: String) throws {
    switch pathExtension(path).lowercased() {
    case "png": self = .png
    case "jpg", "jpeg": self = .jpeg
    case "": throw ConvolveError.file(path: path, reason: "no file extension (use .png, .jpg or .jpeg)")
    case let ext: throw ConvolveError.file(path: path, reason: "unsupported extension '.\(ext)' (use .png, .jpg or .jpeg)")
    }
  }

  /// The format named `png`, `jpg` or `jpeg`, in any case.
  public init?(name: String) {
    switch name.lowercased() {
    case "png": self = .png
    case "jpg", "jpeg": self = .jpeg
    default: return nil
    }
  }

  /// The extension written for this format, without the dot.
  public var fileExtension: String { self == .png ? "png" : "jpg" }
}

/// What an image file's header says, as stored; with `orientation` 5...8 the displayed image is
/// `height` wide and `width` high.
public struct ImageInfo: Equatable, Sendable {
  public var width: Int
  public var height: Int
  /// Channels after decoding: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. Palette PNGs give 3, or 4 with
  /// transparency; CMYK JPEGs are converted to RGB.
  public var channels: Int
  /// 16 for 16-bit PNGs, otherwise 8.
  public var bitDepth: Int
  public var format: ImageFormat
  /// The EXIF orientation, 1...8; 1 when the file has none (always for PNG).
  public var orientation: Int

  public init(width: Int, height: Int, channels: Int, bitDepth: Int, format: ImageFormat, orientation: Int = 1) {
    self.width = width
    self.height = height
    self.channels = channels
    self.bitDepth = bitDepth
    self.format = format
    self.orientation = orientation
  }
}

/// A decoded image: planar values in [0, 1], the header of the file it came from, and its ICC profile and
/// EXIF (with the EXIF orientation set to 1 when the pixels were turned upright).
public struct LoadedImage: Sendable {
  public var tensor: Tensor
  public var info: ImageInfo
  public var metadata: ImageMetadata

  public init(tensor: Tensor, info: ImageInfo, metadata: ImageMetadata = .none) {
    (self.tensor, self.info, self.metadata) = (tensor, info, metadata)
  }
}

/// Reads only the header of a PNG or JPEG file; the format is detected from the file's content.
public func imageInfo(path: String) throws -> ImageInfo {
  let format = try path.withCString { cPath in
    var input = ccodecs_input(path: cPath, data: nil, size: 0)
    return try detectFormat(&input, name: path)
  }
  var raw = ccodecs_info()
  try callCodec(path: path) { message, capacity in
    switch format {
    case .png: return ccodecs_png_info(path, &raw, message, capacity)
    case .jpeg: return ccodecs_jpeg_info(path, &raw, message, capacity)
    }
  }
  return ImageInfo(raw, format: format)
}

/// Decodes a PNG or JPEG file (detected from its content) to a `channels × height × width` tensor
/// with values v / 255 or v / 65535. No gamma or colour-profile correction is applied.
///
/// A truncated or corrupt JPEG (premature end of file or of a data segment, bad Huffman or
/// arithmetic codes, extraneous bytes before a marker) is an error, although libjpeg itself only
/// warns and fills the missing part with grey: a silently damaged image is worse than none.
///
/// - Parameters:
///   - autoOrient: turn the image upright as its EXIF orientation says (JPEG only).
///   - maxPixels: refuse, before allocating anything, files claiming more pixels than this.
public func loadImage(path: String, autoOrient: Bool = true, maxPixels: Int = 100_000_000) throws -> LoadedImage {
  try path.withCString { cPath in
    try decode(ccodecs_input(path: cPath, data: nil, size: 0), name: path, autoOrient: autoOrient, maxPixels: maxPixels)
  }
}

/// `loadImage(path:)` for the bytes of a PNG or JPEG file held in memory (standard input); `name` stands for
/// the file in messages.
public func loadImage(data: Data, name: String, autoOrient: Bool = true, maxPixels: Int = 100_000_000) throws
  -> LoadedImage
{
  guard !data.isEmpty else { throw ConvolveError.file(path: name, reason: "is empty: no image data") }
  return try data.withUnsafeBytes { bytes in
    try decode(
      ccodecs_input(path: nil, data: bytes.bindMemory(to: UInt8.self).baseAddress, size: bytes.count), name: name,
      autoOrient: autoOrient, maxPixels: maxPixels)
  }
}

private func decode(_ input: ccodecs_input, name: String, autoOrient: Bool, maxPixels: Int) throws -> LoadedImage {
  guard maxPixels > 0 else {
    throw ConvolveError.file(path: name, reason: "the pixel limit must be positive, got \(maxPixels)")
  }
  var input = input
  let format = try detectFormat(&input, name: name)
  let read = format == .png ? ccodecs_png_read : ccodecs_jpeg_read
  // A header pass checks the pixel limit (with the same errors as a full read) before the tensor is
  // allocated; the decoder then converts strips of rows straight into it, and collects the metadata.
  var raw = ccodecs_info()
  try callCodec(path: name) { read(&input, Int64(maxPixels), &raw, nil, 0, nil, $0, $1) }
  let info = ImageInfo(raw, format: format)
  var tensor = Tensor.uninitialized(channels: info.channels, height: info.height, width: info.width)
  var meta = ccodecs_metadata()
  defer { ccodecs_metadata_free(&meta) }
  try tensor.data.withUnsafeMutableBufferPointer { planar in
    try callCodec(path: name) { read(&input, Int64(maxPixels), &raw, planar.baseAddress, planar.count, &meta, $0, $1) }
  }
  guard ImageInfo(raw, format: format) == info else {
    throw ConvolveError.file(path: name, reason: "image changed while reading")
  }
  var metadata = ImageMetadata(
    iccProfile: meta.icc.map { Array(UnsafeBufferPointer(start: $0, count: meta.icc_size)) },
    exif: meta.exif.map { Array(UnsafeBufferPointer(start: $0, count: meta.exif_size)) })
  if autoOrient && info.orientation != 1 {
    tensor = oriented(tensor, orientation: info.orientation)
    // The pixels are upright now; a viewer must not turn them again.
    metadata = metadata.settingOrientation(1)
  }
  return LoadedImage(tensor: tensor, info: info, metadata: metadata)
}

/// Writes `tensor` as PNG or JPEG, chosen by the extension of `path`, with values clamped to [0, 1]
/// and rounded to `bitDepth` bits, and the ICC profile and EXIF of `metadata` (see `ImageMetadata.fitted`
/// for what is left out, and `ccodecs_png_write` / `ccodecs_jpeg_write` for how they are stored).
///
/// PNG takes 1–4 channels at 8 or 16 bits. JPEG is 8-bit and takes 1 or 3 channels; the alpha
/// channel of a 2- or 4-channel tensor is dropped. The file is written to a temporary file in the
/// same directory and renamed over `path` (`AtomicFile`), so a failed save leaves no partial output.
///
/// `pngCompression` nil writes PNG with the fast default (Paeth filter, zlib run-length coding; see
/// png_shim.c for the size and time trade-off); 0...9 uses libpng's adaptive filters with that zlib
/// level (0 stores uncompressed).
public func saveImage(_ tensor: Tensor, path: String, bitDepth: Int = 8, quality: Int = 92,
                      pngCompression: Int? = nil, metadata: ImageMetadata = .none) throws {
  let format = try ImageFormat(path: path)
  try AtomicFile.write(path) { temporary in
    try temporary.withCString { cPath in
      var output = ccodecs_output(path: cPath, data: nil, size: 0)
      try encode(tensor, format: format, name: path, bitDepth: bitDepth, quality: quality,
                 pngCompression: pngCompression, metadata: metadata, into: &output)
    }
  }
}

/// The bytes of `tensor` encoded as `saveImage` would write them (for standard output); `name` stands for the
/// destination in messages.
public func encodeImage(_ tensor: Tensor, format: ImageFormat, name: String = "standard output", bitDepth: Int = 8,
                        quality: Int = 92, pngCompression: Int? = nil, metadata: ImageMetadata = .none) throws -> Data {
  var output = ccodecs_output(path: nil, data: nil, size: 0)
  try encode(tensor, format: format, name: name, bitDepth: bitDepth, quality: quality, pngCompression: pngCompression,
             metadata: metadata, into: &output)
  defer { ccodecs_free(output.data) }
  guard let bytes = output.data else { throw ConvolveError.file(path: name, reason: "the encoder produced no data") }
  return Data(bytes: bytes, count: output.size)
}

private func encode(_ tensor: Tensor, format: ImageFormat, name: String, bitDepth: Int, quality: Int,
                    pngCompression: Int?, metadata: ImageMetadata, into output: inout ccodecs_output) throws {
  func fail(_ reason: String) -> ConvolveError { .file(path: name, reason: reason) }
  guard tensor.width > 0, tensor.height > 0, tensor.channels > 0 else {
    throw fail("cannot save an empty \(tensor.channels)x\(tensor.height)x\(tensor.width) tensor")
  }
  guard tensor.width <= Int(Int32.max), tensor.height <= Int(Int32.max) else {
    throw fail("image of \(tensor.width)x\(tensor.height) pixels is too large to save")
  }
  let channels: Int
  switch format {
  case .png:
    guard (1 ... 4).contains(tensor.channels) else { throw fail("PNG takes 1 to 4 channels, got \(tensor.channels)") }
    guard bitDepth == 8 || bitDepth == 16 else { throw fail("PNG bit depth must be 8 or 16, got \(bitDepth)") }
    if let pngCompression, !(0 ... 9).contains(pngCompression) {
      throw fail("PNG compression must be 0...9, got \(pngCompression)")
    }
    channels = tensor.channels
  case .jpeg:
    guard (1 ... 4).contains(tensor.channels) else { throw fail("JPEG takes 1 to 4 channels, got \(tensor.channels)") }
    guard bitDepth == 8 else { throw fail("JPEG supports only 8-bit samples, got bit depth \(bitDepth)") }
    guard (1 ... 100).contains(quality) else { throw fail("JPEG quality must be 1...100, got \(quality)") }
    channels = tensor.channels <= 2 ? 1 : 3
  }

  let (width, height) = (Int32(tensor.width), Int32(tensor.height))
  var icc = metadata.iccProfile ?? [], exif = metadata.exif ?? []
  try icc.withUnsafeMutableBufferPointer { iccBytes in
    try exif.withUnsafeMutableBufferPointer { exifBytes in
      var meta = ccodecs_metadata(
        icc: iccBytes.baseAddress, icc_size: iccBytes.count, exif: exifBytes.baseAddress, exif_size: exifBytes.count)
      try tensor.data.withUnsafeBufferPointer { planes in
        try callCodec(path: name) { message, capacity in
          format == .png
            ? ccodecs_png_write(&output, planes.baseAddress, width, height, Int32(channels), Int32(bitDepth),
                                Int32(pngCompression ?? -1), &meta, message, capacity)
            : ccodecs_jpeg_write(&output, planes.baseAddress, width, height, Int32(channels), Int32(quality),
                                 &meta, message, capacity)
        }
      }
    }
  }
}

extension ImageInfo {
  init(_ raw: ccodecs_info, format: ImageFormat) {
    self.init(width: Int(raw.width), height: Int(raw.height), channels: Int(raw.channels), bitDepth: Int(raw.bit_depth),
              format: format, orientation: Int(raw.orientation))
  }
}

/// Runs a shim call, turning a nonzero status into `ConvolveError.file` with the shim's message.
func callCodec(path: String, _ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) throws {
  var message = [CChar](repeating: 0, count: 512)
  let reason: String? = message.withUnsafeMutableBufferPointer { buffer in
    let status = body(buffer.baseAddress!, buffer.count)
    guard status != 0 else { return nil }
    let text = String(cString: buffer.baseAddress!)
    return status == CCODECS_OVER_LIMIT ? text + " (raise --max-pixels)" : text
  }
  if let reason {
    let line = reason.split(whereSeparator: \.isNewline).joined(separator: " ")
    throw ConvolveError.file(path: path, reason: line.isEmpty ? "unknown codec error" : line)
  }
}

func detectFormat(_ input: inout ccodecs_input, name: String) throws -> ImageFormat {
  var format: Int32 = 0
  try callCodec(path: name) { ccodecs_sniff_input(&input, &format, $0, $1) }
  switch format {
  case Int32(CCODECS_PNG): return .png
  case Int32(CCODECS_JPEG): return .jpeg
  default: throw ConvolveError.file(path: name, reason: "not a PNG or JPEG file")
  }
}

private func pathExtension(_ path: String) -> Substring {
  let name = path.split(separator: "/").last ?? ""
  guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
  return name[name.index(after: dot)...]
}

/// `tensor` turned as EXIF orientation `orientation` (1...8) says, so that it displays upright:
/// 2 mirrors, 3 rotates 180°, 4 flips, 5 transposes, 6 rotates 90° clockwise, 7 transverses,
/// 8 rotates 90° counter-clockwise. Orientations 5...8 swap width and height.
func oriented(_ tensor: Tensor, orientation: Int) -> Tensor {
  let w = tensor.width, h = tensor.height
  // The source index of output (x, y) is offset + x * stepX + y * stepY.
  let (offset, stepX, stepY): (Int, Int, Int)
  switch orientation {
  case 2: (offset, stepX, stepY) = (w - 1, -1, w)
  case 3: (offset, stepX, stepY) = ((h - 1) * w + w - 1, -1, -w)
  case 4: (offset, stepX, stepY) = ((h - 1) * w, 1, -w)
  case 5: (offset, stepX, stepY) = (0, w, 1)
  case 6: (offset, stepX, stepY) = ((h - 1) * w, -w, 1)
  case 7: (offset, stepX, stepY) = ((h - 1) * w + w - 1, -w, -1)
  case 8: (offset, stepX, stepY) = (w - 1, w, -1)
  default: return tensor
  }
  let (outWidth, outHeight) = orientation >= 5 ? (h, w) : (w, h)
  var result = Tensor(channels: tensor.channels, height: outHeight, width: outWidth)
  let plane = tensor.planeSize
  tensor.data.withUnsafeBufferPointer { source in
    result.data.withUnsafeMutableBufferPointer { destination in
      for c in 0 ..< tensor.channels {
        let base = c * plane
        for y in 0 ..< outHeight {
          var s = base + offset + y * stepY
          let row = base + y * outWidth
          for x in 0 ..< outWidth {
            destination[row + x] = source[s]
            s += stepX
          }
        }
      }
    }
  }
  return result
}
