import ConvolveTestSupport
import ConvolveCore
import Testing

import ConvolveCNN
import ConvolveFormats
@testable import ConvolveRender

private func close(_ a: [Float], _ b: [Float], _ tolerance: Float = 1e-6) -> Bool {
  a.count == b.count && zip(a, b).allSatisfy { Swift.abs($0 - $1) <= tolerance }
}

@Suite struct RenderTests {
  // MARK: Output mapping

  @Test func clipAbsOffset() {
    let t = Tensor(rows: [[-0.5, 0.25, 1.5, .nan, -1.5, 0.75]])
    #expect(map(t, .clip).data == [0, 0.25, 1, 0, 0, 0.75])
    #expect(map(t, .abs).data == [0.5, 0.25, 1, 0, 1, 0.75])
    #expect(map(t, .offset).data == [0, 0.75, 1, 0, 0, 1])
    #expect(OutputMapping.allCases.map(\.rawValue) == ["clip", "abs", "normalize", "offset"])
  }

  @Test func normalizeGlobalKeepsChannelRatios() {
    let t = Tensor(planes: [[[0, 2]], [[4, 8]]])
    #expect(map(t, .normalize).data == [0, 0.25, 0.5, 1])
    #expect(map(t, .normalize, perChannel: true).data == [0, 1, 0, 1])
  }

  @Test func normalizeConstantIsZero() {
    let t = Tensor(planes: [[[3, 3], [3, 3]], [[-1, 1], [0, 1]]])
    #expect(map(Tensor(channels: 2, height: 3, width: 3, repeating: 7), .normalize).data == [Float](repeating: 0, count: 18))
    #expect(map(t, .normalize, perChannel: true).data == [0, 0, 0, 0, 0, 1, 0.5, 1])
    #expect(map(t, .normalize, perChannel: true, clipPercentile: 10).data.prefix(4) == [0, 0, 0, 0])
  }

  @Test func percentileClippingIgnoresOutliers() {
    // 0...99 and one outlier: the 2nd and 98th percentiles of the 101 values are ranks 2 and 98.
    var values = (0 ..< 100).map(Float.init) + [1e6]
    values.swapAt(3, 100)
    let t = Tensor(rows: [values])
    let clipped = map(t, .normalize, clipPercentile: 2)
    #expect(close([clipped[0, 0, 50], clipped[0, 0, 26]], [0.5, 0.25]))
    #expect(clipped[0, 0, 1] == 0 && clipped[0, 0, 0] == 0)
    #expect(clipped[0, 0, 99] == 1 && clipped[0, 0, 3] == 1)
    #expect(map(t, .normalize)[0, 0, 50] == 50 / 1e6)
    // Between ranks the percentile interpolates: 25th of 0, 10, 20, 30, 40 is 10, of 0, 10, 20, 30 is 7.5.
    #expect(close(map(Tensor(rows: [[0, 10, 20, 30, 40]]), .normalize, clipPercentile: 25).data, [0, 0, 0.5, 1, 1]))
    #expect(close(map(Tensor(rows: [[0, 10, 20, 30]]), .normalize, clipPercentile: 25).data, [0, 0.1666667, 0.8333333, 1]))
  }

  @Test func valueStats() {
    let t = Tensor(planes: [[[1, -3], [.nan, 5]], [[0.5, 0.5], [0.5, 0.5]]])
    #expect(ValueStats.perChannel(t) == [ValueStats(min: -3, max: 5, mean: 1), ValueStats(min: 0.5, max: 0.5, mean: 0.5)])
    #expect(ValueStats(t) == ValueStats(min: -3, max: 5, mean: 5.0 / 7))
    #expect(ValueStats(Tensor(rows: [[.nan]])).mean.isNaN)
  }

  // MARK: Colormaps

  @Test(arguments: Colormap.allCases)
  func colormapMatchesMatplotlib(_ colormap: Colormap) throws {
    let samples = try #require(colormapFixture[colormap.rawValue])
    for (x, rgb) in samples {
      let c = colormap.color(at: x)
      #expect(close([c.red, c.green, c.blue], rgb, 2.0 / 255), "\(colormap) at \(x)")
    }
  }

