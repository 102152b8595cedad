import ConvolveTestSupport
import ConvolveCore
import Foundation
import Testing

@testable import ConvolveFormats

// MARK: - Support

/// The shared corpora live beside the checkout: `<packageRoot>/../shared/corpora`.
private let corpora = sharedFolder.appendingPathComponent("corpora")
private let pngSuite = corpora.appendingPathComponent("pngsuite")
private let jpegCorpus = corpora.appendingPathComponent("jpeg")
private let hasPngSuite = FileManager.default.fileExists(atPath: pngSuite.appendingPathComponent("EXPECTED.tsv").path)
private let hasJpegCorpus = FileManager.default.fileExists(atPath: jpegCorpus.appendingPathComponent("MANIFEST.tsv").path)

/// A fresh empty directory, removed by the caller's `defer`.
private func makeTemporaryDirectory() throws -> String {
  var template = Array((NSTemporaryDirectory() + "/codec-tests-XXXXXX").utf8CString)
  let path = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) })
  return String(cString: path)
}

private func removeDirectory(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

private func contents(of directory: String) -> [String] {
  ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
}

private func randomTensor(channels: Int, height: Int, width: Int, levels: Int, seed: UInt64) -> Tensor {
  var generator = SplitMix64(seed: seed)
  let data = (0 ..< channels * height * width).map { _ in
    Float(Int.random(in: 0 ... levels, using: &generator)) / Float(levels)
  }
  return Tensor(channels: channels, height: height, width: width, data: data)
}

private func psnr(_ a: Tensor, _ b: Tensor) -> Double {
  let mse = zip(a.data, b.data).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / Double(a.count)
  return 10 * log10(1 / max(mse, 1e-12))
}

private func readTable(_ url: URL) throws -> [[String: String]] {
  let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
    $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
  }
  guard let header = lines.first else { return [] }
  return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
}

private func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
  let body = Array(type.utf8) + data
  return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(body))
}

private func write(_ bytes: [UInt8], to path: String) throws {
  try Data(bytes).write(to: URL(fileURLWithPath: path))
}

@Suite struct ImageCodecTests {
  // MARK: - Round trips

  @Test(arguments: [1, 2, 3, 4])
  func png8RoundTripIsExact(channels: Int) throws {
    let directory = try makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    let tensor = randomTensor(channels: channels, height: 13, width: 17, levels: 255, seed: UInt64(channels))
    let path = directory + "/image.png"
    try saveImage(tensor, path: path)
    let loaded = try loadImage(path: path)
    #expect(loaded.tensor == tensor)
    #expect(loaded.info == ImageInfo(width: 17, height: 13, channels: channels, bitDepth: 8, format: .png))
  }

  @Test(arguments: [1, 2, 3, 4])
  func png16RoundTripIsExact(channels: Int) throws {
    let directory = try makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    let tensor = randomTensor(channels: channels, height: 9, width: 11, levels: 65535, seed: 100 + UInt64(channels))
    let path = directory + "/deep.PNG"
    try saveImage(tensor, path: path, bitDepth: 16)
    let loaded = try loadImage(path: path)
    #expect(loaded.tensor == tensor)
    #expect(loaded.info.bitDepth == 16)
    #expect(try imageInfo(path: path) == ImageInfo(width: 11, height: 9, channels: channels, bitDepth: 16, format: .png))
  }

