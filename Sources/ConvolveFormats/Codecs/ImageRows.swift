import CCodecs
import ConvolveCore
import Foundation

/// An image file read a strip of rows at a time, top to bottom, through its format's codec, with the values
/// `loadImage` gives (as stored: no EXIF orientation is applied). `loadImage` is this reader run over all rows.
public final class ImageRowReader {
  public let info: ImageInfo
  /// The ICC profile and EXIF, as `loadImage` reads them before any orientation is applied (with `toSRGB`, the
  /// profile is the sRGB one the rows were converted to).
  public let metadata: ImageMetadata
  /// Why rows cannot come a strip at a time (then read the whole image with `loadImage`); nil when they can.
  public let refusal: String?
  /// Rows read so far.
  public private(set) var row = 0
  private var reader: OpaquePointer?
  /// The ICC profile the rows are converted from to sRGB (nil: not converted).
  public private(set) var convertedFrom: [UInt8]?
  /// The conversion from the file's ICC profile to sRGB (`toSRGB`), applied to every strip.
  private var color: OpaquePointer?
  private let calls: CodecReaderCalls
  private let name: String
  /// A copy of standard input's bytes, which the reader reads until it goes.
  private let bytes: UnsafeMutableRawBufferPointer?

  /// Where a reader takes its bytes from.
  enum Source {
    case path(String)
    /// Bytes that must outlive the reader, unless it owns them (`owning`).
    case memory(UnsafeRawBufferPointer)
  }

  /// Opens `path` (its header and metadata read, the pixel limit checked); `page`: the image of a multi-image
  /// file (TIFF), from 0.
  public convenience init(path: String, maxPixels: Int, page: Int = 0, toSRGB: Bool = false) throws {
    try self.init(.path(path), name: path, maxPixels: maxPixels, forStrips: true, owning: nil, page: page, toSRGB: toSRGB)
  }

  /// Opens the image in `data` (standard input); `name` stands for it in messages.
  public convenience init(data: Data, name: String, maxPixels: Int, page: Int = 0, toSRGB: Bool = false) throws {
    guard !data.isEmpty else { throw ConvolveError.file(path: name, reason: "is empty: no image data") }
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: data.count, alignment: 16)
    copy.copyBytes(from: data)
    do {
      try self.init(
        .memory(UnsafeRawBufferPointer(copy)), name: name, maxPixels: maxPixels, forStrips: true, owning: copy,
        page: page, toSRGB: toSRGB)
    } catch {
      copy.deallocate()
      throw error
    }
  }

  /// Opens `source` (`forStrips`: also asks whether a streamed filter can take its rows; `owning`: bytes
  /// deallocated with the reader; `page`: the image of a multi-image file; `toSRGB`: the rows converted from the
  /// embedded ICC profile to sRGB through lcms2, with a note on standard error when the profile cannot be used).
  init(_ source: Source, name: String, maxPixels: Int, forStrips: Bool, owning bytes: UnsafeMutableRawBufferPointer?,
       page: Int = 0, toSRGB: Bool = false) throws
  {
    guard maxPixels > 0 else {
      throw ConvolveError.file(path: name, reason: "the pixel limit must be positive, got \(maxPixels)")
    }
    guard (0 ... Int(Int32.max)).contains(page) else {
      throw ConvolveError.file(path: name, reason: "page \(page) does not exist (pages count from 0)")
    }
    var raw = ccodecs_info(), meta = ccodecs_metadata(), strips = Int32(CCODECS_STRIPS_OK)
    var opened: OpaquePointer?
    defer { ccodecs_metadata_free(&meta) }
    func open(_ input: inout ccodecs_input) throws -> CodecEntry {
      let entry = try sniffFormat(&input, name: name)
      let open = entry.codec.reader.open, openPage = entry.codec.reader.openPage
      if page != 0 && openPage == nil {
        throw ConvolveError.file(path: name, reason: "a \(entry.capabilities.label) file holds one image; --page is for TIFF")
      }
      try withUnsafeMutablePointer(to: &strips) { stripsPointer in
        try callCodec(path: name) {
          guard page != 0, let openPage else {
            return open(&input, Int64(maxPixels), &opened, &raw, &meta, forStrips ? stripsPointer : nil, $0, $1)
          }
          return openPage(&input, Int32(page), Int64(maxPixels), &opened, &raw, &meta, forStrips ? stripsPointer : nil, $0, $1)
        }
      }
      return entry
    }
    let entry: CodecEntry
    switch source {
    case .path(let path):
      entry = try path.withCString { cPath in
        var input = ccodecs_input(path: cPath, data: nil, size: 0)
        return try open(&input)
      }
    case .memory(let memory):
      var input = ccodecs_input(path: nil, data: memory.baseAddress?.assumingMemoryBound(to: UInt8.self), size: memory.count)
      entry = try open(&input)
    }
    (calls, self.name, self.bytes, reader) = (entry.codec.reader, name, bytes, opened)
    info = ImageInfo(raw, format: entry.format)
    var metadata = ImageMetadata(meta)
    var color: OpaquePointer?
    if toSRGB, let icc = metadata.iccProfile {
      var profile: UnsafeMutablePointer<UInt8>?, size = 0
      var message = [CChar](repeating: 0, count: 512)
      let channels = Int32(info.channels)
      let status = icc.withUnsafeBufferPointer { bytes in
        ccodecs_color_open(bytes.baseAddress, bytes.count, channels, &color, &profile, &size, &message, message.count)
      }
      if status == 0 {
        convertedFrom = icc
        metadata.iccProfile = Array(UnsafeBufferPointer(start: profile, count: size))
        ccodecs_free(profile)
      } else {
        let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        FileHandle.standardError.write(Data("note: \(name): kept as stored, not converted to sRGB: \(reason)\n".utf8))
      }
    }
    (self.metadata, self.color) = (metadata, color)
    refusal = entry.capabilities.rowStreaming
      ? entry.codec.stripsRefusal(strips) : "a \(entry.capabilities.label) file is decoded whole"
  }

  deinit {
    ccodecs_color_close(color)
    calls.close(reader)
    bytes?.deallocate()
  }

  /// Reads the next `count` rows into rows `at ..< at + count` of every channel of `tensor`.
  public func read(_ count: Int, into tensor: inout Tensor, at first: Int) throws {
    precondition(tensor.channels == info.channels && tensor.width == info.width)
    precondition(first >= 0 && first + count <= tensor.height && row + count <= info.height)
    guard count > 0 else { return }
    let plane = tensor.planeSize, offset = first * tensor.width
    try tensor.data.withUnsafeMutableBufferPointer { values in
      try callCodec(path: name) { calls.read(reader, values.baseAddress! + offset, plane, Int32(count), $0, $1) }
      if let color { ccodecs_color_apply(color, values.baseAddress! + offset, plane, count * tensor.width) }
    }
    row += count
  }

  /// After the last row: reads and checks the rest of the file as `loadImage` does.
  public func finish() throws { _ = try finishReading() }

  /// `finish`, returning the ICC profile and EXIF the file holds after the image data too (a PNG's late eXIf).
  func finishReading() throws -> ImageMetadata {
    var late = ccodecs_metadata()
    defer { ccodecs_metadata_free(&late) }
    try callCodec(path: name) { calls.finish(reader, &late, $0, $1) }
    return ImageMetadata(late)
  }
}

