import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

@testable import ConvolveRender

/// Issue 14, item 7: feature maps people can read.
@Suite struct FeatureMapWriterTests {
  @Test func labelsScaleWithTheTile() throws {
    #expect(MontageLayout.labelScale(tileHeight: 64, tileWidth: 64) == 1)
    #expect(MontageLayout.labelScale(tileHeight: 256, tileWidth: 300) == 2)
    #expect(MontageLayout.labelScale(tileHeight: 512, tileWidth: 512) == 4)
    // "1" (010 / 110 / 010 / 010 / 111) under a 256-pixel tile: every glyph pixel a 2x2 square, two pixels in.
    let out = try montage(Tensor(channels: 1, height: 256, width: 256, repeating: 0.5), padValue: 0, labels: ["1"])
    #expect(out.height == 256 + 14 && out.width == 256)
    let glyph = ["010", "110", "010", "010", "111"].map { $0.map { $0 == "1" } }
    for y in 256 ..< 270 {
      for x in 0 ..< 20 {
        let (gy, gx) = ((y - 258) / 2, (x - 2) / 2)
        let ink = y >= 258 && x >= 2 && gy < 5 && gx < 3 && glyph[gy][gx]
        #expect(out[0, y, x] == (ink ? 1 : 0), "pixel \(y), \(x)")
      }
    }
    // Two lines need two lines of strip: 2 · (6 · 2 + 1).
    #expect(try montage(Tensor(channels: 1, height: 256, width: 256), labels: ["0\n-1 to 1"]).height == 256 + 26)
  }

  @Test func tilesCarryNumberNameAndRange() {
    var writer = FeatureMapWriter()
    let ranges: [(low: Float, high: Float)] = [(-1, 2), (0, 0.5)]
    #expect(writer.tileLabels(ranges: ranges, names: ["sobel-x", "sobel-y"]) == ["0 sobel-x\n-1 to 2", "1 sobel-y\n0 to 0.5"])
    #expect(writer.tileLabels(ranges: ranges, names: nil) == ["0\n-1 to 2", "1\n0 to 0.5"])
    writer.range = .shared
    #expect(writer.tileLabels(ranges: ranges, names: ["a", "b"]) == ["0 a", "1 b"])
    writer.labels = false
    #expect(writer.tileLabels(ranges: ranges, names: ["a", "b"]) == nil)
    #expect(legendNumber(0.000123456) == "0.000123" && legendNumber(-1.5) == "-1.5" && legendNumber(12345) == "1.23e+04")
  }

  /// Two 8x40 maps, viridis: a title line, a 2-pixel gap, the tiles (each stretched over its own range,
  /// enlarged 12 times to 96x480) with two label lines under them, and a colour bar from viridis(0) to
  /// viridis(1) between "min" and "max"; text at scale 2 (glyphs 10 pixels tall).
  @Test func montageHasATitleStretchedTilesAndAColourBar() throws {
    var maps = Tensor(channels: 2, height: 8, width: 40)
    for i in maps.data.indices { maps.data[i] = Float(i % 320) * (i < 320 ? 1 : -0.5) }
    let writer = FeatureMapWriter(colormap: .viridis, clipPercentile: 0)
    let (tiles, ranges) = try writer.colouredTiles(maps)
    #expect(ranges.map(\.low) == [0, -159.5] && ranges.map(\.high) == [319, 0])
    #expect(FeatureMapWriter.enlargement(height: 8, width: 40) == 12)
    let picture = try writer.picture(tiles, ranges: ranges, title: "conv", names: nil, shape: maps)
    let (title, gap, tile, strip, bar) = (14, 2, 96, 26, 18)
    #expect(picture.channels == 3 && picture.width == 962 && picture.height == title + gap + tile + strip + bar)
    // Tile 1 (x from 482) holds viridis((v + 159.5) / 159.5), each value over 12x12 pixels.
    for (y, x) in [(0, 0), (3, 17), (7, 39)] {
      let v = maps[1, y, x]
      let c = Colormap.viridis.color(at: (v + 159.5) / 159.5)
      for (dy, dx) in [(0, 0), (11, 11)] {
        let got = (0 ..< 3).map { picture[$0, title + gap + 12 * y + dy, 482 + 12 * x + dx] }
        #expect(isApproximatelyEqual(got, [c.red, c.green, c.blue], tolerance: 1e-5), "\(y), \(x)")
      }
    }
    // The bar: framed in black, viridis(0) just inside its left end, viridis(1) just inside its right end.
    let barTop = picture.height - bar + 2
    let (left, right) = (2 + 22 + 4, 962 - 2 - 22 - 4)  // "min" and "max" are 22 pixels wide
    let at = { (x: Int) in (0 ..< 3).map { picture[$0, barTop + 5, x] } }
    let (lo, hi) = (Colormap.viridis.color(at: 0), Colormap.viridis.color(at: 1))
    #expect(at(left) == [0, 0, 0] && at(right - 1) == [0, 0, 0])
    #expect(isApproximatelyEqual(at(left + 1), [lo.red, lo.green, lo.blue], tolerance: 1e-6))
    #expect(isApproximatelyEqual(at(right - 2), [hi.red, hi.green, hi.blue], tolerance: 1e-6))
    // Ink in the title line and in the label strip under each tile.
    #expect((0 ..< title).contains { y in (0 ..< 962).contains { picture[0, y, $0] == 0 } })
    for x0 in [0, 482] {
      let rows = title + gap + tile ..< title + gap + tile + strip
      #expect(rows.contains { y in (x0 ..< x0 + 480).contains { picture[0, y, $0] == 0 } })
    }
  }

