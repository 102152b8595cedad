import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Testing

@testable import ConvolveRender

@Suite struct ColormapTests {
  @Test(arguments: Colormap.allCases)
  func colormapMatchesMatplotlib(_ colormap: Colormap) throws {
    let samples = try #require(colormapFixture[colormap.rawValue])
    for (x, rgb) in samples {
      let c = colormap.color(at: x)
      #expect(isApproximatelyEqual([c.red, c.green, c.blue], rgb, tolerance: 2.0 / 255), "\(colormap) at \(x)")
    }
  }

  @Test func colormapApplyClampsAndKeepsLayout() throws {
    let t = Tensor(rows: [[0, 0.3], [-2, 2], [.nan, 1]])
    let rgb = try Colormap.viridis.apply(t)
    #expect(rgb.channels == 3 && rgb.height == 3 && rgb.width == 2)
    let colors = [0, 0.3, 0, 1, 0, 1].map { Colormap.viridis.color(at: Float($0)) }
    #expect(rgb.data == colors.map(\.red) + colors.map(\.green) + colors.map(\.blue))
    #expect(isApproximatelyEqual(try Colormap.gray.apply(t).data, Array(repeating: [0, 0.3, 0, 1, 0, 1], count: 3).flatMap { $0 }, tolerance: 1e-6))
    #expect(throws: ConvolveError.self) { try Colormap.jet.apply(Tensor(channels: 2, height: 1, width: 1)) }
  }
}
