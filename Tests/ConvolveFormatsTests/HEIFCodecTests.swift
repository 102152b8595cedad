import ConvolveCore
import ConvolveTestSupport
import Foundation
import Testing

@testable import ConvolveFormats

/// HEIC and AVIF through libheif: files pillow-heif and Pillow's AVIF plugin wrote (Tests/Fixtures/heif, by
/// make_heif_fixtures.py) decode to what those tools decode (within the YCbCr conversions' rounding), turned upright
/// once; 10-bit read as 16-bit; AVIF written lossy and lossless; bad files refused in one line.
@Suite struct HEIFCodecTests {
  func fixture(_ name: String) -> String { fixtureURL("heif/" + name).path }

  /// The largest and mean absolute difference, in units of 1 / `levels`.
  func difference(_ a: Tensor, _ b: Tensor, levels: Float) -> (max: Float, mean: Float) {
    let d = zip(a.data, b.data).map { abs($0 - $1) * levels }
    return (d.max() ?? 0, d.reduce(0, +) / Float(max(d.count, 1)))
  }

  @Test func heicAndAVIFDecodeAsTheirWritersDo() throws {
    for (name, channels, bits, levels) in [("rgb.heic", 3, 8, Float(255)), ("deep.heic", 3, 16, 1023), ("rgba.avif", 4, 8, 255)] {
      let image = try loadImage(path: fixture(name))
      let reference = try loadImage(path: fixture(name + ".png")).tensor
      #expect(image.info.format == (name.hasSuffix("avif") ? .avif : .heic), "\(name)")
      #expect(image.info.channels == channels && image.info.bitDepth == bits, "\(name)")
      #expect(image.tensor.width == reference.width && image.tensor.height == reference.height, "\(name)")
      #expect(try imageInfo(path: fixture(name)) == image.info, "\(name)")
      let (largest, mean) = difference(image.tensor, reference, levels: levels)
      #expect(largest <= 3 && mean <= 0.6, "\(name): largest \(largest), mean \(mean)")
    }
  }

  /// A 12-bit AVIF reads as 16-bit with each sample v / 4095 exactly (heif-convert's decode shifts v left by 4).
  @Test func twelveBitAVIFReadsItsSamples() throws {
    let image = try loadImage(path: fixture("deep12.avif"))
    let reference = try loadImage(path: fixture("deep12.avif.png")).tensor
    #expect(image.info.bitDepth == 16 && image.tensor.channels == reference.channels && image.tensor.height == reference.height && image.tensor.width == reference.width)
    let samples = image.tensor.data.map { Int(($0 * 4095).rounded()) }
    #expect(samples == reference.data.map { Int(($0 * 65535).rounded()) >> 4 })
    #expect(zip(image.tensor.data, samples).allSatisfy { abs($0 - Float($1) / 4095) < 1e-6 })
  }

  /// An AVIF described by nclx (Display P3 primaries, sRGB curve) and no ICC profile gets an equivalent profile,
  /// so --to-srgb converts it: as the P3 → sRGB matrices computed from the primaries give, within one level.
  @Test func nclxColoursConvertToSRGB() throws {
    let reference = try loadImage(path: fixture("p3-nclx.avif.srgb.png")).tensor
    let converted = try loadImage(path: fixture("p3-nclx.avif"), toSRGB: true)
    #expect(converted.tensor.channels == 3 && converted.tensor.height == reference.height && converted.tensor.width == reference.width)
    #expect(difference(converted.tensor, reference, levels: 255).max <= 1.01)
    let kept = try loadImage(path: fixture("p3-nclx.avif"))
    #expect(kept.metadata.iccProfile != nil)
    #expect(difference(kept.tensor, reference, levels: 255).max > 20)
    // sRGB-described files get no profile.
    #expect(try loadImage(path: fixture("rgba.avif")).metadata.iccProfile == nil)
  }

