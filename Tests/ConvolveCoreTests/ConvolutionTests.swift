import ConvolveTestSupport
import Testing
@testable import ConvolveCore

@Suite struct ConvolutionTests {
  @Test func borderDiagrams() {
    func padded(_ b: Border) -> String {
      let abcd = Array("abcd")
      return String((-3 ..< 7).map { i -> Character in
        let s = b.sourceIndex(i, count: 4)
        return s < 0 ? "0" : abcd[s]
      })
    }
    #expect(padded(.zero) == "000abcd000")
    #expect(padded(.replicate) == "aaaabcdddd")
    #expect(padded(.reflect) == "dcbabcdcba")
    #expect(padded(.symmetric) == "cbaabcddcb")
    #expect(padded(.wrap) == "bcdabcdabc")
    #expect(Border(name: "BORDER_REFLECT_101") == .reflect)
    #expect(Border(name: "mirror") == .reflect)
    #expect(Border(name: "symm") == .symmetric)
    #expect(Border(name: "circular") == .wrap)
    #expect(Border(name: "nearest") == .replicate)
    #expect(Border(name: "constant") == .zero)
    #expect(Border(name: "bogus") == nil)
  }

  /// An asymmetric kernel pins the orientation: convolution flips, correlation does not.
  @Test func asymmetricKernelPinsConvolutionAndCorrelation() throws {
    let impulse = Tensor(rows: [[0, 0, 0], [0, 1, 0], [0, 0, 0]])
    let k = try Kernel(rows: [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    #expect(try convolve(impulse, with: k).rows() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    #expect(try correlate(impulse, with: k).rows() == [[9, 8, 7], [6, 5, 4], [3, 2, 1]])
    let ramp = Tensor(rows: [[0, 1, 2, 3, 4]])
    let difference = try Kernel(rows: [[1, -1]])
    #expect(try convolve(ramp, with: difference, options: .init(mode: .valid)).rows() == [[1, 1, 1, 1]])
    #expect(try correlate(ramp, with: difference, options: .init(mode: .valid)).rows() == [[-1, -1, -1, -1]])
  }

  @Test func matchesNaiveReferenceOnRandomGeometry() throws {
    var rng = SplitMix64(seed: 42)
    for trial in 0 ..< 300 {
      let (c, h, w) = (rng.int(1 ... 3), rng.int(1 ... 9), rng.int(1 ... 9))
      let (kh, kw) = (rng.int(1 ... 5), rng.int(1 ... 5))
      var o = ConvolutionOptions(
        mode: ConvolutionMode.allCases[rng.int(0 ... 2)], border: Border.allCases[rng.int(0 ... 4)],
        correlate: rng.int(0 ... 1) == 1, rounding: .floor)
      (o.strideY, o.strideX) = (rng.int(1 ... 3), rng.int(1 ... 3))
      (o.dilationY, o.dilationX) = (rng.int(1 ... 2), rng.int(1 ... 2))
      if trial % 5 == 0 {
        o.padding = Padding(top: rng.int(0 ... 6), bottom: rng.int(0 ... 6), left: rng.int(0 ... 6), right: rng.int(0 ... 6))
      }
      let x = Tensor(channels: c, height: h, width: w, data: rng.floats(c * h * w))
      let k = Kernel(height: kh, width: kw, weights: rng.floats(kh * kw))
      let expected: Tensor
      do { expected = try naiveConvolve(x, k, o) } catch {
        #expect(throws: ConvolveError.self) { try convolve(x, with: k, options: o) }
        continue
      }
      let got = try convolve(x, with: k, options: o)
      #expect(got.channels == c && got.height == expected.height && got.width == expected.width)
      #expect(maxDifference(got.data, expected.data) < 1e-5, "trial \(trial): \(o)")
    }
  }

  @Test func sameModeKeepsSizeForEvenKernelsAndMatchesScipyAnchor() throws {
    let x = Tensor(rows: [[1, 2, 3, 4, 5, 6, 7]])
    // scipy.signal.convolve2d(x, [[1, 10]], 'same') and correlate2d(x, [[1, 10]], 'same')
    let k = try Kernel(rows: [[1, 10]])
    #expect(try convolve(x, with: k).rows() == [[1, 12, 23, 34, 45, 56, 67]])
    #expect(try correlate(x, with: k).rows() == [[21, 32, 43, 54, 65, 76, 7]])
  }

  @Test func rejectsKernelsLargerThanTheValidInput() throws {
    let x = Tensor(channels: 1, height: 2, width: 2, repeating: 1)
    let k = try Kernel(rows: [[1, 1, 1]])
    let error = #expect(throws: ConvolveError.self) { try convolve(x, with: k, options: .init(mode: .valid)) }
    #expect(error?.description == "kernel width 3 is larger than the padded input width 2")
  }

  @Test func kernelValidation() {
    #expect(throws: ConvolveError.invalidArgument("kernel is empty")) { try Kernel(rows: []) }
    #expect(throws: ConvolveError.invalidArgument("kernel row 2 has 1 values, row 1 has 2")) {
      try Kernel(rows: [[1, 2], [3]])
    }
    #expect(throws: ConvolveError.self) { try Kernel(rows: [[1, .nan]]) }
  }
}

@Suite struct SeparableTests {
  @Test func detectsRankOneKernels() throws {
    let gaussian = try Kernel(rows: [[1, 4, 6, 4, 1], [4, 16, 24, 16, 4], [6, 24, 36, 24, 6], [4, 16, 24, 16, 4], [1, 4, 6, 4, 1]])
    let factors = try #require(gaussian.separableFactors)
    let product = factors.column.weights.flatMap { c in factors.row.weights.map { c * $0 } }
    #expect(maxDifference(product, gaussian.weights) < 1e-5)
    #expect(factors.column.height == 5 && factors.row.width == 5)
    #expect(try Kernel(rows: [[0, -1, 0], [-1, 4, -1], [0, -1, 0]]).separableFactors == nil)
    #expect(try Kernel(rows: [[0, 0], [0, 0]]).separableFactors == nil)
  }

  /// Rank-1 kernels of 5x5 and larger take the two-pass path; it must agree with the definition everywhere.
  @Test func twoPassesMatchNaiveReference() throws {
    var rng = SplitMix64(seed: 3)
    for trial in 0 ..< 120 {
      let (kh, kw) = (rng.int(4 ... 7), rng.int(4 ... 7))
      let col = rng.floats(kh), row = rng.floats(kw)
      let k = Kernel(height: kh, width: kw, weights: col.flatMap { c in row.map { c * $0 } })
      #expect(k.separableFactors != nil)
      let (h, w) = (rng.int(1 ... 12), rng.int(1 ... 12))
      var o = ConvolutionOptions(
        mode: ConvolutionMode.allCases[rng.int(0 ... 2)], border: Border.allCases[rng.int(0 ... 4)],
        stride: rng.int(1 ... 2), dilation: rng.int(1 ... 2), correlate: rng.int(0 ... 1) == 1, rounding: .floor)
      o.strideX = rng.int(1 ... 3)
      let x = Tensor(channels: 2, height: h, width: w, data: rng.floats(2 * h * w))
      guard let expected = try? naiveConvolve(x, k, o) else { continue }
      let got = try convolve(x, with: k, options: o)
      #expect(maxDifference(got.data, expected.data) < 1e-4, "trial \(trial)")
    }
  }
}
