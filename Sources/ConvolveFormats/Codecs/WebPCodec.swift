import CCodecs

extension ImageFormat {
  /// WebP: lossy, lossless and alpha read as 8-bit RGB or RGBA; written lossy (`quality`) or lossless.
  public static let webp = ImageFormat("webp")
}

/// WebP through libwebp: `webp_shim.c` (`ccodecs_webp.h`).
struct WebPCodec: ImageCodec {
  /// "RIFF", a size, "WEBP".
  func sniff(_ head: [UInt8]) -> Bool {
    head.count >= 12 && head.starts(with: Array("RIFF".utf8)) && head[8 ..< 12].elementsEqual("WEBP".utf8)
  }

  var info: CodecInfoCall { ccodecs_webp_info }

  var reader: CodecReaderCalls {
    CodecReaderCalls(
      open: ccodecs_webp_reader_open, read: ccodecs_webp_reader_read, finish: ccodecs_webp_reader_finish,
      close: ccodecs_webp_reader_close)
  }

  var writer: CodecWriterCalls {
    CodecWriterCalls(
      open: ccodecs_webp_writer_open, write: ccodecs_webp_writer_write, finish: ccodecs_webp_writer_finish,
      discard: ccodecs_webp_writer_discard)
  }

  func writeRefusal(channels: Int, bitDepth: Int, quality: Int, compression: Int?) -> String? {
    guard (1 ... 4).contains(channels) else { return "WebP takes 1 to 4 channels, got \(channels)" }
    guard bitDepth == 8 else { return "WebP supports only 8-bit samples, got bit depth \(bitDepth)" }
    guard (1 ... 100).contains(quality) else { return "WebP quality must be 1...100, got \(quality)" }
    return nil
  }
}
