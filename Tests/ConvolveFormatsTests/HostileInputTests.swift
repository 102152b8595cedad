import ConvolveTestSupport
import ConvolveCore
import Foundation
import Testing

@testable import ConvolveFormats

// Files built to lie: absurd or zero dimensions, broken checksums, cut-off data, and the inputs
// that the fuzzers in Fuzz/ found. Each one must fail with `ConvolveError.file` naming the path
// (never crash, hang or allocate what the header claims), and the whole suite must stay fast.

private let fixtures = fixtureURL("")
private let sampleImages = packageRoot.appendingPathComponent("SampleImages")


private let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

/// A chunk with its length and CRC; `corruptCRC` flips the CRC's low bit.
private func pngChunk(_ type: String, _ data: [UInt8], corruptCRC: Bool = false) -> [UInt8] {
  let body = Array(type.utf8) + data
  return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(body) ^ (corruptCRC ? 1 : 0))
}

/// A 1-row, 1-pixel-wide worth of zlib data: enough to be a valid IDAT for a 1x1 gray image only.
private let tinyIDAT: [UInt8] = [0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01]

/// A gray 8-bit PNG with the given header; the IDAT holds one pixel's worth of data.
private func png(width: UInt32, height: UInt32, bitDepth: UInt8 = 8, colorType: UInt8 = 0,
                 badIHDRCRC: Bool = false, badIDATCRC: Bool = false) -> [UInt8] {
  let ihdr = bigEndian(width) + bigEndian(height) + [bitDepth, colorType, 0, 0, 0]
  return pngSignature + pngChunk("IHDR", ihdr, corruptCRC: badIHDRCRC) + pngChunk("IDAT", tinyIDAT, corruptCRC: badIDATCRC)
    + pngChunk("IEND", [])
}

