import ConvolveCore
import ConvolveTestSupport
import Foundation
import Testing

@testable import ConvolveFormats

/// The codec table: every line's format is found from its bytes and its extensions, round-trips through the whole-
/// image path (the row reader and writer over all rows), and reads the same rows a strip at a time.
@Suite struct CodecTableTests {
  func picture(channels: Int, height: Int, width: Int) -> Tensor {
    var t = Tensor(channels: channels, height: height, width: width)
    for i in t.data.indices { t.data[i] = Float((i * 37) % 256) / 255 }
    return t
  }

  @Test func everyLineIsFoundByItsExtensionsAndItsName() throws {
    let extensions = codecTable.flatMap(\.capabilities.extensions)
    #expect(Set(extensions).count == extensions.count, "an extension names one format")
    #expect(Set(codecTable.map(\.format)).count == codecTable.count)
    for entry in codecTable where entry.capabilities.writing {
      for ext in entry.capabilities.extensions {
        #expect(try ImageFormat(path: "dir/x." + ext.uppercased()) == entry.format)
        #expect(ImageFormat(name: ext) == entry.format)
      }
      #expect(ImageFormat(name: entry.format.name) == entry.format)
      #expect(entry.format.fileExtension == entry.capabilities.extensions[0])
      #expect("\(entry.format)" == entry.format.name)
    }
    #expect(ImageFormat.writable.map(\.fileExtension) == ["png", "jpg", "webp", "tif", "avif"])
    #expect(ImageFormat.readableGlobs == ["*.png", "*.jpg", "*.jpeg", "*.webp", "*.tif", "*.tiff", "*.avif", "*.heic", "*.heif"])
    #expect(ImageFormat.orList(["a", "b", "c"]) == "a, b or c")
  }

  @Test func everyWritableLineRoundTripsAndReadsInStrips() throws {
    let folder = try temporaryDirectory()
    for entry in codecTable where entry.capabilities.writing {
      for channels in 1 ... 4 {
        let image = picture(channels: channels, height: 37, width: 23)
        let path = folder.appendingPathComponent("p\(channels).\(entry.format.fileExtension)").path
        try saveImage(image, path: path, quality: 100)
        let loaded = try loadImage(path: path)
        let written = entry.capabilities.storedChannels(channels)
        #expect(loaded.info.format == entry.format && loaded.info.channels == written)
        #expect(try imageInfo(path: path) == loaded.info)
        let bytes = try encodeImage(image, format: entry.format, quality: 100)
        #expect(bytes == (try Data(contentsOf: URL(fileURLWithPath: path))), "\(entry.format) \(channels)")
        // The rows read 5 at a time are the whole image's.
        let reader = try ImageRowReader(data: bytes, name: "memory", maxPixels: 1 << 20)
        var strips = Tensor(channels: written, height: 37, width: 23)
        while reader.row < 37 { try reader.read(min(5, 37 - reader.row), into: &strips, at: reader.row) }
        try reader.finish()
        #expect(strips == loaded.tensor, "\(entry.format) \(channels)")
      }
    }
  }

  /// An interlaced PNG cannot stream, but its reader still gives every row (decoding it whole at the first read),
  /// the rows `loadImage` gives; reading past the last row fails.
  @Test func interlacedRowsComeFromTheWholeImage() throws {
    let interlaced = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAQAAAADCAAAAAHmmMGMAAAAGklEQVR4nGNgYAhg6LnDoFHBsIWFwS1v2j4AJUYFGaDa9QsAAAAASUVORK5CYII=")!
    let whole = try loadImage(data: interlaced, name: "i.png").tensor
    let reader = try ImageRowReader(data: interlaced, name: "i.png", maxPixels: 100)
    #expect(reader.refusal != nil)
    var rows = Tensor(channels: 1, height: 3, width: 4)
    try reader.read(1, into: &rows, at: 0)
    try reader.read(2, into: &rows, at: 1)
    try reader.finish()
    #expect(rows == whole)
  }

  @Test func unknownBytesNameEveryFormat() {
    #expect(thrownMessage { try loadImage(data: Data("GIF89a".utf8), name: "x") } == "x: not a PNG, JPEG, WebP, TIFF, AVIF or HEIC file")
    #expect(thrownMessage { try ImageFormat(path: "x.gif") } == "x.gif: unsupported extension '.gif' (use .png, .jpg, .jpeg, .webp, .tif, .tiff or .avif)")
  }
}
