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

  @Test func rejectsEmptyResults() {
    let x = Tensor(rows: [[1, 2]])
    #expect(thrownMessage { try upsample(x, scale: 0.4, method: .nearest) }?.contains("0x0") == true)
    #expect(thrownMessage { try upsample(x, scale: -1, method: .bilinear) }?.contains("-1") == true)
  }
}
