import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Testing

@testable import ConvolveRender

@Suite struct MontageTests {
  /// "1", a blank column, then "0", from the glyph rows of the 3×5 font.
  private let tenGlyph = ["010 0 111", "110 0 101", "010 0 101", "010 0 101", "111 0 111"].map {
    $0.filter { $0 != " " }.map { $0 == "1" }
  }

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
}
