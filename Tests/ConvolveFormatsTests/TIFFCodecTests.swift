import ConvolveCore
import ConvolveTestSupport
import Foundation
import Testing

@testable import ConvolveFormats

private let tiffCorpus = corpusFolder("tiff")

/// A little-endian TIFF of one IFD with these (tag, type, value) entries, one value each (type 3 SHORT, 4 LONG),
/// followed by `data`; strip offsets must point past the IFD (at `dataOffset`).
func handMadeTIFF(_ entries: [(UInt16, UInt16, UInt32)], data: [UInt8] = []) -> Data {
  func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
  func le32(_ v: UInt32) -> [UInt8] { (0 ..< 4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
  var bytes: [UInt8] = Array("II".utf8) + le16(42) + le32(8) + le16(UInt16(entries.count))
  for (tag, type, value) in entries.sorted(by: { $0.0 < $1.0 }) {
    bytes += le16(tag) + le16(type) + le32(1) + (type == 3 ? le16(UInt16(value)) + [0, 0] : le32(value))
  }
  return Data(bytes + le32(0) + data)
}

/// Where `handMadeTIFF`'s data starts for `count` entries.
func dataOffset(_ count: Int) -> UInt32 { UInt32(8 + 2 + 12 * count + 4) }

/// The entries of a `width` x `height` 8-bit gray TIFF with one uncompressed strip of `bytes` bytes at `offset`.
func grayEntries(width: UInt32, height: UInt32, offset: UInt32, bytes: UInt32) -> [(UInt16, UInt16, UInt32)] {
  [(256, 4, width), (257, 4, height), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, offset), (277, 3, 1),
   (278, 4, height), (279, 4, bytes)]
}

/// TIFF through libtiff: libtiff's own test images against Pillow's decode, strips and tiles read a band at a
/// time, 8/16-bit round trips and 32-bit float bit for bit, pages, orientation, CMYK, ICC, bad files.
@Suite struct TIFFCodecTests {
  /// Every image of the corpus decodes; each one Pillow reads (Tests/Fixtures/tiff_corpus.tsv, made by
  /// make_tiff_fixtures.py) gives the same samples. Pillow reads the 16-bit RGB image as 8 bits (the high bytes),
  /// which is what is compared there.
  @Test(.enabled(if: tiffCorpus.present, "needs ../shared/corpora/tiff beside the package"))
  func libtiffTestImagesDecodeAsPillowDoes() throws {
    let manifest = try tsvRows(tiffCorpus.url.appendingPathComponent("MANIFEST.tsv"))
    let pillow = Dictionary(uniqueKeysWithValues: try tsvRows(fixtureURL("tiff_corpus.tsv")).map { ($0["file"]!, $0) })
    #expect(manifest.count == 12)
    var matched: [String] = []
    for row in manifest {
      let name = try #require(row["file"])
      let path = tiffCorpus.url.appendingPathComponent(name).path
      let image = try loadImage(path: path, autoOrient: false)
      #expect(image.info.width == Int(row["width"]!)! && image.info.height == Int(row["height"]!)!, "\(name)")
      #expect(try imageInfo(path: path) == image.info, "\(name)")
      #expect(image.tensor.minimum >= 0 && image.tensor.maximum <= 1, "\(name)")
      guard let reference = pillow[name] else { continue }
      #expect(image.info.channels == Int(reference["channels"]!)!, "\(name)")
      var samples = interleavedSamples(image.tensor, bits: image.info.bitDepth == 16 ? 16 : 8)
      if image.info.bitDepth == 16 && reference["bits"] == "8" { samples = stride(from: 1, to: samples.count, by: 2).map { samples[$0] } }
      if md5Hex(samples) == reference["md5"] { matched.append(name) }
    }
    #expect(Set(matched) == Set(pillow.keys), "not matching Pillow: \(Set(pillow.keys).subtracting(matched))")
    print("TIFF test images: \(manifest.count) decoded, \(matched.count) of \(pillow.count) sample-exact with Pillow")
  }

  /// Strip and tile images read a few rows at a time give the whole decode's rows.
  @Test(.enabled(if: tiffCorpus.present, "needs ../shared/corpora/tiff beside the package"))
  func stripsAndTilesStream() throws {
    for name in ["quad-tile.jpg.tiff", "quad-lzw-compat.tiff", "rgb-3c-16b.tiff", "miniswhite-1c-1b.tiff"] {
      let path = tiffCorpus.url.appendingPathComponent(name).path
      let whole = try loadImage(path: path, autoOrient: false).tensor
      let reader = try ImageRowReader(path: path, maxPixels: 1 << 24)
      #expect(reader.refusal == nil, "\(name)")
      var rows = Tensor(channels: whole.channels, height: whole.height, width: whole.width)
      while reader.row < whole.height { try reader.read(min(7, whole.height - reader.row), into: &rows, at: reader.row) }
      try reader.finish()
      #expect(rows == whole, "\(name)")
    }
    let palette = try ImageRowReader(path: tiffCorpus.url.appendingPathComponent("palette-1c-8b.tiff").path, maxPixels: 1 << 24)
    #expect(palette.refusal?.contains("decoded whole") == true)
  }

  @Test func eightAndSixteenBitsRoundTripExactly() throws {
    var generator = SplitMix64(seed: 7)
    for bits in [8, 16] {
      let levels = bits == 8 ? 255 : 65535
      for channels in 1 ... 4 {
        let data = (0 ..< channels * 9 * 13).map { _ in Float(Int.random(in: 0 ... levels, using: &generator)) / Float(levels) }
        let image = Tensor(channels: channels, height: 9, width: 13, data: data)
        for compression in [nil, 0, 9] {
          let bytes = try encodeImage(image, format: .tiff, bitDepth: bits, pngCompression: compression)
          let back = try loadImage(data: bytes, name: "t.tif")
          #expect(back.info == ImageInfo(width: 13, height: 9, channels: channels, bitDepth: bits, format: .tiff))
          #expect(back.tensor == image, "\(bits) bits, \(channels) channels, compression \(String(describing: compression))")
        }
      }
    }
  }

  /// 32-bit float: any value, negative, above 1, subnormal, infinite or NaN, comes back with the same bits.
  @Test func floatRoundTripsBitForBit() throws {
    var generator = SplitMix64(seed: 11)
    let specials: [Float] = [-1.5, 0, -0.0, Float(bitPattern: 1), 3.4e38, .infinity, -.infinity, .nan, 1234.5678, 0.1]
    for channels in 1 ... 4 {
      var data = (0 ..< channels * 17 * 11).map { _ in Float.random(in: -1000 ... 1000, using: &generator) }
      data.replaceSubrange(0 ..< specials.count, with: specials)
      let image = Tensor(channels: channels, height: 17, width: 11, data: data)
      for compression in [nil, 0] {
        let bytes = try encodeImage(image, format: .tiff, bitDepth: 32, pngCompression: compression)
        let back = try loadImage(data: bytes, name: "f.tif")
        #expect(back.info.bitDepth == 32 && back.info.channels == channels)
        #expect(back.tensor.data.map(\.bitPattern) == data.map(\.bitPattern), "\(channels) channels")
      }
    }
  }

  @Test func pagesOrientationCMYKBigTIFFAndICC() throws {
    let twoPages = fixtureURL("tiff/two-pages.tif").path
    let first = try loadImage(path: twoPages)
    #expect(first.info == ImageInfo(width: 5, height: 3, channels: 3, bitDepth: 8, format: .tiff))
    #expect(interleavedSamples(first.tensor, bits: 8) == (0 ..< 45).map { UInt8($0 * 5) })
    let second = try loadImage(path: twoPages, page: 1)
    #expect(second.info == ImageInfo(width: 4, height: 2, channels: 1, bitDepth: 16, format: .tiff))
    #expect(second.tensor.data.map { Int(($0 * 65535).rounded()) } == [0, 1, 257, 65535, 1000, 30000, 40000, 65534])
    #expect(thrownMessage { try loadImage(path: twoPages, page: 2) }
      == "\(twoPages): TIFF has 2 images; there is no page 2 (pages count from 0)")
    let png = fixtureURL("metadata/adobe-rgb.png").path
    #expect(thrownMessage { try loadImage(path: png, page: 1) } == "\(png): a PNG file holds one image; --page is for TIFF")

    let turned = fixtureURL("tiff/orientation6.tif").path
    let stored = try loadImage(path: turned, autoOrient: false)
    #expect(stored.info.orientation == 6 && stored.tensor.width == 3)
    #expect(try loadImage(path: turned).tensor == oriented(stored.tensor, orientation: 6))

    let cmyk = try loadImage(path: fixtureURL("tiff/cmyk.tif").path)
    #expect(cmyk.info.channels == 3)
    #expect(interleavedSamples(cmyk.tensor, bits: 8) == [255, 255, 255, 0, 255, 255, 0, 0, 0, 255, 0, 0])

    let big = try loadImage(path: fixtureURL("tiff/bigtiff.tif").path)
    #expect(big.info == ImageInfo(width: 6, height: 4, channels: 1, bitDepth: 8, format: .tiff))
    #expect(interleavedSamples(big.tensor, bits: 8) == (0 ..< 24).map { UInt8($0 * 10) })

    let profile = try [UInt8](Data(contentsOf: fixtureURL("metadata/adobe-rgb.icc")))
    let bytes = try encodeImage(first.tensor, format: .tiff, metadata: ImageMetadata(iccProfile: profile))
    #expect(try loadImage(data: bytes, name: "icc.tif").metadata == ImageMetadata(iccProfile: profile))
  }

  @Test func badFilesAreRefusedInOneLine() throws {
    var generator = SplitMix64(seed: 5)
    let noise = Tensor(channels: 3, height: 64, width: 64, data: (0 ..< 3 * 64 * 64).map { _ in Float.random(in: 0 ... 1, using: &generator) })
    let whole = try encodeImage(noise, format: .tiff)
    for cut in [4, 9, 200, whole.count / 2, whole.count - 10] {
      let message = thrownMessage { try loadImage(data: whole.prefix(cut), name: "cut.tif") }
      #expect(message?.hasPrefix("cut.tif: ") == true && message?.contains("\n") == false, "\(cut): \(message ?? "none")")
    }
    let n = 9
    let huge = handMadeTIFF(grayEntries(width: 100_000, height: 100_000, offset: dataOffset(n), bytes: 16), data: Array(repeating: 0, count: 16))
    #expect(thrownMessage { try loadImage(data: huge, name: "huge.tif") }
      == "huge.tif: TIFF claims 100000x100000 pixels, more than the limit of 100000000 (raise --max-pixels)")
    let ok = handMadeTIFF(grayEntries(width: 4, height: 2, offset: dataOffset(n), bytes: 8), data: Array(0 ..< 8))
    #expect(interleavedSamples(try loadImage(data: ok, name: "ok.tif").tensor, bits: 8) == Array(0 ..< 8))
    // A strip past the end of the file, and one shorter than the image.
    for (name, bad) in [
      ("far.tif", handMadeTIFF(grayEntries(width: 4, height: 2, offset: 1 << 20, bytes: 8))),
      ("short.tif", handMadeTIFF(grayEntries(width: 4, height: 2, offset: dataOffset(n), bytes: 3), data: [1, 2, 3])),
    ] {
      let message = thrownMessage { try loadImage(data: bad, name: name) }
      #expect(message?.hasPrefix("\(name): ") == true && message?.contains("\n") == false, "\(message ?? "none")")
    }
    #expect(thrownMessage { try encodeImage(noise, format: .tiff, bitDepth: 12) }
      == "standard output: TIFF bit depth must be 8, 16 or 32 (float), got 12")
  }
}
