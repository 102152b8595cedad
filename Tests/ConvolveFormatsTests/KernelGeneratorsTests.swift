import ConvolveTestSupport
import ConvolveCore
import Foundation
import Testing
import ConvolveCNN
@testable import ConvolveFormats

private let filtersFolder = packageRoot.appendingPathComponent("Filters").path

private func fixture(_ name: String) throws -> Data {
  let url = fixtureURL(name)
  return try #require(FileManager.default.contents(atPath: url.path), "missing fixture \(url.path)")
}

@Suite struct KernelGeneratorTests {
  struct GaussianFixture: Decodable {
    struct Case: Decodable {
      let sigma: Double, radius: Int
      let line: [Double]
      let kernel: [[Float]]
    }
    let cases: [Case]
  }

  /// `Tests/Fixtures/generate_fixtures.py` writes these with scipy.ndimage.gaussian_filter on an impulse.
  @Test func gaussianMatchesSciPy() throws {
    let fixture = try JSONDecoder().decode(GaussianFixture.self, from: fixture("gaussian.json"))
    #expect(fixture.cases.map(\.sigma) == [0.5, 0.7, 1, 1.5, 2])
    for c in fixture.cases {
      let k = try Kernel.gaussian(sigma: Float(c.sigma))
      #expect(k.height == 2 * c.radius + 1 && k.width == 2 * c.radius + 1, "sigma \(c.sigma)")
      #expect(maxDifference(k.weights, c.kernel.flatMap { $0 }) < 1e-7, "sigma \(c.sigma)")
      #expect(abs(k.sum - 1) < 1e-6, "sigma \(c.sigma)")
      let line = Kernel.gaussianLine(sigma: c.sigma, radius: c.radius)
      #expect(zip(line, c.line).allSatisfy { abs($0 - $1) < 1e-9 }, "sigma \(c.sigma)")
    }
    #expect(try Kernel.gaussian(sigma: 1).separableFactors != nil)
  }

  @Test func gaussianRadiusAndValidation() throws {
    let narrow = try Kernel.gaussian(sigma: 0.1)
    #expect(narrow.height == 3 && abs(narrow[1, 1] - 1) < 1e-6)
    #expect(try Kernel.gaussian(sigma: 0.34).height == 5)  // radius ceil(1.02) = 2
    #expect(try Kernel.gaussian(sigma: 2, radius: 0).weights == [1])
    let three = try Kernel.gaussian(sigma: 1, radius: 1)
    let e = Float(exp(-0.5)), s = 1 + 2 * e
    #expect(maxDifference(three.rows[1], [e / s / s, 1 / s / s, e / s / s]) < 1e-7)
    #expect(throws: ConvolveError.invalidArgument("gaussian sigma is 0.0; it must be a finite number greater than 0")) {
      try Kernel.gaussian(sigma: 0)
    }
    #expect(throws: ConvolveError.invalidArgument("gaussian sigma is nan; it must be a finite number greater than 0")) {
      try Kernel.gaussian(sigma: .nan)
    }
    #expect(throws: ConvolveError.invalidArgument("gaussian radius is -1; it must be between 0 and 512")) {
      try Kernel.gaussian(sigma: 1, radius: -1)
    }
    #expect(throws: ConvolveError.invalidArgument("gaussian sigma 1000.0 needs radius 3000 (3σ rounded up); the largest radius is 512")) {
      try Kernel.gaussian(sigma: 1000)
    }
  }

  @Test func boxIdentityAndUnsharp() throws {
    #expect(try Kernel.box(size: 2).rows == [[0.25, 0.25], [0.25, 0.25]])
    #expect(try Kernel.box(height: 1, width: 4).rows == [[0.25, 0.25, 0.25, 0.25]])
    #expect(throws: ConvolveError.invalidArgument("box width is 0; it must be between 1 and 1025")) {
      try Kernel.box(height: 3, width: 0)
    }
    #expect(try Kernel.identity(size: 3).rows == [[0, 0, 0], [0, 1, 0], [0, 0, 0]])
    #expect(try Kernel.identity().rows == [[1]])
    #expect(throws: ConvolveError.invalidArgument("identity size is 2; it must be odd and between 1 and 1025")) {
      try Kernel.identity(size: 2)
    }
    let blur = try Kernel.gaussian(sigma: 1)
    let sharp = try Kernel.unsharp(sigma: 1, amount: 1.5)
    #expect(sharp.height == 7 && abs(sharp.sum - 1) < 1e-6)
    #expect(abs(sharp[3, 3] - (2.5 - 1.5 * blur[3, 3])) < 1e-6)
    #expect(abs(sharp[0, 2] - -1.5 * blur[0, 2]) < 1e-9)
    let identity7 = try Kernel.identity(size: 7)
    #expect(try Kernel.unsharp(sigma: 1, amount: 0) == identity7)
    #expect(throws: ConvolveError.invalidArgument("unsharp amount is -1.0; it must be a finite number of at least 0")) {
      try Kernel.unsharp(sigma: 1, amount: -1)
    }
  }
}