private final class Scratch {
  let directory: String
  init() throws {
    var template = Array((NSTemporaryDirectory() + "/hostile-XXXXXX").utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    directory = String(cString: try #require(made))
  }
  deinit { try? FileManager.default.removeItem(atPath: directory) }

  func write(_ bytes: [UInt8], _ name: String) throws -> String {
    let path = directory + "/" + name
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
  }
}

/// `body` throws `ConvolveError.file` for `path`; returns the reason (empty when it did not).
@discardableResult
private func expectFileError(_ path: String, reason expected: String? = nil, sourceLocation: SourceLocation = #_sourceLocation,
                             _ body: () throws -> Void) -> String {
  do {
    try body()
    Issue.record("\(path): no error", sourceLocation: sourceLocation)
  } catch let ConvolveError.file(errorPath, reason) {
    #expect(errorPath == path, sourceLocation: sourceLocation)
    #expect(!reason.isEmpty && !reason.contains("\n"), sourceLocation: sourceLocation)
    if let expected { #expect(reason == expected, sourceLocation: sourceLocation) }
    return reason
  } catch {
    Issue.record("\(path): expected ConvolveError.file, got \(error)", sourceLocation: sourceLocation)
  }
  return ""
}

/// The offsets of the SOF0...SOF15 segment's height and width in a JPEG file.
private func sofDimensionOffset(_ bytes: [UInt8]) -> Int? {
  var i = 2
  while i + 4 < bytes.count, bytes[i] == 0xFF {
    let marker = bytes[i + 1]
    let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
    if (0xC0 ... 0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) { return i + 5 }
    i += 2 + length
  }
  return nil
}

@Suite struct HostileInputTests {
  // MARK: - PNG headers

  @Test(arguments: [
    // (width, height, expected reason)
    (UInt32(100_000), UInt32(100_000), "PNG claims 100000x100000 pixels, more than the limit of 100000000 (raise --max-pixels)"),
    (10_001, 10_000, "PNG claims 10001x10000 pixels, more than the limit of 100000000 (raise --max-pixels)"),
    // 65536 * 65536 wraps to 0 in 32 bits.
    (65_536, 65_536, "PNG claims 65536x65536 pixels, more than the limit of 100000000 (raise --max-pixels)"),
    (1, 1 << 30, "Invalid IHDR data: Image height exceeds user limit in IHDR (raise --max-pixels)"),
    (1 << 30, 1, "Invalid IHDR data: Image width exceeds user limit in IHDR (raise --max-pixels)"),
    (0x7FFF_FFFF, 0x7FFF_FFFF, "Invalid IHDR data: Image width exceeds user limit in IHDR (raise --max-pixels)"),
    // Beyond the PNG limit of 2^31 - 1.
    (0x8000_0000, 1, "width, height or chunk length over 2^31-1 (corrupt PNG)"),
    (0xFFFF_FFFF, 0xFFFF_FFFF, "width, height or chunk length over 2^31-1 (corrupt PNG)"),
  ])
  func pngClaimingHugeDimensions(width: UInt32, height: UInt32, reason: String) throws {
    let scratch = try Scratch()
    for (name, bytes) in [("gray8", png(width: width, height: height)),
                          ("rgba16", png(width: width, height: height, bitDepth: 16, colorType: 6))] {
      let path = try scratch.write(bytes, "\(name)-\(width)x\(height).png")
      expectFileError(path, reason: reason) { _ = try loadImage(path: path) }
    }
  }

  /// Within the pixel limit, but the data stops after one pixel: fails on the data, quickly.
  @Test func pngWithinLimitButWithoutData() throws {
    let scratch = try Scratch()
    let path = try scratch.write(png(width: 10_000, height: 10_000), "big-empty.png")
    #expect(try imageInfo(path: path) == ImageInfo(width: 10_000, height: 10_000, channels: 1, bitDepth: 8, format: .png))
    expectFileError(path) { _ = try loadImage(path: path) }
  }

  @Test(arguments: [(UInt32(0), UInt32(1), "width"), (1, 0, "height"), (0, 0, "width")])
  func pngWithZeroDimension(width: UInt32, height: UInt32, side: String) throws {
    let scratch = try Scratch()
    let path = try scratch.write(png(width: width, height: height), "zero.png")
    let reason = "Invalid IHDR data: Image \(side) is zero in IHDR"
    expectFileError(path, reason: reason) { _ = try loadImage(path: path) }
    expectFileError(path, reason: reason) { _ = try imageInfo(path: path) }
  }

  @Test func pngWithBadIHDRCRC() throws {
    let scratch = try Scratch()
    let path = try scratch.write(png(width: 1, height: 1, badIHDRCRC: true), "ihdr-crc.png")
    expectFileError(path, reason: "CRC error in IHDR chunk") { _ = try loadImage(path: path) }
    expectFileError(path, reason: "CRC error in IHDR chunk") { _ = try imageInfo(path: path) }
  }

  @Test func pngWithBadIDATCRC() throws {
    let scratch = try Scratch()
    #expect(try loadImage(path: scratch.write(png(width: 1, height: 1), "good.png")).tensor.data == [0])
    let path = try scratch.write(png(width: 1, height: 1, badIDATCRC: true), "idat-crc.png")
    expectFileError(path, reason: "CRC error in IDAT chunk") { _ = try loadImage(path: path) }
  }

  /// libpng only warns about a bad CRC in an ancillary chunk; the loader refuses those too.
  @Test func pngWithBadAncillaryCRC() throws {
    let scratch = try Scratch()
    let ihdr = bigEndian(1) + bigEndian(1) + [8, 0, 0, 0, 0]
    let text = pngChunk("tEXt", Array("Comment\0hello".utf8), corruptCRC: true)
    for (name, bytes) in [
      ("before-idat.png", pngSignature + pngChunk("IHDR", ihdr) + text + pngChunk("IDAT", tinyIDAT) + pngChunk("IEND", [])),
      ("after-idat.png", pngSignature + pngChunk("IHDR", ihdr) + pngChunk("IDAT", tinyIDAT) + text + pngChunk("IEND", [])),
    ] {
      let path = try scratch.write(bytes, name)
      expectFileError(path, reason: "CRC error in tEXt chunk") { _ = try loadImage(path: path) }
    }
  }

  @Test(arguments: ["camera.png", "astronaut.png"])
  func pngTruncatedAtEveryEighth(name: String) throws {
    let scratch = try Scratch()
    let bytes = try [UInt8](Data(contentsOf: sampleImages.appendingPathComponent(name)))
    for eighth in 0 ..< 8 {
      let path = try scratch.write(Array(bytes[0 ..< bytes.count * eighth / 8]), "\(eighth)-8-\(name)")
      let reason = eighth == 0 ? "not a PNG, JPEG, WebP, TIFF, AVIF or HEIC file" : "truncated PNG data (unexpected end of file)"
      expectFileError(path, reason: reason) { _ = try loadImage(path: path) }
    }
  }

  // MARK: - JPEG headers

  /// A small real JPEG, written by the codec itself.
  private func smallJpeg(_ scratch: Scratch) throws -> [UInt8] {
    let data = (0 ..< 3 * 16 * 24).map { Float($0 % 97) / 96 }
    let path = scratch.directory + "/small.jpg"
    try saveImage(Tensor(channels: 3, height: 16, width: 24, data: data), path: path)
    return try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
  }

  @Test(arguments: [
    (0, 24, "Empty JPEG image (DNL not supported)"),
    (16, 0, "Empty JPEG image (DNL not supported)"),
    (0, 0, "Empty JPEG image (DNL not supported)"),
    (65535, 65535, "Maximum supported image dimension is 65500 pixels"),
    (65535, 1, "Maximum supported image dimension is 65500 pixels"),
    (1, 65535, "Maximum supported image dimension is 65500 pixels"),
    (65500, 65500, "JPEG claims 65500x65500 pixels, more than the limit of 100000000 (raise --max-pixels)"),
  ])
  func jpegSOFWithExtremeDimensions(height: Int, width: Int, reason: String) throws {
    let scratch = try Scratch()
    var bytes = try smallJpeg(scratch)
    let offset = try #require(sofDimensionOffset(bytes))
    bytes[offset ..< offset + 4] = [UInt8(height >> 8), UInt8(height & 255), UInt8(width >> 8), UInt8(width & 255)]
    let path = try scratch.write(bytes, "sof-\(height)x\(width).jpg")
    expectFileError(path, reason: reason) { _ = try loadImage(path: path) }
  }

  /// Within the pixel limit, but the scan covers 16 rows: an error, not a grey-filled image.
  @Test func jpegWithinLimitButWithoutData() throws {
    let scratch = try Scratch()
    var bytes = try smallJpeg(scratch)
    let offset = try #require(sofDimensionOffset(bytes))
    bytes[offset ..< offset + 4] = [0x27, 0x10, 0x27, 0x10]  // 10000x10000
    let path = try scratch.write(bytes, "big-empty.jpg")
    expectFileError(path) { _ = try loadImage(path: path) }
  }

  /// 631 valid progressive scans in 7 kB (see Tests/Fixtures/make_hostile_jpeg.py): scaled up to a
  /// large image, each scan is a pass over all of it, so more than 500 are refused.
  @Test func jpegWithTooManyScans() throws {
    let path = fixtures.appendingPathComponent("hostile/many_scans.jpg").path
    #expect(try imageInfo(path: path) == ImageInfo(width: 8, height: 8, channels: 1, bitDepth: 8, format: .jpeg))
    expectFileError(path, reason: "JPEG has more than 500 scans") { _ = try loadImage(path: path) }
  }

  @Test(arguments: ["chelsea.jpg", "rocket.jpg"])
  func jpegTruncatedAtEveryEighth(name: String) throws {
    let scratch = try Scratch()
    let bytes = try [UInt8](Data(contentsOf: sampleImages.appendingPathComponent(name)))
    for eighth in 0 ..< 8 {
      let path = try scratch.write(Array(bytes[0 ..< bytes.count * eighth / 8]), "\(eighth)-8-\(name)")
      let reason = eighth == 0 ? "not a PNG, JPEG, WebP, TIFF, AVIF or HEIC file" : "truncated JPEG data"
      expectFileError(path, reason: reason) { _ = try loadImage(path: path) }
    }
  }
}