  /// Issue 24, item 4: the detector's 13x20 maps are enlarged 8 times to 104x160 tiles, and neither the title
  /// nor a tile's range is cut: the picture is as wide as the title, each cell as wide as its label, and the
  /// last glyph of each is inked.
  @Test func smallMapsAreEnlargedAndNoTextIsCut() throws {
    #expect(FeatureMapWriter.enlargement(height: 13, width: 20) == 8)
    #expect(FeatureMapWriter.enlargement(height: 1, width: 48) == 10)  // a long thin map stays under 512
    #expect(FeatureMapWriter.enlargement(height: 200, width: 300) == 1)
    #expect(FeatureMapWriter.labelScale(tileHeight: 104, tileWidth: 160) == 2)
    var map = Tensor(channels: 1, height: 13, width: 20)
    for i in map.data.indices { map.data[i] = Float(i) * 1e-4 - 40.123 }
    let writer = FeatureMapWriter(clipPercentile: 0)
    let (tiles, ranges) = try writer.colouredTiles(map)
    let text = "p2o.Conv.5: 1 map 13x20 (HxW), shown 8x"
    let picture = try writer.picture(tiles, ranges: ranges, title: "p2o.Conv.5", names: nil, shape: map)
    #expect(picture.width == 2 * (TinyFont.width(of: text) + 2), "\(picture.width)")
    // The title's last glyph ("x": 101 / 101 / 010 / 101 / 101) has its right column inked at its first row.
    let lastColumn = 2 + 2 * (TinyFont.width(of: text) - 1)
    #expect(picture[0, 2, lastColumn] == 0 && picture[0, 2, lastColumn + 1] == 0)
    // A range label wider than the tile widens every cell with the background.
    var wide = Tensor(channels: 2, height: 13, width: 12)
    for i in wide.data.indices { wide.data[i] = Float(i) * 1.0001 - 12345.6 }
    let (wideTiles, wideRanges) = try writer.colouredTiles(wide)
    let labels = try #require(writer.tileLabels(ranges: wideRanges, names: nil))
    let labelWidth = labels.flatMap { $0.split(separator: "\n") }.map { TinyFont.width(of: String($0)) }.max()!
    let widePicture = try writer.picture(wideTiles, ranges: wideRanges, title: "w", names: nil, shape: wide)
    let cell = 2 * (labelWidth + 2)
    #expect(cell > 12 * 8 && widePicture.width >= 2 * cell + 2, "\(widePicture.width) for cells of \(cell)")
  }

  @Test func sharedRangeStretchesEveryMapAlike() throws {
    let maps = Tensor(planes: [[[0, 1], [2, 3]], [[4, 5], [6, 8]]])
    let writer = FeatureMapWriter(clipPercentile: 0, range: .shared)
    let (tiles, ranges) = try writer.colouredTiles(maps)
    #expect(ranges.count == 2 && ranges.allSatisfy { $0.low == 0 && $0.high == 8 })
    #expect(tiles[0].data == [0, 0.125, 0.25, 0.375] && tiles[1].data == [0.5, 0.625, 0.75, 1])
  }

  /// The overlay is drawn in the writer's overlay colormap, its opacity following the heat up to
  /// `overlayOpacity` (0.6): grey gives `(1 − a)·photo + a·heat` with `a = 0.6·heat` in every channel.
  @Test func overlayUsesTheChosenColormap() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var photo = Tensor(channels: 1, height: 6, width: 6)
    for i in photo.data.indices { photo.data[i] = Float(i) / 70 + 0.2 }
    let pipeline = Pipeline(name: "p", stages: [.init(name: "act", operation: .activation(.relu), save: false)])
    var overlays: [Colormap: Tensor] = [:]
    for colormap in [Colormap.gray, .jet] {
      let written = try runStages(
        pipeline, image: photo, input: "photo-\(colormap).png", outputDirectory: dir.path,
        maps: FeatureMapWriter(overlayColormap: colormap), overlay: true, prefix: { _, s in s.name }, log: { _ in })
      overlays[colormap] = try loadImage(path: try #require(written.first { $0.hasSuffix("-overlay.png") })).tensor
    }
    let gray = try #require(overlays[.gray]), jet = try #require(overlays[.jet])
    let heat = mapOutput(photo, .normalize)
    for c in 0 ..< 3 {
      let expected = (0 ..< 36).map { i -> Float in
        let a = 0.6 * heat.data[i]
        return (1 - a) * photo.data[i] + a * heat.data[i]
      }
      #expect(isApproximatelyEqual(gray.plane(c).data, expected, tolerance: 0.5 / 255 + 1e-6))
    }
    #expect(gray != jet && jet.plane(0) != jet.plane(2))
  }
}
