import ConvolveTestSupport
import Foundation
import Testing
@testable import ConvolveCore

/// Cases written by Tests/Fixtures/generate_fixtures.py from scipy.signal / scipy.ndimage.
@Suite struct ScipyFixtureTests {
  struct Case: Decodable {
    var name, op, mode, border, source: String
    var stride, dilation: [Int]
    var input, kernel, expected: [[Float]]
  }

  static let cases: [Case] = {
    let url = fixtureURL("scipy_conv2d.json")
    guard let data = try? Data(contentsOf: url) else { return [] }
    return (try? JSONDecoder().decode([Case].self, from: data)) ?? []
  }()

  @Test func fixtureIsPresentAndCoversEveryModeAndBorder() {
    #expect(Self.cases.count >= 60)
    #expect(Set(Self.cases.map(\.mode)) == ["full", "same", "valid"])
    #expect(Set(Self.cases.map(\.border)) == Set(Border.allCases.map(\.rawValue)))
  }

  @Test(arguments: cases.indices)
  func matchesScipy(_ index: Int) throws {
    let c = Self.cases[index]
    var options = ConvolutionOptions(
      mode: try #require(ConvolutionMode(rawValue: c.mode)), border: try #require(Border(name: c.border)),
      correlate: c.op == "correlate")
    (options.strideY, options.strideX) = (c.stride[0], c.stride[1])
    (options.dilationY, options.dilationX) = (c.dilation[0], c.dilation[1])
    let got = try convolve(Tensor(rows: c.input), with: Kernel(rows: c.kernel), options: options)
    let expected = Tensor(rows: c.expected)
    #expect(got.height == expected.height && got.width == expected.width, "\(c.name): \(c.source)")
    #expect(maxDifference(got.data, expected.data) < 1e-4, "\(c.name): \(c.source)")
  }
}
