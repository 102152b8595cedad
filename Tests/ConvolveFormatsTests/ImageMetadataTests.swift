import ConvolveCore
import ConvolveTestSupport
import Foundation
import Testing

@testable import ConvolveFormats

/// ICC profiles and EXIF read from and written to PNG and JPEG, and decoding from / encoding to memory.
/// Fixtures: Tests/Fixtures/metadata, made by generate_metadata_fixtures.py (Pillow).
@Suite struct ImageMetadataTests {
  let adobeJPEG = fixtureURL("metadata/adobe-rgb.jpg").path
  let adobePNG = fixtureURL("metadata/adobe-rgb.png").path
  let rotated = fixtureURL("metadata/rotated.jpg").path
  var profile: [UInt8] { (try? [UInt8](Data(contentsOf: fixtureURL("metadata/adobe-rgb.icc")))) ?? [] }

  /// The EXIF as text, to find the Make that the fixture script wrote.
  func exifText(_ m: ImageMetadata) -> String { String(decoding: m.exif ?? [], as: UTF8.self) }

  @Test func theAdobeRGBProfileAndExifAreRead() throws {
    #expect(profile.count == 568)
    for path in [adobeJPEG, adobePNG] {
      let image = try loadImage(path: path)
      #expect(image.metadata.iccProfile == profile, "\(path)")
      #expect(image.metadata.iccColorSpace == "RGB")
      #expect(image.metadata.exifOrientation == 1)
      #expect(exifText(image.metadata).contains("convolve test"))
      #expect(Array(image.metadata.exif?.prefix(2) ?? []) == Array("II".utf8) || Array(image.metadata.exif?.prefix(2) ?? []) == Array("MM".utf8))
    }
  }