  /// The default PNG compression writes its image data on every core in groups of rows (png_idat.c): images of
  /// several groups and blocks, every depth and channel count, read back exactly, as libpng's own stream (level 6)
  /// does; Python's zlib and Pillow read the file too (one valid zlib stream) where python3 has Pillow.
  @Test(arguments: [(1, 8), (2, 16), (3, 8), (4, 16), (3, 16)])
  func pngWrittenOnEveryCoreIsOneValidStream(channels: Int, bitDepth: Int) throws {
    let directory = try makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    let (height, width) = (1201, 1333)  // 8 MB groups: 2 to 5 of them; an odd last group
    let levels = bitDepth == 16 ? 65535 : 255
    let tensor = randomTensor(channels: channels, height: height, width: width, levels: levels, seed: UInt64(channels * bitDepth))
    let parallel = directory + "/parallel.png", libpng = directory + "/libpng.png"
    try saveImage(tensor, path: parallel, bitDepth: bitDepth)
    try saveImage(tensor, path: libpng, bitDepth: bitDepth, pngCompression: 6)
    #expect(try loadImage(path: parallel).tensor == tensor)
    #expect(try loadImage(path: libpng).tensor == tensor)
    let python = Process()
    python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    python.arguments = ["python3", "-c", """
      import sys, struct, zlib
      d = open(sys.argv[1], 'rb').read(); i = 8; idat = b''
      while i < len(d):
          n = struct.unpack('>I', d[i:i+4])[0]
          if d[i+4:i+8] == b'IDAT': idat += d[i+8:i+8+n]
          assert zlib.crc32(d[i+4:i+8+n]) == struct.unpack('>I', d[i+8+n:i+12+n])[0]
          i += 12 + n
      raw = zlib.decompress(idat)
      assert len(raw) == int(sys.argv[2])
      """, parallel, String(height * (1 + width * channels * bitDepth / 8))]
    try python.run()
    python.waitUntilExit()
    #expect(python.terminationStatus == 0, "python3's zlib refused \(parallel)")
  }

  private func smoothImage(channels: Int, height: Int, width: Int) -> Tensor {
    var tensor = Tensor(channels: channels, height: height, width: width)
    for c in 0 ..< channels {
      for y in 0 ..< height {
        for x in 0 ..< width {
          let u = Float(x) / Float(width), v = Float(y) / Float(height)
          tensor[c, y, x] = 0.5 + 0.4 * sin(3 * u + 2 * v + Float(c))
        }
      }
    }
    return tensor
  }

  @Test func jpegRoundTripOfSmoothImageIsClose() throws {
    let directory = try makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    let tensor = smoothImage(channels: 3, height: 48, width: 67)
    let path = directory + "/smooth.jpg"
    try saveImage(tensor, path: path)
    let loaded = try loadImage(path: path)
    #expect(loaded.info == ImageInfo(width: 67, height: 48, channels: 3, bitDepth: 8, format: .jpeg))
    #expect(loaded.tensor.channels == 3 && loaded.tensor.height == 48 && loaded.tensor.width == 67)
    #expect(psnr(loaded.tensor, tensor) > 30)
  }

  @Test func jpegKeepsGrayAndDropsAlpha() throws {
    let directory = try makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    let gray = smoothImage(channels: 1, height: 20, width: 30)
    try saveImage(gray, path: directory + "/gray.jpeg", quality: 95)
    let loadedGray = try loadImage(path: directory + "/gray.jpeg")
    #expect(loadedGray.tensor.channels == 1)
    #expect(psnr(loadedGray.tensor, gray) > 30)

    let rgba = smoothImage(channels: 4, height: 20, width: 30)
    try saveImage(rgba, path: directory + "/rgba.JPG")
    let loadedRGB = try loadImage(path: directory + "/rgba.JPG")
    #expect(loadedRGB.tensor.channels == 3)
    #expect(psnr(loadedRGB.tensor, Tensor(channels: 3, height: 20, width: 30, data: Array(rgba.data[0 ..< 3 * 600]))) > 30)

    try saveImage(smoothImage(channels: 2, height: 20, width: 30), path: directory + "/ga.jpg")
    #expect(try imageInfo(path: directory + "/ga.jpg").channels == 1)
  }

  @Test func saveClampsAndRoundsToNearest() throws {
    let directory = try makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    let tensor = Tensor(rows: [[-1, 2, .nan, 10.4 / 255, 10.6 / 255, 1, 0]])
    try saveImage(tensor, path: directory + "/clamp.png")
    let loaded = try loadImage(path: directory + "/clamp.png").tensor
    #expect(loaded.data.map { Int(($0 * 255).rounded()) } == [0, 255, 0, 10, 11, 255, 0])
  }

