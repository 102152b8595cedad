import ConvolveTestSupport
import Testing
@testable import ConvolveCore

/// Every fast path of `convolve`, forced, against `naiveConvolve` on random geometry.
@Suite struct FastPathTests {
  /// `1e-4 · ‖k‖₁ · max|x|`: the float error budget of one output sample.
  func tolerance(_ x: Tensor, _ k: Kernel) -> Float {
    1e-4 * k.weights.reduce(0) { $0 + abs($1) } * max(x.data.map(abs).max() ?? 0, 1e-30)
  }

  func randomOptions(_ rng: inout SplitMix64, maxStride: Int = 3) -> ConvolutionOptions {
    var o = ConvolutionOptions(
      mode: ConvolutionMode.allCases[rng.int(0 ... 2)], border: Border.allCases[rng.int(0 ... 4)],
      correlate: rng.int(0 ... 1) == 1, rounding: .floor)
    (o.strideY, o.strideX) = (rng.int(1 ... maxStride), rng.int(1 ... maxStride))
    (o.dilationY, o.dilationX) = (rng.int(1 ... 2), rng.int(1 ... 2))
    if rng.int(0 ... 4) == 0 {
      o.padding = Padding(top: rng.int(0 ... 6), bottom: rng.int(0 ... 6), left: rng.int(0 ... 6), right: rng.int(0 ... 6))
    }
    return o
  }

  /// Runs `path` and the reference; false when the geometry is rejected (by both).
  @discardableResult
  func check(_ x: Tensor, _ k: Kernel, _ o: ConvolutionOptions, _ path: ConvolutionPath, _ note: String) throws -> Bool {
    let expected: Tensor
    do { expected = try naiveConvolve(x, k, o) } catch {
      #expect(throws: ConvolveError.self) { try convolve(x, with: k, options: o, path: path) }
      return false
    }
    let got = try convolve(x, with: k, options: o, path: path)
    #expect(got.channels == expected.channels && got.height == expected.height && got.width == expected.width, "\(note)")
    if got.count == expected.count {
      let error = maxDifference(got.data, expected.data)
      #expect(error <= tolerance(x, k), "\(note): error \(error), \(k.height)x\(k.width) on \(x.height)x\(x.width), \(o)")
    }
    return true
  }

  /// Small kernels (1x1 to 5x5, 1xN, Nx1) on rows narrower and wider than the 32-sample register block.
  @Test func directPathMatchesReference() throws {
    var rng = SplitMix64(seed: 11)
    var checked = 0
    for trial in 0 ..< 400 {
      let (c, h, w) = (rng.int(1 ... 2), rng.int(1 ... 24), rng.int(1 ... 90))
      var (kh, kw) = (rng.int(1 ... 5), rng.int(1 ... 5))
      if trial % 7 == 0 { (kh, kw) = (1, rng.int(2 ... 9)) }
      if trial % 7 == 1 { (kh, kw) = (rng.int(2 ... 9), 1) }
      let x = Tensor(channels: c, height: h, width: w, data: rng.floats(c * h * w))
      let k = Kernel(height: kh, width: kw, weights: rng.floats(kh * kw))
      if try check(x, k, randomOptions(&rng), .direct, "direct trial \(trial)") { checked += 1 }
    }
    #expect(checked > 250)
  }

  /// Constant kernels (box, mean) by running sums: every size up to 21x21 on images from 1x1 up, every border,
  /// mode and explicit padding; rows longer than a 64-row band so the column sums restart.
  @Test func boxPathMatchesReference() throws {
    var rng = SplitMix64(seed: 14)
    var checked = 0
    for trial in 0 ..< 250 {
      let (c, h, w) = (rng.int(1 ... 2), trial % 10 == 0 ? rng.int(65 ... 150) : rng.int(1 ... 30), rng.int(1 ... 40))
      let (kh, kw) = (rng.int(1 ... 21), rng.int(1 ... 21))
      let x = Tensor(channels: c, height: h, width: w, data: rng.floats(c * h * w))
      let weight = Float.random(in: 0.01 ... 1, using: &rng)
      let k = Kernel(height: kh, width: kw, weights: [Float](repeating: weight, count: kh * kw))
      var o = randomOptions(&rng, maxStride: 1)
      (o.dilationY, o.dilationX) = (1, 1)
      if try check(x, k, o, .box, "box trial \(trial)") { checked += 1 }
    }
    #expect(checked > 150)
  }

  @Test func boxPathIsChosenForLargeConstantKernelsOnly() throws {
    let box = Kernel(height: 9, width: 9, weights: [Float](repeating: 1 / 81, count: 81))
    let path = { (k: Kernel, s: Int) in
      convolutionPath(kernel: k, separable: true, channels: 3, output: (100, 100), stride: (s, s), dilation: (1, 1))
    }
    #expect(path(box, 1) == .box)
    #expect(path(box, 2) != .box)
    #expect(path(Kernel(height: 5, width: 5, weights: [Float](repeating: 1, count: 25)), 1) == .separable)
  }

