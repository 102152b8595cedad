import ConvolveTestSupport
import Testing
import ConvolveCore
@testable import ConvolveCNN

@Suite struct TransposedConvTests {
  /// Lecture: output size = stride·(input - 1) + filter - 2·padding (plus dilation and output padding).
  @Test func sizeFormula() throws {
    let g = TransposedGeometry(stride: 2, padding: 1, outputPadding: 1, dilation: 1)
    #expect(try g.outputSize(inputHeight: 4, inputWidth: 5, kernelHeight: 3, kernelWidth: 3) == (8, 10))
    #expect(try TransposedGeometry(stride: 2).outputSize(inputHeight: 2, inputWidth: 2, kernelHeight: 3, kernelWidth: 3) == (5, 5))
    #expect(try TransposedGeometry(stride: 1, dilation: 2).outputSize(inputHeight: 3, inputWidth: 3, kernelHeight: 3, kernelWidth: 2) == (7, 5))
    #expect(thrownMessage {
      try TransposedGeometry(stride: 2, outputPadding: 2).outputSize(inputHeight: 3, inputWidth: 3, kernelHeight: 3, kernelWidth: 3)
    }?.contains("output padding 2") == true)
    #expect(thrownMessage {
      try TransposedGeometry(padding: 3).outputSize(inputHeight: 2, inputWidth: 2, kernelHeight: 3, kernelWidth: 3)
    }?.contains("padding is too large") == true)
    // The transposed size maps back to the input size through the forward convolution's formula.
    for n in 1 ... 6 {
      for s in 1 ... 3 {
        for p in 0 ... 1 {
          for op in 0 ..< s {
            let g = TransposedGeometry(stride: s, padding: p, outputPadding: op)
            guard let out = try? g.outputSize(inputHeight: n, inputWidth: n, kernelHeight: 3, kernelWidth: 3).height
            else { continue }
            #expect(try slidingOutputSize(input: out, kernel: 3, stride: s, padBefore: p, padAfter: p, rounding: .floor) == n)
          }
        }
      }
    }
  }

  /// A single impulse scatters one copy of the kernel; stride 2 with a 3x3 kernel overlaps on shared samples.
  @Test func paddingFreeScatterSumsTheOverlap() throws {
    let bank = try FilterBank(outChannels: 1, inChannelsPerGroup: 1, kernelHeight: 2, kernelWidth: 2, weights: [1, 2, 3, 4])
    let x = Tensor(rows: [[1, 10]])
    #expect(try transposedConvolution(x, bank, .init(stride: 1)).rows() == [[1, 12, 20], [3, 34, 40]])
    #expect(try transposedConvolution(x, bank, .init(stride: 2)).rows() == [[1, 2, 10, 20], [3, 4, 30, 40]])
  }

  /// ⟨conv(x), y⟩ = ⟨x, convT(y)⟩ with the same weights: the transposed convolution is the adjoint.
  @Test func adjointOfTheConvolutionLayer() throws {
    var rng = SplitMix64(seed: 99)
    for trial in 0 ..< 40 {
      let groups = rng.int(1 ... 2)
      let c = groups * rng.int(1 ... 3), n = groups * rng.int(1 ... 3)
      let kh = rng.int(1 ... 4), kw = rng.int(1 ... 4)
      let s = rng.int(1 ... 3), p = rng.int(0 ... 1), d = rng.int(1 ... 2)
      let h = rng.int(6 ... 12), w = rng.int(6 ... 12)
      let forward = LayerGeometry(stride: (s, s), padding: .uniform(p), dilation: (d, d), groups: groups, rounding: .floor)
      let bank = try FilterBank(
        outChannels: n, inChannelsPerGroup: c / groups, kernelHeight: kh, kernelWidth: kw,
        weights: rng.floats(n * (c / groups) * kh * kw))
      let x = Tensor(channels: c, height: h, width: w, data: rng.floats(c * h * w))
      let cx = try convolutionLayer(x, bank, forward)
      let y = Tensor(channels: n, height: cx.height, width: cx.width, data: rng.floats(cx.count))
      // Output padding restores the rows/columns the floor rule dropped.
      let (spanY, spanX) = (h + 2 * p - d * (kh - 1) - 1, w + 2 * p - d * (kw - 1) - 1)
      var back = TransposedGeometry(stride: s, padding: p, dilation: d, groups: groups)
      (back.outputPaddingY, back.outputPaddingX) = (spanY % s, spanX % s)
      let ty = try transposedConvolution(y, bank, back)
      #expect([ty.channels, ty.height, ty.width] == [c, h, w], "trial \(trial)")
      let lhs = dot(cx.data, y.data), rhs = dot(x.data, ty.data)
      #expect(abs(lhs - rhs) <= 1e-4 * max(1, abs(lhs)), "trial \(trial): \(lhs) vs \(rhs)")
    }
  }

  /// The lecture's zero-insertion view: put s-1 zeros between samples, pad by d(k-1)-p (plus output padding
  /// after), and correlate with the flipped kernel, input and output channels swapped.
  @Test func equalsZeroInsertionThenConvolution() throws {
    var rng = SplitMix64(seed: 5)
    var checked = 0
    for trial in 0 ..< 30 {
      let cin = rng.int(1 ... 3), cout = rng.int(1 ... 3)
      let k = rng.int(2 ... 4), s = rng.int(1 ... 3), d = rng.int(1 ... 2)
      let p = rng.int(0 ... d * (k - 1)), op = rng.int(0 ... max(s, d) - 1)
      let h = rng.int(2 ... 6), w = rng.int(2 ... 6)
      let bank = try FilterBank(
        outChannels: cin, inChannelsPerGroup: cout, kernelHeight: k, kernelWidth: k, weights: rng.floats(cin * cout * k * k),
        bias: rng.floats(cout))
      let x = Tensor(channels: cin, height: h, width: w, data: rng.floats(cin * h * w))
      guard let y = try? transposedConvolution(x, bank, .init(stride: s, padding: p, outputPadding: op, dilation: d))
      else { continue }

      var zeroInserted = Tensor(channels: cin, height: s * (h - 1) + 1, width: s * (w - 1) + 1)
      for c in 0 ..< cin { for i in 0 ..< h { for j in 0 ..< w { zeroInserted[c, i * s, j * s] = x[c, i, j] } } }
      var flipped = [Float](repeating: 0, count: cin * cout * k * k)
      for ci in 0 ..< cin {
        for co in 0 ..< cout {
          for i in 0 ..< k {
            for j in 0 ..< k {
              flipped[((co * cin + ci) * k + i) * k + j] = bank.weights[((ci * cout + co) * k + (k - 1 - i)) * k + (k - 1 - j)]
            }
          }
        }
      }
      let e = d * (k - 1) - p
      let conv = try FilterBank(
        outChannels: cout, inChannelsPerGroup: cin, kernelHeight: k, kernelWidth: k, weights: flipped, bias: bank.bias)
      let reference = try convolutionLayer(
        zeroInserted, conv,
        LayerGeometry(stride: (1, 1), padding: .explicit(Padding(top: e, bottom: e + op, left: e, right: e + op)),
          dilation: (d, d), groups: 1, rounding: .strict))
      #expect([y.channels, y.height, y.width] == [reference.channels, reference.height, reference.width], "trial \(trial)")
      #expect(maxRelativeDifference(y.data, reference.data) < 1e-4, "trial \(trial)")
      checked += 1
    }
    #expect(checked >= 20)
  }

  struct TransposedCase: Decodable {
    let input: FixtureArray, weights: FixtureArray, bias: [Float]
    let stride: Int, padding: Int, outputPadding: Int, dilation: Int, groups: Int
    let expected: FixtureArray
  }

  @Test func matchesNumPyScatterFixtures() throws {
    let cases = try loadFixture("cnn_transposed.json", as: [TransposedCase].self)
    #expect(cases.count == 3)
    for (i, c) in cases.enumerated() {
      let s = c.weights.shape
      let bank = try FilterBank(
        outChannels: s[0], inChannelsPerGroup: s[1], kernelHeight: s[2], kernelWidth: s[3], weights: c.weights.data,
        bias: c.bias)
      let y = try transposedConvolution(
        c.input.tensor, bank,
        .init(stride: c.stride, padding: c.padding, outputPadding: c.outputPadding, dilation: c.dilation, groups: c.groups))
      #expect([y.channels, y.height, y.width] == c.expected.shape, "case \(i)")
      #expect(maxRelativeDifference(y.data, c.expected.data) < 1e-4, "case \(i)")
    }
  }
}