  @Test func colormapApplyClampsAndKeepsLayout() throws {
    let t = Tensor(rows: [[0, 0.3], [-2, 2], [.nan, 1]])
    let rgb = try Colormap.viridis.apply(t)
    #expect(rgb.channels == 3 && rgb.height == 3 && rgb.width == 2)
    let colors = [0, 0.3, 0, 1, 0, 1].map { Colormap.viridis.color(at: Float($0)) }
    #expect(rgb.data == colors.map(\.red) + colors.map(\.green) + colors.map(\.blue))
    #expect(close(try Colormap.gray.apply(t).data, Array(repeating: [0, 0.3, 0, 1, 0, 1], count: 3).flatMap { $0 }))
    #expect(throws: ConvolveError.self) { try Colormap.jet.apply(Tensor(channels: 2, height: 1, width: 1)) }
  }

  // MARK: Montage

  @Test(arguments: [(1, 1, 1, 4, 5), (6, 3, 2, 10, 19), (10, 4, 3, 16, 26), (64, 8, 8, 46, 54)])
  func montageSize(_ n: Int, _ cols: Int, _ rows: Int, _ height: Int, _ width: Int) throws {
    let layout = try MontageLayout(count: n, tileHeight: 4, tileWidth: 5)
    #expect(layout.columns == cols && layout.rows == rows)
    let out = try montage(Tensor(channels: n, height: 4, width: 5, repeating: 0.3))
    #expect(out.channels == 1 && out.height == height && out.width == width)
    let labelled = try montage(Tensor(channels: n, height: 4, width: 5), labels: (0 ..< n).map(String.init))
    #expect(labelled.height == height + rows * MontageLayout.labelStripHeight && labelled.width == width)
  }

  @Test func montageTilesAndGaps() throws {
    let (n, h, w, gap, pad): (Int, Int, Int, Int, Float) = (10, 3, 4, 2, 0.5)
    var maps = Tensor(channels: n, height: h, width: w)
    for k in 0 ..< n { for y in 0 ..< h { for x in 0 ..< w { maps[k, y, x] = Float(k * 100 + y * 10 + x) / 1000 } } }
    let out = try montage(maps, gap: gap, padValue: pad)
    #expect(out.height == 3 * h + 2 * gap && out.width == 4 * w + 3 * gap)
    for y in 0 ..< out.height {
      for x in 0 ..< out.width {
        let (row, ty) = (y / (h + gap), y % (h + gap))
        let (col, tx) = (x / (w + gap), x % (w + gap))
        let k = row * 4 + col
        let expected = ty < h && tx < w && k < n ? maps[k, ty, tx] : pad
        #expect(out[0, y, x] == expected, "pixel \(y), \(x)")
      }
    }
    #expect(try montage(maps, columns: 20, gap: 1).width == n * w + (n - 1))
    #expect(try montage(maps, columns: 3, gap: 0).height == 4 * h)
  }

  @Test func montageOfGreyAndRGBTiles() throws {
    let grey = Tensor(rows: [[0.25, 0.75]])
    let rgb = Tensor(planes: [[[1, 0]], [[0, 1]], [[0.5, 0.5]]])
    let out = try montage([grey, rgb], gap: 1, padValue: 0)
    #expect(out.channels == 3 && out.height == 1 && out.width == 5)
    #expect(out.data == [0.25, 0.75, 0, 1, 0, 0.25, 0.75, 0, 0, 1, 0.25, 0.75, 0, 0.5, 0.5])
    #expect(throws: ConvolveError.self) { try montage([grey, Tensor(rows: [[1, 2, 3]])]) }
    #expect(throws: ConvolveError.self) { try montage([Tensor(channels: 2, height: 1, width: 2)]) }
    #expect(throws: ConvolveError.self) { try montage([grey], labels: ["a", "b"]) }
    #expect(throws: ConvolveError.self) { try montage([grey], columns: 0) }
    #expect(throws: ConvolveError.self) { try montage([Tensor]()) }
  }

  /// "1", a blank column, then "0", from the glyph rows of the 3×5 font.
  private let tenGlyph = ["010 0 111", "110 0 101", "010 0 101", "010 0 101", "111 0 111"].map {
    $0.filter { $0 != " " }.map { $0 == "1" }
  }