/// An image file written a strip of rows at a time through its format's codec, with the bytes `saveImage` /
/// `encodeImage` write (they are this writer run over all rows).
public final class ImageRowWriter {
  private var writer: OpaquePointer?
  private let calls: CodecWriterCalls
  private let output: UnsafeMutablePointer<ccodecs_output>
  private let path: UnsafeMutablePointer<CChar>?
  private let name: String
  let channels: Int

  /// Starts `path` (nil: a buffer in memory, for `finish` to return) for `width x height` images of `channels`
  /// channels (as the format writes them: the caller drops alpha the format has not); `lossless` for WebP.
  public init(path: String?, name: String, format: ImageFormat, width: Int, height: Int, channels: Int, bitDepth: Int,
       quality: Int, pngCompression: Int?, lossless: Bool = false, metadata: ImageMetadata) throws {
    self.name = name
    self.channels = channels
    self.path = path.map { strdup($0) }
    calls = format.entry.codec.writer
    output = .allocate(capacity: 1)
    output.initialize(to: ccodecs_output(path: self.path.map { UnsafePointer($0) }, data: nil, size: 0))
    guard width <= Int(Int32.max), height <= Int(Int32.max) else {
      throw ConvolveError.file(path: name, reason: "image of \(width)x\(height) pixels is too large to save")
    }
    var icc = metadata.iccProfile ?? [], exif = metadata.exif ?? []
    var options = ccodecs_write_options(
      bit_depth: Int32(bitDepth), compression: Int32(pngCompression ?? -1), quality: Int32(quality),
      lossless: lossless ? 1 : 0)
    var opened: OpaquePointer?
    try icc.withUnsafeMutableBufferPointer { iccBytes in
      try exif.withUnsafeMutableBufferPointer { exifBytes in
        var meta = ccodecs_metadata(
          icc: iccBytes.baseAddress, icc_size: iccBytes.count, exif: exifBytes.baseAddress, exif_size: exifBytes.count)
        try callCodec(path: name) {
          calls.open(output, Int32(width), Int32(height), Int32(channels), &options, &meta, &opened, $0, $1)
        }
      }
    }
    writer = opened
  }

  deinit {
    calls.discard(writer)
    output.deallocate()
    free(path)
  }

  /// Writes every row of the first `channels` channels of `tensor`.
  public func write(_ tensor: Tensor) throws {
    precondition(tensor.channels >= channels)
    let plane = tensor.planeSize
    try tensor.data.withUnsafeBufferPointer { values in
      try callCodec(path: name) { calls.write(writer, values.baseAddress, plane, Int32(tensor.height), $0, $1) }
    }
  }

  /// Completes the file; for a memory output, returns its bytes.
  public func finish() throws -> Data? {
    let w = writer
    writer = nil
    try callCodec(path: name) { calls.finish(w, $0, $1) }
    guard path == nil else { return nil }
    defer { ccodecs_free(output.pointee.data) }
    guard let bytes = output.pointee.data else {
      throw ConvolveError.file(path: name, reason: "the encoder produced no data")
    }
    return Data(bytes: bytes, count: output.pointee.size)
  }
}
