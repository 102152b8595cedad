import ConvolveTestSupport
import Testing
import ConvolveCore
@testable import ConvolveCNN

@Suite struct UpsampleTests {
  @Test func nearestDoublesEachSample() throws {
    let x = Tensor(rows: [[1, 2], [3, 4]])
    #expect(try upsample(x, scale: 2, method: .nearest).rows() == [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])
  }

  /// align_corners=False: output sample centres map to `(i + 0.5) / 2 - 0.5`, clamped at the edges.
  @Test func bilinearByTwoByHand() throws {
    let x = Tensor(rows: [[0, 4]])
    #expect(try upsample(x, scaleY: 1, scaleX: 2, method: .bilinear).rows() == [[0, 1, 3, 4]])
  }

  struct ResizeCase: Decodable {
    let input: FixtureArray, method: String, scale: Double?, size: [Int]?
    let expected: FixtureArray
  }

  @Test func matchesPyTorchFormulaFixtures() throws {
    let cases = try loadFixture("cnn_resize.json", as: [ResizeCase].self)
    #expect(cases.count == 12)
    for c in cases {
      let method = try #require(ResizeMethod(rawValue: c.method))
      let y = try c.scale.map { try upsample(c.input.tensor, scale: $0, method: method) }
        ?? resize(c.input.tensor, height: c.size![0], width: c.size![1], method: method)
      #expect([y.channels, y.height, y.width] == c.expected.shape, "\(c.method) \(c.scale ?? 0) \(c.size ?? [])")
      #expect(maxDifference(y.data, c.expected.data) < 1e-6, "\(c.method) \(c.scale ?? 0) \(c.size ?? [])")
    }
  }

  /// PyTorch's `nearest` reads `floor(x / F)`, `nearest-exact` `floor((x + 0.5) / F)` (the input pixel
  /// holding the output pixel's centre), e.g. `interpolate(arange(6.), scale_factor=0.5, mode="nearest-exact")`
  /// is [1, 3, 5]; the pipeline stage (an ONNX Resize, half_pixel with round_prefer_ceil) gives the same.
  @Test func nearestExactReadsThePixelUnderTheCentre() throws {
    let four = Tensor(rows: [[0, 1, 2, 3]]), six = Tensor(rows: [[0, 1, 2, 3, 4, 5]])
    #expect(try upsample(four, scaleY: 1, scaleX: 1.5, method: .nearest).rows() == [[0, 0, 1, 2, 2, 3]])
    #expect(try upsample(four, scaleY: 1, scaleX: 1.5, method: .nearestExact).rows() == [[0, 1, 1, 2, 3, 3]])
    #expect(try upsample(six, scaleY: 1, scaleX: 0.5, method: .nearest).rows() == [[0, 2, 4]])
    #expect(try upsample(six, scaleY: 1, scaleX: 0.5, method: .nearestExact).rows() == [[1, 3, 5]])
    // Integer factors agree: each input sample repeated.
    #expect(try upsample(four, scale: 2, method: .nearestExact) == upsample(four, scale: 2, method: .nearest))
    #expect(ResizeMethod(rawValue: "nearest-exact") == .nearestExact)

    var grid = Tensor(channels: 2, height: 5, width: 7)
    for i in grid.data.indices { grid.data[i] = Float(i) }
    for scale in [1.5, 0.6, 2.5] {
      let pipeline = Pipeline(name: "up", stages: [.init(name: "up", operation: .upsample(scale: scale, method: .nearestExact))])
      var staged: Tensor?
      try pipeline.run(grid) { _, _, output in staged = output }
      #expect(staged == (try upsample(grid, scale: scale, method: .nearestExact)), "scale \(scale)")
    }
  }

  @Test func rejectsEmptyResults() {
    let x = Tensor(rows: [[1, 2]])
    #expect(thrownMessage { try upsample(x, scale: 0.4, method: .nearest) }?.contains("0x0") == true)
    #expect(thrownMessage { try upsample(x, scale: -1, method: .bilinear) }?.contains("-1") == true)
  }
}
