import ConvolveCore
import ConvolveTestSupport
import Foundation
import Testing

@testable import ConvolveFormats

private let webpCorpus = corpusFolder("webp")

/// A tensor of `levels + 1` evenly spaced values per sample: what an 8-bit file holds exactly when `levels` is 255.
private func levelsTensor(channels: Int, height: Int, width: Int, seed: UInt64) -> Tensor {
  var generator = SplitMix64(seed: seed)
  let data = (0 ..< channels * height * width).map { _ in Float(Int.random(in: 0 ... 255, using: &generator)) / 255 }
  return Tensor(channels: channels, height: height, width: width, data: data)
}

/// A lossless WebP ("VP8L") header claiming `side` x `side` pixels, its chunk sizes consistent, no real image data.
func webpClaiming(side: Int) -> Data {
  let bits = UInt32(side - 1) | UInt32(side - 1) << 14
  let payload: [UInt8] = [0x2f] + (0 ..< 4).map { UInt8(truncatingIfNeeded: bits >> (8 * $0)) } + [UInt8](repeating: 0, count: 15)
  func le32(_ v: Int) -> [UInt8] { (0 ..< 4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
  let chunk = Array("VP8L".utf8) + le32(payload.count) + payload
  return Data(Array("RIFF".utf8) + le32(4 + chunk.count) + Array("WEBP".utf8) + chunk)
}

/// WebP through libwebp: libwebp's conformance vectors decoded to the exact RGBA `dwebp -pam` gives, round trips
/// lossless (exact) and lossy (close), the ICC profile and EXIF carried, bad files refused in one line.
@Suite struct WebPCodecTests {
  /// The md5 of every vector that has one in the manifest (`pam_md5`: `dwebp -pam`'s RGBA with its PAM header)
  /// against this decode. One vector, bad_palette_index.webp, is a lossless image without alpha whose palette
  /// indices past the end decode to transparent black: dwebp writes that alpha, the file claims none, and like
  /// Pillow it is read as RGB (alpha 255 in the comparison), so its md5 differs; it must be the only one.
  @Test(.enabled(if: webpCorpus.present, "needs ../shared/corpora/webp beside the package"))
  func conformanceVectorsDecodeToDwebpsExactRGBA() throws {
    let rows = try tsvRows(webpCorpus.url.appendingPathComponent("MANIFEST.tsv"))
    #expect(rows.count == 130)
    var matched = 0, differing: [String] = []
    for row in rows {
      let name = try #require(row["file"])
      let path = webpCorpus.url.appendingPathComponent(name).path
      let image = try loadImage(path: path, autoOrient: false)
      let channels = row["alpha"] == "yes" ? 4 : 3
      #expect(image.info == ImageInfo(width: Int(row["width"]!)!, height: Int(row["height"]!)!, channels: channels,
                                      bitDepth: 8, format: .webp, orientation: image.info.orientation), "\(name)")
      #expect(try imageInfo(path: path) == image.info, "\(name)")
      guard let expected = row["pam_md5"], !expected.isEmpty else { continue }
      var rgba = image.tensor
      if channels == 3 {
        rgba = Tensor(channels: 4, height: rgba.height, width: rgba.width,
                      data: rgba.data + [Float](repeating: 1, count: rgba.planeSize))
      }
      let header = "P7\nWIDTH \(rgba.width)\nHEIGHT \(rgba.height)\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n"
      if md5Hex(Array(header.utf8) + interleavedSamples(rgba, bits: 8)) == expected { matched += 1 } else { differing.append(name) }
    }
    #expect(differing == ["bad_palette_index.webp"])
    #expect(matched == 95)
    print("WebP conformance vectors: \(rows.count) decoded, \(matched) md5-exact, differing: \(differing)")
  }

  @Test func losslessRoundTripsExactlyAndGrayComesBackAsRGB() throws {
    for channels in 1 ... 4 {
      let image = levelsTensor(channels: channels, height: 19, width: 23, seed: UInt64(channels))
      let bytes = try encodeImage(image, format: .webp, lossless: true)
      let back = try loadImage(data: bytes, name: "lossless.webp")
      #expect(back.info.format == .webp && back.info.channels == (channels % 2 == 0 ? 4 : 3))
      switch channels {
      case 1, 2:
        for c in 0 ..< 3 { #expect(back.tensor.plane(c) == image.plane(0), "gray \(channels): channel \(c)") }
        if channels == 2 { #expect(back.tensor.plane(3) == image.plane(1)) }
      default: #expect(back.tensor == image, "\(channels) channels")
      }
    }
  }

  @Test func lossyFollowsQuality() throws {
    var smooth = Tensor(channels: 3, height: 64, width: 64)
    for c in 0 ..< 3 { for y in 0 ..< 64 { for x in 0 ..< 64 { smooth[c, y, x] = Float(x * (c + 1) + y) / Float(64 * (c + 2)) } } }
    let good = try encodeImage(smooth, format: .webp, quality: 95)
    let poor = try encodeImage(smooth, format: .webp, quality: 5)
    #expect(poor.count < good.count)
    let back = try loadImage(data: good, name: "q95.webp").tensor
    let meanError = zip(back.data, smooth.data).map { abs($0 - $1) }.reduce(0, +) / Float(smooth.data.count)
    #expect(meanError < 0.02)
    #expect(thrownMessage { try encodeImage(smooth, format: .webp, bitDepth: 16) }
      == "standard output: WebP supports only 8-bit samples, got bit depth 16")
  }

  @Test func iccProfileAndExifAreKeptAndTheOrientationRead() throws {
    let profile = try [UInt8](Data(contentsOf: fixtureURL("metadata/adobe-rgb.icc")))
    let exif = try #require(try loadImage(path: fixtureURL("metadata/rotated.jpg").path, autoOrient: false).metadata.exif)
    let orientation = try #require(ImageMetadata(exif: exif).exifOrientation)
    #expect(orientation != 1)
    let image = levelsTensor(channels: 3, height: 5, width: 7, seed: 9)
    for lossless in [false, true] {
      let bytes = try encodeImage(image, format: .webp, lossless: lossless, metadata: ImageMetadata(iccProfile: profile, exif: exif))
      let stored = try loadImage(data: bytes, name: "meta.webp", autoOrient: false)
      #expect(stored.metadata == ImageMetadata(iccProfile: profile, exif: exif))
      #expect(stored.info.orientation == orientation)
      let upright = try loadImage(data: bytes, name: "meta.webp")
      #expect(upright.tensor == oriented(stored.tensor, orientation: orientation))
      #expect(upright.metadata.exifOrientation == 1)
    }
  }

  @Test func badFilesAreRefusedInOneLine() throws {
    let whole = try encodeImage(levelsTensor(channels: 4, height: 40, width: 40, seed: 3), format: .webp, quality: 80)
    for cut in [12, 30, whole.count / 2, whole.count - 1] {
      let message = thrownMessage { try loadImage(data: whole.prefix(cut), name: "cut.webp") }
      #expect(message?.hasPrefix("cut.webp: ") == true && message?.contains("\n") == false, "\(cut): \(message ?? "none")")
    }
    let huge = webpClaiming(side: 16384)
    #expect(try ImageRowReader(data: huge, name: "big.webp", maxPixels: 16384 * 16384).info.width == 16384)
    #expect(thrownMessage { try loadImage(data: huge, name: "big.webp") }
      == "big.webp: WebP claims 16384x16384 pixels, more than the limit of 100000000 (raise --max-pixels)")
    #expect(thrownMessage { try loadImage(data: webpClaiming(side: 300), name: "empty.webp") }
      == "empty.webp: corrupt or truncated WebP image data")
    #expect(thrownMessage { try encodeImage(Tensor(channels: 3, height: 1, width: 16384), format: .webp) }?
      .contains("at most 16383 pixels a side") == true)
  }
}