  @Test func labelsBelowTiles() throws {
    let (h, w) = (4, 9)
    let out = try montage(Tensor(channels: 2, height: h, width: w, repeating: 0.2), gap: 1, padValue: 0, labels: ["10", "x"])
    #expect(out.height == h + 7 && out.width == 2 * w + 1)
    for y in 0 ..< h { for x in 0 ..< w { #expect(out[0, y, x] == 0.2) } }
    for y in h ..< h + 7 {
      for x in 0 ..< w {
        let (gy, gx) = (y - h - 1, x - 1)
        let ink = gy >= 0 && gy < 5 && gx >= 0 && gx < 7 && tenGlyph[gy][gx]
        #expect(out[0, y, x] == (ink ? 1 : 0), "pixel \(y), \(x)")
      }
    }
    // "x" under the second tile: 101 / 101 / 010 / 101 / 101.
    let x0 = w + 1
    #expect([0, 1, 2, 3].map { out[0, h + 1 + 2, x0 + $0] } == [0, 0, 1, 0])
    #expect([0, 1, 2, 3].map { out[0, h + 1, x0 + $0] } == [0, 1, 0, 1])
  }

  @Test func labelsOverTilesAreCutAtTheEdge() throws {
    let (h, w) = (9, 6)
    let out = try montage([Tensor(channels: 3, height: h, width: w, repeating: 0.4)], padValue: 1, labels: ["10"], labelPlacement: .over)
    #expect(out.channels == 3 && out.height == h && out.width == w)
    for c in 0 ..< 3 {
      for y in 0 ..< h {
        for x in 0 ..< w {
          let (gy, gx) = (y - 1, x - 1)
          let expected: Float
          if y >= 7 {
            expected = 0.4
          } else {
            expected = gy >= 0 && gy < 5 && gx >= 0 && tenGlyph[gy][gx] ? 0 : 1
          }
          #expect(out[c, y, x] == expected, "pixel \(c), \(y), \(x)")
        }
      }
    }
  }

  @Test func unknownCharactersDrawAsQuestionMarks() throws {
    let a = try montage(Tensor(channels: 1, height: 1, width: 4), padValue: 0, labels: ["é"])
    let b = try montage(Tensor(channels: 1, height: 1, width: 4), padValue: 0, labels: ["?"])
    #expect(a == b && a.data.contains(1))
    let upper = try montage(Tensor(channels: 1, height: 1, width: 4), padValue: 0, labels: ["Q"])
    #expect(upper == (try montage(Tensor(channels: 1, height: 1, width: 4), padValue: 0, labels: ["q"])))
  }

  // MARK: Overlay

  @Test func bilinearResizeAlignsPixelCentres() {
    let up = resizeBilinear(Tensor(rows: [[0, 1], [2, 3]]), height: 4, width: 4)
    #expect(up.rows() == [[0, 0.25, 0.75, 1], [0.5, 0.75, 1.25, 1.5], [1.5, 1.75, 2.25, 2.5], [2, 2.25, 2.75, 3]])
    #expect(resizeBilinear(Tensor(rows: [[0, 4, 8, 12]]), height: 1, width: 2).data == [2, 10])
  }

  @Test func overlayBlendsResizedHeatOnPhoto() throws {
    let heat = Tensor(rows: [[0, 1]])
    let photo = Tensor(planes: [[[1, 1, 1, 1]], [[0, 0, 0, 0]], [[0.2, 0.4, 0.6, 0.8]]])
    let out = try overlay(heat, on: photo, colormap: .gray, alpha: 0.5)
    let grey: [Float] = [0, 0.25, 0.75, 1]
    let expected = (0 ..< 3).flatMap { c in (0 ..< 4).map { 0.5 * photo[c, 0, $0] + 0.5 * grey[$0] } }
    #expect(close(out.data, expected))

    let hot = try overlay(Tensor(rows: [[1]]), on: Tensor(rows: [[0.4, 0.8]]), colormap: .jet, alpha: 0.25)
    let top = Colormap.jet.color(at: 1)
    #expect(close([top.red, top.green, top.blue], [0.5, 0, 0], 1e-3))
    #expect(close(hot.data, [0.3 + 0.25 * top.red, 0.6 + 0.25 * top.red, 0.3 + 0.25 * top.green, 0.6 + 0.25 * top.green, 0.3 + 0.25 * top.blue, 0.6 + 0.25 * top.blue]))
  }

  @Test func overlayRejectsBadInputs() {
    let photo = Tensor(channels: 3, height: 2, width: 2)
    #expect(throws: ConvolveError.self) { try overlay(Tensor(channels: 2, height: 1, width: 1), on: photo) }
    #expect(throws: ConvolveError.self) { try overlay(Tensor(rows: [[1]]), on: Tensor(channels: 2, height: 2, width: 2)) }
    #expect(throws: ConvolveError.self) { try overlay(Tensor(rows: [[1]]), on: photo, alpha: 1.5) }
    #expect(throws: ConvolveError.self) { try overlay(Tensor(channels: 1, height: 0, width: 0), on: photo) }
  }
}