  @Test func formatIsDetectedFromContentNotExtension() throws {
    let directory = try makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    let tensor = randomTensor(channels: 3, height: 5, width: 6, levels: 255, seed: 7)
    try saveImage(tensor, path: directory + "/a.png")
    try FileManager.default.moveItem(atPath: directory + "/a.png", toPath: directory + "/a.jpg")
    let loaded = try loadImage(path: directory + "/a.jpg")
    #expect(loaded.info.format == .png)
    #expect(loaded.tensor == tensor)
  }

  @Test func formatFromExtension() throws {
    #expect(try ImageFormat(path: "a/b.PNG") == .png)
    #expect(try ImageFormat(path: "x.Jpeg") == .jpeg)
    #expect(try ImageFormat(path: "dir.png/x.jpg") == .jpeg)
    let bmp = ConvolveError.file(path: "photo.bmp", reason: "unsupported extension '.bmp' (use .png, .jpg, .jpeg, .webp, .tif, .tiff or .avif)")
    #expect(throws: bmp) {
      try ImageFormat(path: "photo.bmp")
    }
    #expect(throws: ConvolveError.self) { try ImageFormat(path: "dir.png/noext") }
  }

  @Test func saveRejectsBadParameters() throws {
    let directory = try makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    let rgb = Tensor(channels: 3, height: 2, width: 2)
    #expect(throws: ConvolveError.self) { try saveImage(rgb, path: directory + "/q.jpg", quality: 0) }
    #expect(throws: ConvolveError.self) { try saveImage(rgb, path: directory + "/q.jpg", quality: 101) }
    #expect(throws: ConvolveError.self) { try saveImage(rgb, path: directory + "/d.png", bitDepth: 12) }
    #expect(throws: ConvolveError.self) { try saveImage(rgb, path: directory + "/d.jpg", bitDepth: 16) }
    let fiveChannels = Tensor(channels: 5, height: 2, width: 2), empty = Tensor(channels: 3, height: 0, width: 2)
    #expect(throws: ConvolveError.self) { try saveImage(fiveChannels, path: directory + "/c.png") }
    #expect(throws: ConvolveError.self) { try saveImage(empty, path: directory + "/e.png") }
    #expect(throws: ConvolveError.self) { try saveImage(rgb, path: directory + "/x.bmp") }
    #expect(contents(of: directory).isEmpty)
  }

  // MARK: - Orientation

  @Test func orientationCoversAllEightCases() {
    // Stored 3 wide, 2 high:  a b c / d e f
    let stored = Tensor(rows: [[1, 2, 3], [4, 5, 6]])
    let expected: [Int: [[Float]]] = [
      1: [[1, 2, 3], [4, 5, 6]],
      2: [[3, 2, 1], [6, 5, 4]],
      3: [[6, 5, 4], [3, 2, 1]],
      4: [[4, 5, 6], [1, 2, 3]],
      5: [[1, 4], [2, 5], [3, 6]],
      6: [[4, 1], [5, 2], [6, 3]],
      7: [[6, 3], [5, 2], [4, 1]],
      8: [[3, 6], [2, 5], [1, 4]],
    ]
    for (orientation, rows) in expected {
      #expect(oriented(stored, orientation: orientation) == Tensor(rows: rows), "orientation \(orientation)")
    }
    let twoChannels = Tensor(planes: [[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]])
    #expect(oriented(twoChannels, orientation: 6) == Tensor(planes: [[[4, 1], [5, 2], [6, 3]], [[10, 7], [11, 8], [12, 9]]]))
  }

  /// A JPEG with an APP1 Exif segment in little-endian (Intel) byte order inserted after SOI; the
  /// corpus file below is big-endian.
  @Test func exifOrientationIsReadInLittleEndianOrder() throws {
    let directory = try makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    let tensor = smoothImage(channels: 3, height: 8, width: 16)
    try saveImage(tensor, path: directory + "/plain.jpg", quality: 100)
    let plain = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/plain.jpg")))
    // Header, IFD0 at offset 8 with one entry: Orientation (0x0112), SHORT, count 1, value 8.
    let tiff: [UInt8] = Array("II".utf8) + [42, 0, 8, 0, 0, 0] + [1, 0]
      + [0x12, 0x01, 3, 0, 1, 0, 0, 0, 8, 0, 0, 0] + [0, 0, 0, 0]
    let payload = Array("Exif".utf8) + [0, 0] + tiff
    let segment: [UInt8] = [0xFF, 0xE1, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
    try write(Array(plain[0 ..< 2]) + segment + Array(plain[2...]), to: directory + "/rotated.jpg")

    #expect(try imageInfo(path: directory + "/rotated.jpg").orientation == 8)
    let upright = try loadImage(path: directory + "/rotated.jpg")
    let stored = try loadImage(path: directory + "/rotated.jpg", autoOrient: false)
    #expect(upright.tensor.width == 8 && upright.tensor.height == 16)
    #expect(stored.tensor == (try loadImage(path: directory + "/plain.jpg")).tensor)
    #expect(upright.tensor == oriented(stored.tensor, orientation: 8))
  }

  @Test(.enabled(if: hasJpegCorpus, "needs ../shared/corpora/jpeg beside the package"))
  func exifOrientationFromCorpusForEveryValue() throws {
    let path = jpegCorpus.appendingPathComponent("generated/exif_orientation_6.jpg").path
    let header = ImageInfo(width: 227, height: 149, channels: 3, bitDepth: 8, format: .jpeg, orientation: 6)
    #expect(try imageInfo(path: path) == header)
    let stored = try loadImage(path: path, autoOrient: false).tensor
    #expect(stored.width == 227 && stored.height == 149)
    let upright = try loadImage(path: path).tensor
    #expect(upright.width == 149 && upright.height == 227)
    #expect(upright == oriented(stored, orientation: 6))

    // Patch the big-endian Orientation entry (tag 0x0112, SHORT, count 1) to every value.
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let entry: [UInt8] = [0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6]
    let offset = try #require((0 ..< bytes.count - entry.count).first { Array(bytes[$0 ..< $0 + entry.count]) == entry })
    let directory = try makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    for orientation in 1 ... 8 {
      var patched = bytes
      patched[offset + 9] = UInt8(orientation)
      let patchedPath = directory + "/o\(orientation).jpg"
      try write(patched, to: patchedPath)
      let loaded = try loadImage(path: patchedPath)
      #expect(loaded.info.orientation == orientation)
      #expect(loaded.tensor == oriented(stored, orientation: orientation), "orientation \(orientation)")
    }
  }

  // MARK: - PngSuite

  @Test(.enabled(if: hasPngSuite, "needs ../shared/corpora/pngsuite beside the package"))
  func pngSuiteHeadersAndFailures() throws {
    let rows = try readTable(pngSuite.appendingPathComponent("EXPECTED.tsv"))
    #expect(rows.count == 175)
    for row in rows {
      let name = try #require(row["filename"])
      let path = pngSuite.appendingPathComponent(name).path
      if name.hasPrefix("x") {
        #expect(row["valid"] == "no")
        #expect(throws: ConvolveError.self, "\(name)") { try loadImage(path: path) }
        continue
      }
      let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
      let hasTRNS = (0 ..< bytes.count - 4).contains { bytes[$0 ..< $0 + 4].elementsEqual("tRNS".utf8) }
      let colorType = Int(row["color_type"]!)!, bitDepth = Int(row["bit_depth"]!)!
      let baseChannels = [0: 1, 2: 3, 3: 3, 4: 2, 6: 4][colorType]!
      let expected = ImageInfo(width: Int(row["width"]!)!, height: Int(row["height"]!)!,
                               channels: baseChannels + (hasTRNS && colorType < 4 ? 1 : 0),
                               bitDepth: bitDepth == 16 ? 16 : 8, format: .png)
      let loaded = try loadImage(path: path)
      #expect(loaded.info == expected, "\(name)")
      #expect(try imageInfo(path: path) == expected, "\(name)")
      #expect(loaded.tensor.channels == expected.channels && loaded.tensor.width == expected.width
        && loaded.tensor.height == expected.height, "\(name)")
      #expect(loaded.tensor.minimum >= 0 && loaded.tensor.maximum <= 1, "\(name)")
    }
  }

  @Test(.enabled(if: hasPngSuite, "needs ../shared/corpora/pngsuite beside the package"))
  func pngSuiteCorruptFilesGiveReadableReasons() throws {
    let cases = [
      "xhdn0g08.png": "CRC error in IHDR chunk",
      "xcsn0g01.png": "CRC error in IDAT chunk",
      "xs2n0g01.png": "not a PNG, JPEG, WebP, TIFF, AVIF or HEIC file",
      "xs7n0g01.png": "PNG file corrupted by ASCII conversion",
      "xdtn0g01.png": "IEND chunk out of place",
      "xd3n2c08.png": "Invalid IHDR data: Invalid bit depth in IHDR",
    ]
    for (name, message) in cases {
      let path = pngSuite.appendingPathComponent(name).path
      #expect(throws: ConvolveError.file(path: path, reason: message)) { try loadImage(path: path) }
    }
  }

  /// Per-channel sums, plain and position-weighted, from an independent Pillow decode
  /// (Tests/Fixtures/make_png_checksums.py): 8-bit RGBA for depths up to 8, exact values for 16-bit
  /// gray, high bytes for 16-bit colour.
  @Test(.enabled(if: hasPngSuite, "needs ../shared/corpora/pngsuite beside the package"))
  func pngSuitePixelsMatchIndependentDecode() throws {
    let rows = try readTable(packageRoot.appendingPathComponent("Tests/Fixtures/png_checksums.tsv"))
    #expect(rows.count == 161)
    for row in rows {
      let name = row["filename"]!, kind = row["kind"]!
      let tensor = try loadImage(path: pngSuite.appendingPathComponent(name).path).tensor
      #expect(tensor.width == Int(row["width"]!)! && tensor.height == Int(row["height"]!)!, "\(name)")
      let sample: (Float) -> Int
      switch kind {
      case "gray16": sample = { Int(($0 * 65535).rounded()) }
      case "high8": sample = { Int(($0 * 65535).rounded()) >> 8 }
      default: sample = { Int(($0 * 255).rounded()) }
      }
      // Gray is replicated to RGB; a missing alpha channel is opaque.
      let source: [Int?] = tensor.channels <= 2
        ? [0, 0, 0, tensor.channels == 2 ? 1 : nil] : [0, 1, 2, tensor.channels == 4 ? 3 : nil]
      for (c, channel) in ["r", "g", "b", "a"].enumerated() {
        guard let expectedSum = Int(row["sum_\(channel)"]!), let expectedWeighted = Int(row["weighted_\(channel)"]!) else {
          continue
        }
        var sum = 0, weighted = 0
        for y in 0 ..< tensor.height {
          for x in 0 ..< tensor.width {
            let v = source[c].map { sample(tensor[$0, y, x]) } ?? 255
            sum += v
            weighted += v * ((7 * x + 13 * y) % 64)
          }
        }
        #expect(sum == expectedSum, "\(name) channel \(channel)")
        #expect(weighted == expectedWeighted, "\(name) channel \(channel)")
      }
    }
  }

  // MARK: - JPEG corpus

  @Test(.enabled(if: hasJpegCorpus, "needs ../shared/corpora/jpeg beside the package"))
  func jpegCorpusMatchesManifest() throws {
    let rows = try readTable(jpegCorpus.appendingPathComponent("MANIFEST.tsv"))
    #expect(rows.count == 25)
    for row in rows {
      let file = row["file"]!
      let path = jpegCorpus.appendingPathComponent(file).path
      if row["precision"] == "12" {
        #expect(throws: ConvolveError.file(path: path, reason: "12-bit JPEG is not supported")) { try loadImage(path: path) }
        continue
      }
      if file.contains("truncated") {
        #expect(throws: ConvolveError.self, "\(file)") { try loadImage(path: path) }
        continue
      }
      let width = Int(row["width"]!)!, height = Int(row["height"]!)!
      let channels = row["channels"] == "1" ? 1 : 3
      let loaded = try loadImage(path: path, autoOrient: false)
      let tensor = loaded.tensor
      #expect(tensor.width == width && tensor.height == height && tensor.channels == channels, "\(file)")
      #expect(loaded.info.width == width && loaded.info.height == height && loaded.info.channels == channels, "\(file)")
      #expect(loaded.info.orientation == (file.contains("orientation_6") ? 6 : 1), "\(file)")
    }
  }

  @Test(.enabled(if: hasJpegCorpus, "needs ../shared/corpora/jpeg beside the package"))
  func truncatedJpegIsAnError() throws {
    for name in ["truncated_50pct_baseline", "truncated_50pct_progressive", "truncated_in_header"] {
      let path = jpegCorpus.appendingPathComponent("generated/\(name).jpg").path
      #expect(throws: ConvolveError.file(path: path, reason: "truncated JPEG data")) { try loadImage(path: path) }
    }
  }

  @Test(.enabled(if: hasJpegCorpus, "needs ../shared/corpora/jpeg beside the package"))
  func cmykJpegConvertsToTheSameColours() throws {
    let cmyk = try loadImage(path: jpegCorpus.appendingPathComponent("generated/cmyk.jpg").path).tensor
    let rgb = try loadImage(path: jpegCorpus.appendingPathComponent("generated/baseline_444.jpg").path).tensor
    #expect(cmyk.channels == 3)
    #expect(psnr(cmyk, rgb) > 28)
  }

  // MARK: - Hostile input

  @Test func hugePngHeaderFailsBeforeAllocating() throws {
    let directory = try makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    let ihdr = bigEndian(100_000) + bigEndian(100_000) + [8, 2, 0, 0, 0]
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    let bytes = signature + pngChunk("IHDR", ihdr) + pngChunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
      + pngChunk("IEND", [])
    let path = directory + "/huge.png"
    try write(bytes, to: path)
    #expect(try imageInfo(path: path) == ImageInfo(width: 100_000, height: 100_000, channels: 3, bitDepth: 8, format: .png))
    let reason = "PNG claims 100000x100000 pixels, more than the limit of 100000000 (raise --max-pixels)"
    #expect(throws: ConvolveError.file(path: path, reason: reason)) {
      try loadImage(path: path)
    }
  }

  @Test func pixelLimitAppliesToBothFormats() throws {
    let directory = try makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    let tensor = smoothImage(channels: 3, height: 10, width: 10)
    try saveImage(tensor, path: directory + "/a.png")
    try saveImage(tensor, path: directory + "/a.jpg")
    #expect(throws: ConvolveError.self) { try loadImage(path: directory + "/a.png", maxPixels: 99) }
    let jpegReason = "JPEG claims 10x10 pixels, more than the limit of 99 (raise --max-pixels)"
    #expect(throws: ConvolveError.file(path: directory + "/a.jpg", reason: jpegReason)) {
      try loadImage(path: directory + "/a.jpg", maxPixels: 99)
    }
    #expect(try loadImage(path: directory + "/a.png", maxPixels: 100).tensor.width == 10)

    // A side longer than the limit is refused by libpng's own user limits while reading IHDR.
    try saveImage(Tensor(channels: 1, height: 1, width: 120), path: directory + "/wide.png")
    let wideReason = "Invalid IHDR data: Image width exceeds user limit in IHDR (raise --max-pixels)"
    #expect(throws: ConvolveError.file(path: directory + "/wide.png", reason: wideReason)) {
      try loadImage(path: directory + "/wide.png", maxPixels: 100)
    }
  }

  @Test(arguments: [0.05, 0.25, 0.5, 0.75, 0.95, 0.999])
  func truncatedPngThrows(fraction: Double) throws {
    let directory = try makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    try saveImage(randomTensor(channels: 3, height: 40, width: 40, levels: 255, seed: 3), path: directory + "/full.png")
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/full.png")))
    let path = directory + "/cut.png"
    try write(Array(bytes[0 ..< Int(Double(bytes.count) * fraction)]), to: path)
    #expect(throws: ConvolveError.file(path: path, reason: "truncated PNG data (unexpected end of file)")) {
      try loadImage(path: path)
    }
  }

  @Test func emptyTextAndMissingFilesThrow() throws {
    let directory = try makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    try write([], to: directory + "/empty.png")
    try write(Array("hello, world\n".utf8), to: directory + "/text.jpg")
    for name in ["empty.png", "text.jpg"] {
      let path = directory + "/" + name
      #expect(throws: ConvolveError.file(path: path, reason: "not a PNG, JPEG, WebP, TIFF, AVIF or HEIC file")) { try loadImage(path: path) }
      #expect(throws: ConvolveError.self) { try imageInfo(path: path) }
    }
    #expect(throws: ConvolveError.self) { try loadImage(path: directory + "/missing.png") }
  }

  @Test func saveToMissingDirectoryLeavesNothing() throws {
    let directory = try makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    let path = directory + "/nowhere/out.png"
    #expect(throws: ConvolveError.file(path: path, reason: "directory '\(directory)/nowhere' does not exist")) {
      try saveImage(Tensor(channels: 1, height: 2, width: 2), path: path)
    }
    #expect(contents(of: directory).isEmpty)
  }

  @Test func saveIsAtomicAndLeavesNoTemporaryFile() throws {
    let directory = try makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    let path = directory + "/out.png"
    let first = randomTensor(channels: 3, height: 6, width: 7, levels: 255, seed: 11)
    try saveImage(first, path: path)
    #expect(contents(of: directory) == ["out.png"])
    let second = randomTensor(channels: 3, height: 6, width: 7, levels: 255, seed: 12)
    try saveImage(second, path: path)
    #expect(contents(of: directory) == ["out.png"])
    #expect(try loadImage(path: path).tensor == second)

    // A save that fails (the destination is a directory) keeps nothing of the attempt.
    try FileManager.default.createDirectory(atPath: directory + "/taken.png", withIntermediateDirectories: false)
    #expect(throws: ConvolveError.self) { try saveImage(second, path: directory + "/taken.png") }
    #expect(contents(of: directory) == ["out.png", "taken.png"])
    // A rejected save leaves the existing file as it was.
    #expect(throws: ConvolveError.self) { try saveImage(first, path: path, bitDepth: 7) }
    #expect(try loadImage(path: path).tensor == second)
    #expect(contents(of: directory) == ["out.png", "taken.png"])
  }

  // MARK: - Sample images

  @Test(arguments: [
    ("astronaut.png", ImageInfo(width: 512, height: 512, channels: 3, bitDepth: 8, format: .png)),
    ("camera.png", ImageInfo(width: 512, height: 512, channels: 1, bitDepth: 8, format: .png)),
    ("chelsea.jpg", ImageInfo(width: 451, height: 300, channels: 3, bitDepth: 8, format: .jpeg)),
    ("rocket.jpg", ImageInfo(width: 640, height: 427, channels: 3, bitDepth: 8, format: .jpeg)),
  ])
  func sampleImagesLoad(name: String, expected: ImageInfo) throws {
    let loaded = try loadImage(path: packageRoot.appendingPathComponent("SampleImages/\(name)").path)
    #expect(loaded.info == expected)
    #expect(loaded.tensor.channels == expected.channels && loaded.tensor.width == expected.width)
    #expect(loaded.tensor.minimum >= 0 && loaded.tensor.maximum <= 1 && loaded.tensor.maximum > 0.5)
  }
}