  /// rgb.heic is stored 32x24 and turned by its irot box (its EXIF says 6 too): it comes out 24x32, once, with the
  /// EXIF orientation set to 1 and the profile kept.
  @Test func rotationIsAppliedOnceAndMetadataKept() throws {
    let image = try loadImage(path: fixture("rgb.heic"), autoOrient: false)
    #expect(image.info.width == 24 && image.info.height == 32 && image.info.orientation == 1)
    #expect(image.metadata.exifOrientation == 1)
    #expect(String(decoding: image.metadata.exif ?? [], as: UTF8.self).contains("convolve test"))
    #expect(image.metadata.iccProfile == (try [UInt8](Data(contentsOf: fixtureURL("metadata/adobe-rgb.icc")))))
  }

  @Test func avifWritesLossyAndLossless() throws {
    var generator = SplitMix64(seed: 4)
    let image = Tensor(channels: 4, height: 16, width: 24, data: (0 ..< 4 * 16 * 24).map { _ in Float(Int.random(in: 0 ... 255, using: &generator)) / 255 })
    let exact = try loadImage(data: try encodeImage(image, format: .avif, lossless: true), name: "l.avif")
    #expect(exact.info == ImageInfo(width: 24, height: 16, channels: 4, bitDepth: 8, format: .avif))
    #expect(exact.tensor == image)
    let smooth = try loadImage(path: fixture("rgba.avif.png")).tensor
    let profile = try [UInt8](Data(contentsOf: fixtureURL("metadata/adobe-rgb.icc")))
    let bytes = try encodeImage(smooth, format: .avif, quality: 80, metadata: ImageMetadata(iccProfile: profile))
    let lossy = try loadImage(data: bytes, name: "q.avif")
    #expect(difference(lossy.tensor, smooth, levels: 255).mean <= 3)
    #expect(lossy.metadata.iccProfile == profile)
    let gray = try loadImage(data: try encodeImage(smooth.plane(0), format: .avif, lossless: true), name: "g.avif")
    #expect(gray.info.channels == 3)
    #expect(thrownMessage { try encodeImage(smooth, format: .heic) } == "standard output: HEIC is read only; write .avif, .webp or .jpg")
  }

  @Test func badFilesAreRefusedInOneLine() throws {
    let whole = try Data(contentsOf: URL(fileURLWithPath: fixture("rgb.heic")))
    for cut in [20, 100, whole.count / 2, whole.count - 8] {
      let message = thrownMessage { try loadImage(data: whole.prefix(cut), name: "cut.heic") }
      #expect(message?.hasPrefix("cut.heic: ") == true && message?.contains("\n") == false, "\(cut): \(message ?? "none")")
    }
    // Found by Fuzz/run.sh heif: rgb.heic with its image item turned into an overlay whose canvas is 294 million
    // pixels; libheif 1.15 allocated 1.7 GB and took 26 s before failing. Refused from the item's data now.
    let bomb = fixture("overlay-bomb.heic")
    #expect(thrownMessage { try loadImage(path: bomb) }
      == "\(bomb): HEIF file's coded or composed image claims 294360320 pixels, more than the limit of 100000000 (raise --max-pixels)")
    // rgba.avif with its AV1 sequence header rewritten to allow 2048x2048 frames (make by hand: the 5 payload bytes
    // of the first sequence header OBU in mdat): refused from that header over a limit its 32x24 ispe is within.
    let av1 = fixture("av1-claims-2048.avif")
    #expect(thrownMessage { try loadImage(path: av1, maxPixels: 1_000_000) }
      == "\(av1): HEIF file's coded or composed image claims 4194304 pixels, more than the limit of 1000000 (raise --max-pixels)")
    let garbled = thrownMessage { try loadImage(path: av1) }
    #expect(garbled?.hasPrefix("\(av1): ") == true && garbled?.contains("\n") == false)
    #expect(thrownMessage { try loadImage(path: fixture("rgb.heic"), maxPixels: 700) }
      == "\(fixture("rgb.heic")): HEIF image claims 24x32 pixels, more than the limit of 700 (raise --max-pixels)")
  }
}