  /// Kernels up to 12x12, images down to 1x1 (smaller than the kernel), every border, stride and dilation.
  @Test func fftPathMatchesReference() throws {
    var rng = SplitMix64(seed: 12)
    var checked = 0
    for trial in 0 ..< 250 {
      let (c, h, w) = (rng.int(1 ... 3), rng.int(1 ... 30), rng.int(1 ... 40))
      var (kh, kw) = (rng.int(1 ... 12), rng.int(1 ... 12))
      if trial % 9 == 0 { (kh, kw) = (1, rng.int(2 ... 15)) }
      if trial % 9 == 1 { (kh, kw) = (rng.int(2 ... 15), 1) }
      let x = Tensor(channels: c, height: h, width: w, data: rng.floats(c * h * w))
      let k = Kernel(height: kh, width: kw, weights: rng.floats(kh * kw))
      if try check(x, k, randomOptions(&rng), .fft, "fft trial \(trial)") { checked += 1 }
    }
    #expect(checked > 150)
  }

  /// Rank-1 kernels of every shape (1xN and Nx1 too) through the fused column-then-row path.
  @Test func separablePathMatchesReference() throws {
    var rng = SplitMix64(seed: 16)
    var checked = 0
    for trial in 0 ..< 250 {
      let (c, h, w) = (rng.int(1 ... 2), rng.int(1 ... 24), rng.int(1 ... 90))
      let (kh, kw) = (rng.int(1 ... 9), rng.int(1 ... 9))
      var column = rng.floats(kh), row = rng.floats(kw)
      if trial % 5 == 0 { column[rng.int(0 ... kh - 1)] = 0 }
      if trial % 5 == 1 { row[rng.int(0 ... kw - 1)] = 0 }
      let x = Tensor(channels: c, height: h, width: w, data: rng.floats(c * h * w))
      let k = Kernel(height: kh, width: kw, weights: column.flatMap { a in row.map { a * $0 } })
      guard k.separableFactors != nil else { continue }
      if try check(x, k, randomOptions(&rng), .separable, "separable trial \(trial)") { checked += 1 }
    }
    #expect(checked > 150)
  }

  /// Each border rule and stride on both paths, with an image smaller than the kernel in `same` and `full`.
  @Test(arguments: Border.allCases)
  func everyBorderAndStride(border: Border) throws {
    var rng = SplitMix64(seed: 13)
    for path in [ConvolutionPath.direct, .fft] {
      for stride in 1 ... 3 {
        for (h, w, kh, kw) in [(37, 45, 3, 3), (20, 70, 5, 5), (4, 3, 9, 11), (1, 1, 7, 7), (1, 50, 1, 7), (50, 1, 7, 1)] {
          for mode in [ConvolutionMode.same, .full] {
            let x = Tensor(channels: 2, height: h, width: w, data: rng.floats(2 * h * w))
            let k = Kernel(height: kh, width: kw, weights: rng.floats(kh * kw))
            let o = ConvolutionOptions(mode: mode, border: border, stride: stride, rounding: .floor)
            try check(x, k, o, path, "\(path) \(border) stride \(stride) \(mode)")
          }
        }
      }
    }
  }

  /// Images large enough for several FFT tiles per axis, with 15x15 and 31x31 kernels.
  @Test func largeKernelTilesAgree() throws {
    var rng = SplitMix64(seed: 14)
    let x = Tensor(channels: 2, height: 150, width: 170, data: rng.floats(2 * 150 * 170))
    let k = Kernel(height: 31, width: 31, weights: rng.floats(31 * 31))
    try check(x, k, ConvolutionOptions(mode: .same, border: .wrap), .fft, "31x31 wrap")
    let k15 = Kernel(height: 15, width: 15, weights: rng.floats(15 * 15))
    for border in Border.allCases {
      try check(x, k15, ConvolutionOptions(mode: .same, border: border), .fft, "15x15 \(border)")
    }
    var o = ConvolutionOptions(mode: .valid, stride: 2, dilation: 2, rounding: .floor)
    o.strideX = 3
    try check(x, Kernel(height: 17, width: 13, weights: rng.floats(17 * 13)), o, .fft, "dilated, strided")
    try check(x, k15, ConvolutionOptions(border: .reflect), .direct, "15x15 direct")
  }

  @Test func dispatchRules() throws {
    func path(_ k: Kernel, _ c: Int, _ h: Int, _ w: Int, stride: Int = 1) -> ConvolutionPath {
      convolutionPath(
        kernel: k, separable: k.separableFactors != nil, channels: c, output: (h, w), stride: (stride, stride),
        dilation: (1, 1))
    }
    var rng = SplitMix64(seed: 15)
    func dense(_ n: Int) -> Kernel { Kernel(height: n, width: n, weights: rng.floats(n * n)) }
    #expect(path(dense(3), 3, 3000, 4000) == .direct)
    #expect(path(dense(5), 3, 3000, 4000) == .direct)
    #expect(path(dense(31), 3, 3000, 4000) == .fft)
    #expect(path(dense(31), 1, 8, 8) == .direct)
    let g: [Float] = [1, 4, 12, 25, 40, 52, 56, 52, 40, 25, 12, 4, 1]
    let gaussian = Kernel(height: 13, width: 13, weights: g.flatMap { a in g.map { a * $0 } })
    #expect(path(gaussian, 3, 3000, 4000) == .separable)
    #expect(path(Kernel(height: 1, width: 3, weights: [1, 2, 1]), 3, 3000, 4000) == .direct)
  }
}
