import CCodecs

extension ImageFormat {
  /// PNG: every colour type at 1 to 16 bits read, 1–4 channels written at 8 or 16 bits.
  public static let png = ImageFormat("png")
}

/// PNG through libpng: `png_shim.c` (`ccodecs_png.h`).
struct PNGCodec: ImageCodec {
  /// The first four bytes of the signature; a damaged tail (an ASCII-mode transfer) is left to libpng to word.
  func sniff(_ head: [UInt8]) -> Bool { head.starts(with: [0x89, 0x50, 0x4E, 0x47]) }

  var info: CodecInfoCall { ccodecs_png_info }

  var reader: CodecReaderCalls {
    CodecReaderCalls(
      open: ccodecs_png_reader_open, read: ccodecs_png_reader_read, finish: ccodecs_png_reader_finish,
      close: ccodecs_png_reader_close)
  }

  var writer: CodecWriterCalls {
    CodecWriterCalls(
      open: ccodecs_png_writer_open, write: ccodecs_png_writer_write, finish: ccodecs_png_writer_finish,
      discard: ccodecs_png_writer_discard)
  }

  func writeRefusal(channels: Int, bitDepth: Int, quality: Int, compression: Int?) -> String? {
    guard (1 ... 4).contains(channels) else { return "PNG takes 1 to 4 channels, got \(channels)" }
    guard bitDepth == 8 || bitDepth == 16 else { return "PNG bit depth must be 8 or 16, got \(bitDepth)" }
    if let compression, !(0 ... 9).contains(compression) { return "PNG compression must be 0...9, got \(compression)" }
    return nil
  }

  func stripsRefusal(_ strips: Int32) -> String? {
    switch strips {
    case Int32(CCODECS_STRIPS_OK): return nil
    case Int32(CCODECS_STRIPS_INTERLACED): return "an interlaced (Adam7) PNG is decoded whole"
    default: return "the PNG's eXIf chunk comes after the image data"
    }
  }
}
