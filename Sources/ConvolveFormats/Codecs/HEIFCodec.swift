import CCodecs

extension ImageFormat {
  /// HEIC / HEIF (HEVC): read as 8-bit RGB or RGBA (16 bits for 10- and 12-bit images), turned upright.
  public static let heic = ImageFormat("heic")
  /// AVIF (AV1): read as HEIC is; written at 8 bits, lossy (`quality`) or lossless.
  public static let avif = ImageFormat("avif")
}

/// HEIC and AVIF through libheif: `heif_shim.c` (`ccodecs_heif.h`); one codec, told apart by the file's brands.
struct HEIFCodec: ImageCodec {
  /// Whether this is the AVIF line (else HEIC).
  let avif: Bool

  /// An ISO BMFF "ftyp" box whose major or compatible brands (those within the head) name this codec's images.
  func sniff(_ head: [UInt8]) -> Bool {
    guard head.count >= 12, head[4 ..< 8].elementsEqual("ftyp".utf8) else { return false }
    let size = Int(head[0]) << 24 | Int(head[1]) << 16 | Int(head[2]) << 8 | Int(head[3])
    var brands = [String(decoding: head[8 ..< 12], as: UTF8.self)]
    for at in stride(from: 16, to: min(size, head.count) - 3, by: 4) {
      brands.append(String(decoding: head[at ..< at + 4], as: UTF8.self))
    }
    let isAVIF = brands.contains { $0 == "avif" || $0 == "avis" }
    if avif { return isAVIF }
    return !isAVIF && brands.contains { ["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"].contains($0) }
  }

  var info: CodecInfoCall { ccodecs_heif_info }

  var reader: CodecReaderCalls {
    CodecReaderCalls(
      open: ccodecs_heif_reader_open, read: ccodecs_heif_reader_read, finish: ccodecs_heif_reader_finish,
      close: ccodecs_heif_reader_close)
  }

  var writer: CodecWriterCalls {
    CodecWriterCalls(
      open: ccodecs_avif_writer_open, write: ccodecs_heif_writer_write, finish: ccodecs_heif_writer_finish,
      discard: ccodecs_heif_writer_discard)
  }

  func writeRefusal(channels: Int, bitDepth: Int, quality: Int, compression: Int?) -> String? {
    guard avif else { return "HEIC is read only; write .avif, .webp or .jpg" }
    guard (1 ... 4).contains(channels) else { return "AVIF takes 1 to 4 channels, got \(channels)" }
    guard bitDepth == 8 else { return "AVIF is written with 8-bit samples only, got bit depth \(bitDepth)" }
    guard (1 ... 100).contains(quality) else { return "AVIF quality must be 1...100, got \(quality)" }
    return nil
  }
}
