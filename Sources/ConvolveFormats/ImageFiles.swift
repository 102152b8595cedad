import CCodecs
import ConvolveCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What an image file's header says, as stored; with `orientation` 5...8 the displayed image is
/// `height` wide and `width` high.
public struct ImageInfo: Equatable, Sendable {
  public var width: Int
  public var height: Int
  /// Channels after decoding: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. Palette PNGs give 3, or 4 with
  /// transparency; CMYK JPEGs are converted to RGB.
  public var channels: Int
  /// 16 for 16-bit PNG and TIFF (and 10- or 12-bit HEIC / AVIF), 32 for float TIFF, otherwise 8.
  public var bitDepth: Int
  public var format: ImageFormat
  /// The EXIF orientation (TIFF: its Orientation tag), 1...8; 1 when the file has none (always for PNG, and for
  /// HEIC / AVIF, which are decoded turned).
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
  /// The ICC profile the pixels were converted from to sRGB (nil: as stored).
  public var convertedFrom: [UInt8]?

  public init(tensor: Tensor, info: ImageInfo, metadata: ImageMetadata = .none, convertedFrom: [UInt8]? = nil) {
    (self.tensor, self.info, self.metadata, self.convertedFrom) = (tensor, info, metadata, convertedFrom)
  }
}

/// Reads only the header of an image file; the format is detected from the file's content.
public func imageInfo(path: String) throws -> ImageInfo {
  try path.withCString { cPath in
    var input = ccodecs_input(path: cPath, data: nil, size: 0)
    let entry = try sniffFormat(&input, name: path)
    var raw = ccodecs_info()
    try callCodec(path: path) { entry.codec.info(&input, &raw, nil, $0, $1) }
    return ImageInfo(raw, format: entry.format)
  }
}

/// Decodes an image file of any format of the codec table (detected from its content) to a `channels × height × width` tensor
/// with values v / 255 or v / 65535 (float TIFF: as stored). No gamma or colour-profile correction is applied.
///
/// A truncated or corrupt JPEG (premature end of file or of a data segment, bad Huffman or
/// arithmetic codes, extraneous bytes before a marker) is an error, although libjpeg itself only
/// warns and fills the missing part with grey: a silently damaged image is worse than none.
///
/// - Parameters:
///   - autoOrient: turn the image upright as its EXIF orientation says (JPEG only).
///   - maxPixels: refuse, before allocating anything, files claiming more pixels than this.
///   - page: the image of a multi-image file (TIFF), from 0.
///   - toSRGB: convert the pixels from the embedded ICC profile to sRGB (lcms2, perceptual intent) and keep the
///     sRGB profile in the metadata; without a profile the pixels are taken as sRGB already.
public func loadImage(path: String, autoOrient: Bool = true, maxPixels: Int = 100_000_000, page: Int = 0,
                      toSRGB: Bool = false) throws -> LoadedImage {
  try decode(.path(path), name: path, autoOrient: autoOrient, maxPixels: maxPixels, page: page, toSRGB: toSRGB)
}

/// `loadImage(path:)` for the bytes of an image file held in memory (standard input); `name` stands for
/// the file in messages.
public func loadImage(data: Data, name: String, autoOrient: Bool = true, maxPixels: Int = 100_000_000, page: Int = 0,
                      toSRGB: Bool = false) throws -> LoadedImage {
  guard !data.isEmpty else { throw ConvolveError.file(path: name, reason: "is empty: no image data") }
  return try data.withUnsafeBytes { bytes in
    try decode(.memory(bytes), name: name, autoOrient: autoOrient, maxPixels: maxPixels, page: page, toSRGB: toSRGB)
  }
}

