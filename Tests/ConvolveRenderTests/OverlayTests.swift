import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Testing

@testable import ConvolveRender

@Suite struct OverlayTests {
  @Test func bilinearResizeAlignsPixelCentres() throws {
    let up = try Tensor(rows: [[0, 1], [2, 3]]).resized(height: 4, width: 4, options: ResizeMethod.bilinear.options)
    #expect(up.rows() == [[0, 0.25, 0.75, 1], [0.5, 0.75, 1.25, 1.5], [1.5, 1.75, 2.25, 2.5], [2, 2.25, 2.75, 3]])
    #expect(try Tensor(rows: [[0, 4, 8, 12]]).resized(height: 1, width: 2, options: ResizeMethod.bilinear.options).data == [2, 10])
  }

  @Test func overlayBlendsResizedHeatOnPhoto() throws {
    let heat = Tensor(rows: [[0, 1]])
    let photo = Tensor(planes: [[[1, 1, 1, 1]], [[0, 0, 0, 0]], [[0.2, 0.4, 0.6, 0.8]]])
    let out = try overlay(heat, on: photo, colormap: .gray, alpha: 0.5)
    let grey: [Float] = [0, 0.25, 0.75, 1]
    let expected = (0 ..< 3).flatMap { c in (0 ..< 4).map { 0.5 * photo[c, 0, $0] + 0.5 * grey[$0] } }
    #expect(isApproximatelyEqual(out.data, expected, tolerance: 1e-6))

    let hot = try overlay(Tensor(rows: [[1]]), on: Tensor(rows: [[0.4, 0.8]]), colormap: .jet, alpha: 0.25)
    let top = Colormap.jet.color(at: 1)
    #expect(isApproximatelyEqual([top.red, top.green, top.blue], [0.5, 0, 0], tolerance: 1e-3))
    #expect(isApproximatelyEqual(hot.data, [0.3 + 0.25 * top.red, 0.6 + 0.25 * top.red, 0.3 + 0.25 * top.green, 0.6 + 0.25 * top.green, 0.3 + 0.25 * top.blue, 0.6 + 0.25 * top.blue], tolerance: 1e-6))
  }

  /// Issue 24, item 4: where the map is 0 the photo shows as it is (no dark-blue tint); where it peaks the
  /// colour covers it with the maximum opacity, and in between the opacity follows the map.
  @Test func overlayOpacityFollowsTheMap() throws {
    let photo = Tensor(planes: [[[0.2, 0.4, 0.6]], [[0.3, 0.5, 0.7]], [[0.9, 0.1, 0.5]]])
    let heat = Tensor(rows: [[0, 0.5, 1]])
    let out = try followingOverlay(heat, on: photo, colormap: .jet, maxOpacity: 0.8)
    for c in 0 ..< 3 { #expect(out[c, 0, 0] == photo[c, 0, 0]) }
    for (x, a) in [(1, Float(0.4)), (2, Float(0.8))] {
      let color = Colormap.jet.color(at: heat[0, 0, x])
      let rgb = [color.red, color.green, color.blue]
      for c in 0 ..< 3 { #expect(abs(out[c, 0, x] - ((1 - a) * photo[c, 0, x] + a * rgb[c])) < 1e-6, "\(c), \(x)") }
    }
    let blended = try overlay(heat, on: photo, colormap: .jet, alpha: 0.5)
    #expect(blended[2, 0, 0] != photo[2, 0, 0])  // the plain blend tints even where the map is 0
  }

  @Test func overlayRejectsBadInputs() {
    let photo = Tensor(channels: 3, height: 2, width: 2)
    #expect(throws: ConvolveError.self) { try overlay(Tensor(channels: 2, height: 1, width: 1), on: photo) }
    #expect(throws: ConvolveError.self) { try overlay(Tensor(rows: [[1]]), on: Tensor(channels: 2, height: 2, width: 2)) }
    #expect(throws: ConvolveError.self) { try overlay(Tensor(rows: [[1]]), on: photo, alpha: 1.5) }
    #expect(throws: ConvolveError.self) { try overlay(Tensor(channels: 1, height: 0, width: 0), on: photo) }
  }
}
