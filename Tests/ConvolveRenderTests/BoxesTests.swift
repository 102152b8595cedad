import ConvolveCore
import Testing

@testable import ConvolveRender

@Suite struct BoxesTests {
  func pixel(_ t: Tensor, _ y: Int, _ x: Int) -> [Float] { (0 ..< 3).map { t[$0, y, x] } }

  /// The outline is one pixel wide on a small photo, in the class's colour; inside and outside stay the photo;
  /// the label sits above the box on the same colour with white text.
  @Test func outlineAndLabelInTheClassColour() throws {
    let photo = Tensor(channels: 3, height: 60, width: 80, repeating: 0.25)
    let box = LabeledBox(x0: 50, y0: 40, x1: 20, y1: 20, text: "cat", colorIndex: 3)
    let out = try drawBoxes([box], on: photo)
    let red = boxPalette[3]
    #expect(pixel(out, 20, 30) == [red.0, red.1, red.2], "top edge")
    #expect(pixel(out, 39, 30) == [red.0, red.1, red.2], "bottom edge")
    #expect(pixel(out, 30, 20) == [red.0, red.1, red.2] && pixel(out, 30, 49) == [red.0, red.1, red.2], "left and right")
    #expect(pixel(out, 30, 30) == [0.25, 0.25, 0.25], "inside")
    #expect(pixel(out, 50, 60) == [0.25, 0.25, 0.25], "outside")
    // The label strip: 7 rows above the top edge, the first glyph's top-left pixel ('c' starts with 0) on colour,
    // its second pixel white.
    #expect(pixel(out, 13, 20) == [red.0, red.1, red.2])
    #expect(pixel(out, 14, 22) == [1, 1, 1])
    #expect(pixel(out, 12, 20) == [0.25, 0.25, 0.25])
  }

  /// Gray photos come back RGB; boxes past the edges and non-finite ones draw what is inside or nothing.
  @Test func grayPhotoAndBoxesOutside() throws {
    let photo = Tensor(channels: 1, height: 10, width: 10, repeating: 0.5)
    let boxes = [
      LabeledBox(x0: -5, y0: -5, x1: 4, y1: 4, text: "", colorIndex: -1),
      LabeledBox(x0: .nan, y0: 0, x1: 3, y1: 3, text: "x", colorIndex: 0),
      LabeledBox(x0: 100, y0: 100, x1: 200, y1: 200, text: "far", colorIndex: 1),
    ]
    let out = try drawBoxes(boxes, on: photo)
    #expect(out.channels == 3 && out.height == 10 && out.width == 10)
    let last = boxPalette[boxPalette.count - 1]
    #expect(pixel(out, 3, 1) == [last.0, last.1, last.2], "bottom edge of the clipped box")
    #expect(pixel(out, 1, 1) == [0.5, 0.5, 0.5])
    #expect(pixel(out, 8, 8) == [0.5, 0.5, 0.5])
    #expect(throws: ConvolveError.self) { try drawBoxes([], on: Tensor(channels: 2, height: 2, width: 2)) }
  }
}
