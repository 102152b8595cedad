import CCodecs

extension ImageFormat {
  /// JPEG: 8 bits; gray, RGB, CMYK and YCCK read (the last two as RGB), gray or RGB written.
  public static let jpeg = ImageFormat("jpeg")
}

/// JPEG through libjpeg-turbo: `jpeg_shim.c` (`ccodecs_jpeg.h`).
struct JPEGCodec: ImageCodec {
  /// SOI and the first marker's 0xFF.
  func sniff(_ head: [UInt8]) -> Bool { head.starts(with: [0xFF, 0xD8, 0xFF]) }

  var info: CodecInfoCall { ccodecs_jpeg_info }

  var reader: CodecReaderCalls {
    CodecReaderCalls(
      open: ccodecs_jpeg_reader_open, read: ccodecs_jpeg_reader_read, finish: ccodecs_jpeg_reader_finish,
      close: ccodecs_jpeg_reader_close)
  }

  var writer: CodecWriterCalls {
    CodecWriterCalls(
      open: ccodecs_jpeg_writer_open, write: ccodecs_jpeg_writer_write, finish: ccodecs_jpeg_writer_finish,
      discard: ccodecs_jpeg_writer_discard)
  }

  func writeRefusal(channels: Int, bitDepth: Int, quality: Int, compression: Int?) -> String? {
    guard (1 ... 4).contains(channels) else { return "JPEG takes 1 to 4 channels, got \(channels)" }
    guard bitDepth == 8 else { return "JPEG supports only 8-bit samples, got bit depth \(bitDepth)" }
    guard (1 ... 100).contains(quality) else { return "JPEG quality must be 1...100, got \(quality)" }
    return nil
  }
}
