import CCodecs
import ConvolveCore

/// One image file format, through its C file in Sources/CCodecs (the calls `ccodecs.h` describes): its signature,
/// its header, and its rows read and written a strip at a time. Whole-image reads and writes (`loadImage`,
/// `saveImage`) are these rows run over the whole image. A format is one type conforming to this, in its own file
/// in this folder, and one line in `codecTable` saying what it can do.
protocol ImageCodec: Sendable {
  /// Whether a file starting with `head` (its first `codecHeadBytes` bytes, fewer for a short file) is of this format.
  func sniff(_ head: [UInt8]) -> Bool
  /// The header only (size, channels, depth, orientation; the metadata when asked), with no pixel limit.
  var info: CodecInfoCall { get }
  /// The row reader: open (the header, metadata and pixel limit), read rows, finish (the end checked), close.
  var reader: CodecReaderCalls { get }
  /// The row writer: open (the header and metadata written), write rows, finish (the file complete), discard.
  var writer: CodecWriterCalls { get }
  /// Why an image of `channels` channels cannot be written with these settings (nil when it can), in words.
  func writeRefusal(channels: Int, bitDepth: Int, quality: Int, compression: Int?) -> String?
  /// Why a streamed filter cannot take the rows a strip at a time, for the reader's `strips` code (nil: it can).
  func stripsRefusal(_ strips: Int32) -> String?
}

extension ImageCodec {
  func stripsRefusal(_ strips: Int32) -> String? { nil }
}

/// The leading bytes of a file read for the formats' `sniff` (an ISO BMFF "ftyp" box's first brands fit).
let codecHeadBytes = 32

typealias CodecMessage = UnsafeMutablePointer<CChar>?
/// `ccodecs_FMT_info(input, info, metadata or nil, message, capacity)`.
typealias CodecInfoCall = (
  UnsafePointer<ccodecs_input>?, UnsafeMutablePointer<ccodecs_info>?, UnsafeMutablePointer<ccodecs_metadata>?,
  CodecMessage, Int
) -> Int32

/// `ccodecs_FMT_reader_open / _read / _finish / _close`.
struct CodecReaderCalls {
  var open: (
    UnsafePointer<ccodecs_input>?, Int64, UnsafeMutablePointer<OpaquePointer?>?, UnsafeMutablePointer<ccodecs_info>?,
    UnsafeMutablePointer<ccodecs_metadata>?, UnsafeMutablePointer<Int32>?, CodecMessage, Int
  ) -> Int32
  var read: (OpaquePointer?, UnsafeMutablePointer<Float>?, Int, Int32, CodecMessage, Int) -> Int32
  var finish: (OpaquePointer?, UnsafeMutablePointer<ccodecs_metadata>?, CodecMessage, Int) -> Int32
  var close: (OpaquePointer?) -> Void
  /// `open` of image `page` (0 based) of a multi-image file, for the formats that have pages (nil: one image).
  var openPage: (
    (UnsafePointer<ccodecs_input>?, Int32, Int64, UnsafeMutablePointer<OpaquePointer?>?,
     UnsafeMutablePointer<ccodecs_info>?, UnsafeMutablePointer<ccodecs_metadata>?, UnsafeMutablePointer<Int32>?,
     CodecMessage, Int) -> Int32
  )? = nil
}

/// `ccodecs_FMT_writer_open / _write / _finish / _discard`.
struct CodecWriterCalls {
  var open: (
    UnsafeMutablePointer<ccodecs_output>?, Int32, Int32, Int32, UnsafePointer<ccodecs_write_options>?,
    UnsafePointer<ccodecs_metadata>?, UnsafeMutablePointer<OpaquePointer?>?, CodecMessage, Int
  ) -> Int32
  var write: (OpaquePointer?, UnsafePointer<Float>?, Int, Int32, CodecMessage, Int) -> Int32
  var finish: (OpaquePointer?, CodecMessage, Int) -> Int32
  var discard: (OpaquePointer?) -> Void
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

/// The format of the input, from its first bytes: the first line of `codecTable` whose `sniff` takes them.
func sniffFormat(_ input: inout ccodecs_input, name: String) throws -> CodecEntry {
  var head = [UInt8](repeating: 0, count: codecHeadBytes)
  var count = 0
  let capacity = head.count
  try callCodec(path: name) { ccodecs_read_head(&input, &head, capacity, &count, $0, $1) }
  let bytes = Array(head[..<count])
  guard let entry = codecTable.first(where: { $0.codec.sniff(bytes) }) else {
    throw ConvolveError.file(path: name, reason: "not a \(joinedWithOr(codecTable.map(\.capabilities.label))) file")
  }
  return entry
}

extension ImageInfo {
  init(_ raw: ccodecs_info, format: ImageFormat) {
    self.init(width: Int(raw.width), height: Int(raw.height), channels: Int(raw.channels), bitDepth: Int(raw.bit_depth),
              format: format, orientation: Int(raw.orientation))
  }
}

extension ImageMetadata {
  /// A copy of what the shim read (it stays the caller's to free).
  init(_ raw: ccodecs_metadata) {
    self.init(
      iccProfile: raw.icc.map { Array(UnsafeBufferPointer(start: $0, count: raw.icc_size)) },
      exif: raw.exif.map { Array(UnsafeBufferPointer(start: $0, count: raw.exif_size)) })
  }
}

/// "a", "a or b", "a, b or c".
func joinedWithOr(_ items: [String]) -> String {
  items.count <= 1 ? items.joined() : items.dropLast().joined(separator: ", ") + " or " + items.last!
}
