import ConvolveTestSupport
import Testing
import ConvolveCore
@testable import ConvolveCNN

@Suite struct LayerTests {
  let red = LectureRGB.red, green = LectureRGB.green, blue = LectureRGB.blue
  let w0 = LectureRGB.kernels[0], w1 = LectureRGB.kernels[1], w2 = LectureRGB.kernels[2]

  @Test func lectureRGBExample() throws {
    let x = Tensor(planes: [red, green, blue])
    let weights = [w0, w1, w2].flatMap { $0.flatMap { $0 } }
    let bank = try FilterBank(
      outChannels: 1, inChannelsPerGroup: 3, kernelHeight: 3, kernelWidth: 3, weights: weights, bias: [1])
    let y = try convolutionLayer(x, bank, LayerGeometry(padding: .uniform(1)))
    #expect(y.channels == 1 && y.height == 5 && y.width == 5)
    #expect(y[0, 0, 0] == -25)
    #expect(y.data == (try naiveLayer(x, bank, LayerGeometry(padding: .uniform(1)))).data)

    // Each kernel channel on its own input channel: a depthwise layer without bias gives the slide's sums.
    let perChannel = try FilterBank(
      outChannels: 3, inChannelsPerGroup: 1, kernelHeight: 3, kernelWidth: 3, weights: weights)
    let sums = try convolutionLayer(x, perChannel, LayerGeometry(padding: .uniform(1), groups: 3))
    #expect(sums[0, 0, 0] == 308)
    #expect(sums[1, 0, 0] == -498)
    #expect(sums[2, 0, 0] == 164)
    #expect(sums[0, 0, 0] + sums[1, 0, 0] + sums[2, 0, 0] + 1 == -25)
    // Cross-correlation: the kernel is not flipped (a flipped W0 would give another value).
    #expect(try correlate(Tensor(rows: red), with: Kernel(rows: w0), options: .init(padding: Padding(1)))[0, 0, 0] == 308)
  }

  @Test func lectureShapeRules() throws {
    func bank(_ n: Int, _ c: Int, _ k: Int) throws -> FilterBank {
      try FilterBank(
        outChannels: n, inChannelsPerGroup: c, kernelHeight: k, kernelWidth: k,
        weights: [Float](repeating: 0.01, count: n * c * k * k), bias: [Float](repeating: 0, count: n))
    }
    let image = Tensor(channels: 3, height: 32, width: 32, repeating: 1)
    let six = try convolutionLayer(image, bank(6, 3, 5))
    #expect([six.height, six.width, six.channels] == [28, 28, 6])
    let ten = try bank(10, 3, 5)
    let padded = try convolutionLayer(image, ten, LayerGeometry(stride: 1, padding: .uniform(2)))
    #expect([padded.height, padded.width, padded.channels] == [32, 32, 10])
    #expect(ten.parameterCount == 760)
    #expect(try convolutionLayer(image, ten, LayerGeometry(padding: .same)).height == 32)

    let seven = Tensor(channels: 1, height: 7, width: 7, repeating: 1)
    let three = try bank(1, 1, 3)
    #expect(try convolutionLayer(seven, three, LayerGeometry(stride: 1)).width == 5)
    #expect(try convolutionLayer(seven, three, LayerGeometry(stride: 2)).width == 3)
    let message = thrownMessage { try convolutionLayer(seven, three, LayerGeometry(stride: 3, rounding: .strict)) }
    #expect(message?.contains("2.33") == true, "\(message ?? "no error")")
    #expect(try convolutionLayer(seven, three, LayerGeometry(stride: 3)).width == 2)
    #expect(try LayerGeometry(stride: 3).unusedSamples(inputHeight: 7, inputWidth: 9, kernelHeight: 3, kernelWidth: 3) == (1, 0))
  }

  @Test func validationNamesTheValues() throws {
    let x = Tensor(channels: 4, height: 5, width: 5)
    let bank = try FilterBank(
      outChannels: 2, inChannelsPerGroup: 3, kernelHeight: 3, kernelWidth: 3, weights: [Float](repeating: 0, count: 54))
    let channels = thrownMessage { try convolutionLayer(x, bank) }
    #expect(channels?.contains("3 input channels per group") == true && channels?.contains("4 channels") == true)
    var twoGroups = bank
    twoGroups.inChannelsPerGroup = 2
    twoGroups.weights = [Float](repeating: 0, count: 36)
    let groups = thrownMessage { try convolutionLayer(x, twoGroups, LayerGeometry(groups: 3)) }
    #expect(groups?.contains("groups 3") == true && groups?.contains("2 output channels") == true)
    var biased = twoGroups
    biased.bias = [1, 2, 3]
    let bias = thrownMessage { try convolutionLayer(x, biased, LayerGeometry(groups: 2)) }
    #expect(bias?.contains("bias has 3 values") == true && bias?.contains("2 output channels") == true)
    let weights = thrownMessage {
      try FilterBank(outChannels: 2, inChannelsPerGroup: 3, kernelHeight: 3, kernelWidth: 3, weights: [1, 2])
    }
    #expect(weights?.contains("2 weights") == true && weights?.contains("54") == true)
    let same = thrownMessage { try convolutionLayer(x, twoGroups, LayerGeometry(stride: 2, padding: .same, groups: 2)) }
    #expect(same?.contains("stride 1") == true)
  }

