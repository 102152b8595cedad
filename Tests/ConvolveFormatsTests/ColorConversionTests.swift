import ConvolveCore
import ConvolveTestSupport
import Foundation
import Testing

@testable import ConvolveFormats

/// `toSRGB` (lcms2): an Adobe RGB image converted as Pillow's ImageCms converts it (Tests/Fixtures/color, by
/// make_color_fixtures.py), within 1 level in 8 bits, the same a strip at a time, tagged sRGB afterwards.
@Suite struct ColorConversionTests {
  let adobe = fixtureURL("color/adobe.png").path

  @Test func adobeRGBToSRGBAgreesWithImageCms() throws {
    let stored = try loadImage(path: adobe)
    let converted = try loadImage(path: adobe, toSRGB: true)
    let reference = try loadImage(path: fixtureURL("color/adobe-to-srgb.png").path).tensor
    let levels = zip(converted.tensor.data, reference.data).map { abs($0 - $1) * 255 }
    #expect(levels.max()! <= 1.0001)
    #expect(zip(stored.tensor.data, reference.data).map { abs($0 - $1) * 255 }.max()! > 30, "the fixture must need converting")
    #expect(converted.metadata.iccProfile != stored.metadata.iccProfile && converted.metadata.iccColorSpace == "RGB")
    // The profile written is lcms2's sRGB, the same bytes every time.
    #expect(try loadImage(path: adobe, toSRGB: true).metadata == converted.metadata)

    let reader = try ImageRowReader(path: adobe, maxPixels: 1 << 20, toSRGB: true)
    var rows = Tensor(channels: 3, height: 24, width: 32)
    while reader.row < 24 { try reader.read(min(5, 24 - reader.row), into: &rows, at: reader.row) }
    try reader.finish()
    #expect(rows == converted.tensor)
    #expect(reader.metadata.iccProfile == converted.metadata.iccProfile)
  }

  @Test func withoutAProfileNothingChanges() throws {
    let camera = packageRoot.appendingPathComponent("SampleImages/camera.png").path
    #expect(try loadImage(path: camera, toSRGB: true).tensor == loadImage(path: camera).tensor)
    #expect(try loadImage(path: camera, toSRGB: true).metadata.iccProfile == nil)
  }
}