/// The whole image: its row reader run over all rows.
private func decode(_ source: ImageRowReader.Source, name: String, autoOrient: Bool, maxPixels: Int, page: Int,
                    toSRGB: Bool) throws -> LoadedImage {
  let reader = try ImageRowReader(
    source, name: name, maxPixels: maxPixels, forStrips: false, owning: nil, page: page, toSRGB: toSRGB)
  let info = reader.info
  // The header was read and the pixel limit checked before the tensor is allocated; the reader converts strips
  // of rows straight into it.
  var tensor = Tensor.uninitialized(channels: info.channels, height: info.height, width: info.width)
  try reader.read(info.height, into: &tensor, at: 0)
  let late = try reader.finishReading()
  var metadata = ImageMetadata(
    iccProfile: reader.metadata.iccProfile ?? (toSRGB ? nil : late.iccProfile), exif: reader.metadata.exif ?? late.exif)
  if autoOrient && info.orientation != 1 {
    tensor = oriented(tensor, orientation: info.orientation)
    // The pixels are upright now; a viewer must not turn them again.
    metadata = metadata.settingOrientation(1)
  }
  return LoadedImage(tensor: tensor, info: info, metadata: metadata, convertedFrom: reader.convertedFrom)
}

/// Writes `tensor` in the format the extension of `path` names (PNG, JPEG), with values clamped to [0, 1]
/// and rounded to `bitDepth` bits, and the ICC profile and EXIF of `metadata` (see `ImageMetadata.fitted`
/// for what is left out, and `ccodecs_png.h` / `ccodecs_jpeg.h` for how they are stored).
///
/// PNG takes 1–4 channels at 8 or 16 bits. JPEG is 8-bit and takes 1 or 3 channels; the alpha
/// channel of a 2- or 4-channel tensor is dropped. The file is written to a temporary file in the
/// same directory and renamed over `path` (`AtomicFile`), so a failed save leaves no partial output.
///
/// `pngCompression` nil writes PNG with the fast default (Paeth filter, zlib run-length coding; see
/// png_shim.c for the size and time trade-off); 0...9 uses libpng's adaptive filters with that zlib
/// level (0 stores uncompressed).
public func saveImage(_ tensor: Tensor, path: String, bitDepth: Int = 8, quality: Int = 92,
                      pngCompression: Int? = nil, lossless: Bool = false, metadata: ImageMetadata = .none) throws {
  let format = try ImageFormat(path: path)
  try AtomicFile.write(path) { temporary in
    _ = try encode(tensor, format: format, path: temporary, name: path, bitDepth: bitDepth, quality: quality,
                   pngCompression: pngCompression, lossless: lossless, metadata: metadata)
  }
}

/// The bytes of `tensor` encoded as `saveImage` would write them (for standard output); `name` stands for the
/// destination in messages.
public func encodeImage(_ tensor: Tensor, format: ImageFormat, name: String = "standard output", bitDepth: Int = 8,
                        quality: Int = 92, pngCompression: Int? = nil, lossless: Bool = false,
                        metadata: ImageMetadata = .none) throws -> Data {
  try encode(tensor, format: format, path: nil, name: name, bitDepth: bitDepth, quality: quality,
             pngCompression: pngCompression, lossless: lossless, metadata: metadata)!
}

/// The whole image: its row writer over all rows, into the file `path` or (nil) memory, whose bytes it returns.
private func encode(_ tensor: Tensor, format: ImageFormat, path: String?, name: String, bitDepth: Int, quality: Int,
                    pngCompression: Int?, lossless: Bool, metadata: ImageMetadata) throws -> Data? {
  func fail(_ reason: String) -> ConvolveError { .file(path: name, reason: reason) }
  guard tensor.width > 0, tensor.height > 0, tensor.channels > 0 else {
    throw fail("cannot save an empty \(tensorSizeText(channels: tensor.channels, height: tensor.height, width: tensor.width)) tensor")
  }
  guard tensor.width <= Int(Int32.max), tensor.height <= Int(Int32.max) else {
    throw fail("image of \(tensor.width)x\(tensor.height) pixels is too large to save")
  }
  let refusal = format.entry.codec.writeRefusal(
    channels: tensor.channels, bitDepth: bitDepth, quality: quality, compression: pngCompression)
  if let refusal { throw fail(refusal) }
  let writer = try ImageRowWriter(
    path: path, name: name, format: format, width: tensor.width, height: tensor.height,
    channels: format.capabilities.writtenChannels(tensor.channels), bitDepth: bitDepth, quality: quality,
    pngCompression: pngCompression, lossless: lossless, metadata: metadata)
  try writer.write(tensor)
  return try writer.finish()
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