  @Test func savedPNGAndJPEGKeepTheProfileAndExif() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let image = try loadImage(path: adobeJPEG)
    for name in ["out.jpg", "out.png"] {
      let path = dir.appendingPathComponent(name).path
      try saveImage(image.tensor, path: path, metadata: image.metadata)
      let back = try loadImage(path: path)
      #expect(back.metadata == image.metadata, "\(name)")
      // The pixels are unaffected by the metadata.
      let plain = dir.appendingPathComponent("plain-" + name).path
      try saveImage(image.tensor, path: plain)
      #expect(try loadImage(path: plain).tensor == back.tensor)
      #expect(try loadImage(path: plain).metadata == .none)
    }
  }

  @Test func autoOrientTurnsThePixelsAndResetsTheOrientation() throws {
    // Stored 40x30 with the red block at the top left; orientation 6 displays it turned 90 degrees clockwise,
    // so the red block is at the top right of a 30x40 picture.
    let upright = try loadImage(path: rotated)
    #expect(upright.info.orientation == 6)
    #expect(upright.tensor.width == 30 && upright.tensor.height == 40)
    #expect(upright.tensor[0, 1, 28] > 0.9 && upright.tensor[1, 1, 28] < 0.1 && upright.tensor[0, 1, 1] < 0.9)
    #expect(upright.metadata.exifOrientation == 1)
    #expect(exifText(upright.metadata).contains("convolve test"))
    let asStored = try loadImage(path: rotated, autoOrient: false)
    #expect(asStored.tensor.width == 40 && asStored.metadata.exifOrientation == 6)
    #expect(asStored.tensor[0, 1, 1] > 0.9)
    // Apart from the tag, the EXIF is unchanged.
    var differing = 0
    for (a, b) in zip(upright.metadata.exif ?? [], asStored.metadata.exif ?? []) where a != b { differing += 1 }
    #expect(differing == 1 && upright.metadata.exif?.count == asStored.metadata.exif?.count)
  }

  @Test func orientationIsRewrittenInBothByteOrders() {
    // A minimal TIFF: header, IFD0 with one entry, Orientation as a SHORT or a LONG.
    func tiff(littleEndian: Bool, type: UInt16, value: UInt16) -> [UInt8] {
      func u16(_ v: UInt16) -> [UInt8] { littleEndian ? [UInt8(v & 0xff), UInt8(v >> 8)] : [UInt8(v >> 8), UInt8(v & 0xff)] }
      func u32(_ v: UInt32) -> [UInt8] {
        littleEndian ? u16(UInt16(v & 0xffff)) + u16(UInt16(v >> 16)) : u16(UInt16(v >> 16)) + u16(UInt16(v & 0xffff))
      }
      let field: [UInt8] = type == 3 ? u16(value) + [0, 0] : u32(UInt32(value))
      return Array((littleEndian ? "II" : "MM").utf8) + u16(42) + u32(8) + u16(1) + u16(0x0112) + u16(type) + u32(1)
        + field + u32(0)
    }
    for little in [true, false] {
      for type: UInt16 in [3, 4] {
        let m = ImageMetadata(exif: tiff(littleEndian: little, type: type, value: 8))
        #expect(m.exifOrientation == 8)
        let reset = m.settingOrientation(1)
        #expect(reset.exifOrientation == 1, "little \(little), type \(type)")
        // Written back as the SHORT the EXIF standard gives the tag.
        #expect(reset.exif == tiff(littleEndian: little, type: 3, value: 1), "little \(little), type \(type)")
      }
    }
    // No EXIF, or none with the tag: unchanged.
    #expect(ImageMetadata.none.settingOrientation(1) == .none)
    let noTag = ImageMetadata(exif: Array("II".utf8) + [42, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    #expect(noTag.exifOrientation == nil && noTag.settingOrientation(1) == noTag)
  }

  @Test func whatDoesNotFitTheOutputIsLeftOutWithANote() {
    var cmyk = profile
    cmyk.replaceSubrange(16 ..< 20, with: Array("CMYK".utf8))
    let (rgbOut, notes) = ImageMetadata(iccProfile: cmyk, exif: [1, 2]).fitted(channels: 3, format: .jpeg)
    #expect(rgbOut == ImageMetadata(exif: [1, 2]))
    #expect(notes == ["the input's CMYK ICC profile does not fit a colour output; written without a profile"])
    // An RGB profile on a gray result, and on a gray+alpha PNG.
    #expect(ImageMetadata(iccProfile: profile).fitted(channels: 1, format: .png).metadata == .none)
    #expect(ImageMetadata(iccProfile: profile).fitted(channels: 2, format: .jpeg).metadata == .none)
    #expect(ImageMetadata(iccProfile: profile).fitted(channels: 4, format: .jpeg).metadata.iccProfile == profile)
    // EXIF over one JPEG segment: kept in PNG, left out of JPEG.
    let big = ImageMetadata(exif: [UInt8](repeating: 0, count: 70_000))
    #expect(big.fitted(channels: 3, format: .png).metadata == big)
    let (jpeg, jpegNotes) = big.fitted(channels: 3, format: .jpeg)
    #expect(jpeg == .none && jpegNotes.first?.contains("does not fit in a JPEG segment") == true)
  }

  @Test func memoryRoundTripEqualsTheFileRoundTrip() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let image = try loadImage(path: adobeJPEG)
    for format in [ImageFormat.png, .jpeg] {
      let bytes = try encodeImage(image.tensor, format: format, metadata: image.metadata)
      let path = dir.appendingPathComponent("x." + format.fileExtension).path
      try saveImage(image.tensor, path: path, metadata: image.metadata)
      #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes, "\(format)")
      let back = try loadImage(data: bytes, name: "standard input")
      #expect(back.info.format == format && back.metadata == image.metadata)
      #expect(back.tensor == (try loadImage(path: path)).tensor)
    }
    // The file's own bytes decode in memory as from the file, metadata included.
    let fromMemory = try loadImage(data: Data(contentsOf: URL(fileURLWithPath: rotated)), name: "standard input")
    let fromFile = try loadImage(path: rotated)
    #expect(fromMemory.tensor == fromFile.tensor && fromMemory.metadata == fromFile.metadata)
  }

  @Test func badBytesInMemoryAreNamedErrors() {
    #expect(thrownMessage { try loadImage(data: Data(), name: "standard input") } == "standard input: is empty: no image data")
    #expect(thrownMessage { try loadImage(data: Data("hello\n".utf8), name: "standard input") } == "standard input: not a PNG, JPEG, WebP, TIFF, AVIF or HEIC file")
    let jpeg = (try? Data(contentsOf: URL(fileURLWithPath: adobeJPEG))) ?? Data()
    #expect(thrownMessage { try loadImage(data: jpeg.prefix(jpeg.count / 2), name: "standard input") } == "standard input: truncated JPEG data")
    let png = (try? Data(contentsOf: URL(fileURLWithPath: adobePNG))) ?? Data()
    let cut = thrownMessage { try loadImage(data: png.prefix(png.count - 30), name: "standard input") } ?? ""
    #expect(cut.hasPrefix("standard input: ") && cut.contains("truncated"), "\(cut)")
  }
}
