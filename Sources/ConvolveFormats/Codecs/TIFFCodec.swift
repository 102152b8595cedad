import CCodecs

extension ImageFormat {
  /// TIFF and BigTIFF: 1 to 16-bit integer and 32-bit float samples read (palette, CMYK and other layouts through
  /// libtiff's RGBA interface), 1–4 channels written at 8 or 16 bits or as 32-bit float.
  public static let tiff = ImageFormat("tiff")
}

/// TIFF through libtiff: `tiff_shim.c` (`ccodecs_tiff.h`).
struct TIFFCodec: ImageCodec {
  /// "II*\0" or "MM\0*", and BigTIFF's "II+\0" or "MM\0+".
  func sniff(_ head: [UInt8]) -> Bool {
    guard head.count >= 4 else { return false }
    let little = head[0] == 0x49 && head[1] == 0x49 && head[3] == 0
    let big = head[0] == 0x4D && head[1] == 0x4D && head[2] == 0
    return (little && (head[2] == 42 || head[2] == 43)) || (big && (head[3] == 42 || head[3] == 43))
  }

  var info: CodecInfoCall { ccodecs_tiff_info }

  var reader: CodecReaderCalls {
    CodecReaderCalls(
      open: ccodecs_tiff_reader_open, read: ccodecs_tiff_reader_read, finish: ccodecs_tiff_reader_finish,
      close: ccodecs_tiff_reader_close, openPage: ccodecs_tiff_reader_open_page)
  }

  var writer: CodecWriterCalls {
    CodecWriterCalls(
      open: ccodecs_tiff_writer_open, write: ccodecs_tiff_writer_write, finish: ccodecs_tiff_writer_finish,
      discard: ccodecs_tiff_writer_discard)
  }

  func writeRefusal(channels: Int, bitDepth: Int, quality: Int, compression: Int?) -> String? {
    guard (1 ... 4).contains(channels) else { return "TIFF takes 1 to 4 channels, got \(channels)" }
    guard [8, 16, 32].contains(bitDepth) else { return "TIFF bit depth must be 8, 16 or 32 (float), got \(bitDepth)" }
    if let compression, !(0 ... 9).contains(compression) { return "TIFF compression must be 0...9, got \(compression)" }
    return nil
  }

  func stripsRefusal(_ strips: Int32) -> String? {
    strips == Int32(CCODECS_STRIPS_OK)
      ? nil : "this TIFF's layout (palette, CMYK, YCbCr, separate planes or odd samples) is decoded whole"
  }
}