  /// `same` pads `d(k-1)` with the odd sample at the bottom/right, as TensorFlow and PyTorch.
  @Test func samePaddingPutsTheExtraSampleAfter() throws {
    let geometry = LayerGeometry(padding: .same, dilation: 1)
    #expect(try geometry.resolvedPadding(kernelHeight: 4, kernelWidth: 2) == Padding(top: 1, bottom: 2, left: 0, right: 1))
    let ramp = Tensor(channels: 1, height: 1, width: 4, data: [1, 2, 3, 4])
    let pair = try FilterBank(outChannels: 1, inChannelsPerGroup: 1, kernelHeight: 1, kernelWidth: 2, weights: [1, 10])
    #expect(try convolutionLayer(ramp, pair, geometry).data == [21, 32, 43, 4])
  }

  @Test func matchesNaiveReferenceOnRandomGeometry() throws {
    var rng = SplitMix64(seed: 7)
    var checked = 0
    for trial in 0 ..< 60 {
      let groupsChoice = rng.int(0 ... 2)
      let base = rng.int(1 ... 3)
      let groups = groupsChoice == 0 ? 1 : (groupsChoice == 1 ? 2 : base * 2)
      let c = groupsChoice == 2 ? groups : groups * rng.int(1 ... 2)
      let n = groups * rng.int(1 ... 3)
      let kh = rng.int(1 ... 4), kw = rng.int(1 ... 4)
      let geometry = LayerGeometry(
        stride: (rng.int(1 ... 3), rng.int(1 ... 3)),
        padding: trial % 7 == 0
          ? .same
          : .explicit(Padding(top: rng.int(0 ... 2), bottom: rng.int(0 ... 2), left: rng.int(0 ... 2), right: rng.int(0 ... 2))),
        dilation: (rng.int(1 ... 2), rng.int(1 ... 2)), groups: groups, rounding: .floor)
      var g = geometry
      if g.padding == .same { (g.strideY, g.strideX) = (1, 1) }
      let (h, w) = (rng.int(7 ... 13), rng.int(7 ... 13))
      let x = Tensor(channels: c, height: h, width: w, data: rng.floats(c * h * w))
      let bank = try FilterBank(
        outChannels: n, inChannelsPerGroup: c / groups, kernelHeight: kh, kernelWidth: kw,
        weights: rng.floats(n * (c / groups) * kh * kw), bias: trial % 3 == 0 ? [] : rng.floats(n))
      let fast = try convolutionLayer(x, bank, g)
      let slow = try naiveLayer(x, bank, g)
      #expect(fast.channels == slow.channels && fast.height == slow.height && fast.width == slow.width)
      #expect(maxRelativeDifference(fast.data, slow.data) < 1e-4, "trial \(trial): \(c)->\(n) \(kh)x\(kw) \(String(describing: g))")
      checked += 1
    }
    #expect(checked == 60)
  }

  /// A wide input exercises the im2col banding (several SGEMM calls per group).
  @Test func bandedIm2colMatchesNaive() throws {
    var rng = SplitMix64(seed: 11)
    let x = Tensor(channels: 3, height: 200, width: 300, data: rng.floats(3 * 200 * 300))
    let bank = try FilterBank(
      outChannels: 8, inChannelsPerGroup: 3, kernelHeight: 3, kernelWidth: 3, weights: rng.floats(8 * 27),
      bias: rng.floats(8))
    let g = LayerGeometry(padding: .uniform(1))
    #expect(maxRelativeDifference(try convolutionLayer(x, bank, g).data, try naiveLayer(x, bank, g).data) < 1e-4)
  }

  struct ConvCase: Decodable {
    let input: FixtureArray, weights: FixtureArray, bias: [Float]
    let stride: [Int], padding: [Int], dilation: [Int], groups: Int
    let expected: FixtureArray
  }

  /// `scipy.signal.correlate` per channel, summed, plus bias (Tests/Fixtures/generate_cnn_fixtures.py).
  @Test func matchesSciPyFixtures() throws {
    let cases = try loadFixture("cnn_conv.json", as: [ConvCase].self)
    #expect(cases.count >= 5)
    for (i, c) in cases.enumerated() {
      let s = c.weights.shape
      let bank = try FilterBank(
        outChannels: s[0], inChannelsPerGroup: s[1], kernelHeight: s[2], kernelWidth: s[3], weights: c.weights.data,
        bias: c.bias)
      let p = c.padding
      let g = LayerGeometry(
        stride: (c.stride[0], c.stride[1]),
        padding: .explicit(Padding(top: p[0], bottom: p[1], left: p[2], right: p[3])),
        dilation: (c.dilation[0], c.dilation[1]), groups: c.groups, rounding: .strict)
      let y = try convolutionLayer(c.input.tensor, bank, g)
      #expect([y.channels, y.height, y.width] == c.expected.shape, "case \(i)")
      #expect(maxRelativeDifference(y.data, c.expected.data) < 1e-4, "case \(i)")
    }
  }

  @Test func flattenThenOneByOneIsAFullyConnectedLayer() throws {
    let x = Tensor(planes: [[[1, 2], [3, 4]], [[5, 6], [7, 8]]])
    let flat = x.flattened()
    #expect([flat.channels, flat.height, flat.width] == [8, 1, 1])
    #expect(flat.data == [1, 2, 3, 4, 5, 6, 7, 8])
    let dense = try FilterBank(
      outChannels: 2, inChannelsPerGroup: 8, kernelHeight: 1, kernelWidth: 1,
      weights: [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, -1], bias: [0, 0.5])
    #expect(try convolutionLayer(flat, dense).data == [36, -6.5])
  }
}
