import ConvolveCore
import Foundation
import Testing
@testable import ConvolveCNN

/// The C convolution kernels (`ConvKernelPlan`) on every SIMD level this CPU runs, against the naive layer on
/// random shapes, strides, dilations, paddings, with and without bias and fused stages.
@Suite struct ConvKernelTests {
  enum Kind: CaseIterable { case pointwise, general, winograd, depthwise }

  func check(_ kind: Kind, level: Int, seed: UInt64, cases: Int) throws {
    var rng = GraphRandom(seed: seed)
    func r(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng.base) }
    for _ in 0 ..< cases {
      let c: Int, m: Int, kh: Int, kw: Int, groups: Int
      var stride = (1, 1), dilation = (1, 1), pad = Padding.zero
      switch kind {
      case .pointwise:
        (c, m, kh, kw, groups) = (r(1 ... 40), r(1 ... 30), 1, 1, 1)
      case .general:
        (c, m, kh, kw, groups) = (r(1 ... 9), r(1 ... 30), r(1 ... 5), r(1 ... 5), 1)
        stride = (r(1 ... 3), r(1 ... 3))
        dilation = (r(1 ... 2), r(1 ... 2))
        pad = Padding(top: r(0 ... 2), bottom: r(0 ... 2), left: r(0 ... 2), right: r(0 ... 2))
      case .winograd:
        (c, m, kh, kw, groups) = (r(1 ... 20), r(1 ... 30), 3, 3, 1)
        pad = Padding(top: r(0 ... 2), bottom: r(0 ... 2), left: r(0 ... 2), right: r(0 ... 2))
      case .depthwise:
        c = r(2 ... 20)
        (m, kh, kw, groups) = (c, r(1 ... 5), r(1 ... 5), c)
        stride = (r(1 ... 2), r(1 ... 2))
        dilation = (r(1 ... 2), r(1 ... 2))
        pad = Padding(top: r(0 ... 2), bottom: r(0 ... 2), left: r(0 ... 2), right: r(0 ... 2))
      }
      let h = r(Swift.max(1, (kh - 1) * dilation.0 + 1 - pad.top - pad.bottom) ... 37)
      let w = r(Swift.max(1, (kw - 1) * dilation.1 + 1 - pad.left - pad.right) ... 70)
      let weights = rng.floats(m * (c / groups) * kh * kw)
      let bias = r(0 ... 2) == 0 ? [] : rng.floats(m)
      let bank = try FilterBank(
        outChannels: m, inChannelsPerGroup: c / groups, kernelHeight: kh, kernelWidth: kw, weights: weights, bias: bias)
      let geometry = LayerGeometry(
        stride: stride, padding: .explicit(pad), dilation: dilation, groups: groups, rounding: .floor)
      let x = Tensor(channels: c, height: h, width: w, data: rng.floats(c * h * w, -2 ... 2))
      let stagePool: [ElementwiseStage] = [
        .activation(.relu), .hardSwish, .hardSigmoid(alpha: 0.2, beta: 0.5), .clip(-0.5, 0.75), .mul(1.5), .add(-0.25),
        .div(3), .activation(.leakyReLU(slope: 0.1)), .activation(.sigmoid), .reverseSub(1),
      ]
      let stages = (0 ..< r(0 ... 3)).map { _ in stagePool[r(0 ... stagePool.count - 1)] }
      let plan = try #require(
        ConvKernelPlan(
          channels: c, height: h, width: w, weights: weights, bias: bias, filters: m, kh: kh, kw: kw,
          geometry: geometry, level: level, winograd: kind == .winograd, bandFloats: r(0 ... 1) == 0 ? 0 : r(1 ... 4000),
          copyTiles: r(0 ... 3) == 0 ? nil : r(0 ... 4)
        ).map { $0.fusing(stages) })
      #expect((plan.path == .winograd) == (kind == .winograd && plan.outH >= 2 && plan.outW >= 2))
      var expected = try naiveLayer(x, bank, geometry)
      expected.data.withUnsafeMutableBufferPointer { p in for s in stages { s.apply(p.baseAddress!, p.count) } }
      var got = [Float](repeating: .nan, count: plan.outputCount)
      x.data.withUnsafeBufferPointer { src in
        got.withUnsafeMutableBufferPointer { dst in plan.run(src.baseAddress!, dst.baseAddress!) }
      }
      let what =
        "\(kind) level \(level) c\(c) m\(m) \(h)x\(w) k\(kh)x\(kw) s\(stride) d\(dilation) \(pad) stages \(stages) "
        + "bands of \(plan.bandHeight), tiles copied \(plan.copyTiles)"
      #expect(got.count == expected.data.count, "\(what)")
      let scale = Swift.max(1, expected.data.map(abs).max() ?? 0)
      let error = largestDifference(got, expected.data)
      #expect(error <= 1e-4 * scale, "\(what): error \(error)")
      #expect(zip(got, expected.data).allSatisfy { $0.isNaN == $1.isNaN }, "\(what): an output left unwritten")
    }
  }

  @Test(arguments: Kind.allCases) func everyLevelMatchesTheNaiveLayer(_ kind: Kind) throws {
    for level in 0 ... bestConvolutionKernelLevel {
      try check(kind, level: level, seed: 70 + UInt64(level), cases: 60)
    }
  }

  @Test func transposedKernelEqualsStrideMatchesTheGeneralPath() throws {
    var rng = GraphRandom(seed: 80)
    func r(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng.base) }
    for _ in 0 ..< 40 {
      let (c, m, kh, kw, h, w) = (r(1 ... 30), r(1 ... 14), r(1 ... 3), r(1 ... 3), r(1 ... 23), r(1 ... 41))
      let weights = rng.floats(c * m * kh * kw)
      let bias = r(0 ... 1) == 0 ? [] : rng.floats(m)
      let bank = try FilterBank(outChannels: c, inChannelsPerGroup: m, kernelHeight: kh, kernelWidth: kw, weights: weights, bias: bias)
      let x = Tensor(channels: c, height: h, width: w, data: rng.floats(c * h * w))
      var geometry = TransposedGeometry()
      (geometry.strideY, geometry.strideX) = (kh, kw)
      let stages: [ElementwiseStage] = r(0 ... 1) == 0 ? [] : [.activation(.relu), .activation(.sigmoid)]
      var expected = try transposedConvolution(x, bank, geometry)
      expected.data.withUnsafeMutableBufferPointer { p in for s in stages { s.apply(p.baseAddress!, p.count) } }
      let plan = try #require(
        ConvTransposeKernelPlan(channels: c, height: h, width: w, weights: weights, bias: bias, outChannels: m, kh: kh, kw: kw))
        .fusing(stages)
      var got = [Float](repeating: .nan, count: plan.outputCount)
      x.data.withUnsafeBufferPointer { src in
        got.withUnsafeMutableBufferPointer { dst in plan.run(src.baseAddress!, dst.baseAddress!) }
      }
      #expect(got.count == expected.data.count)
      #expect(largestDifference(got, expected.data) <= 1e-4, "c\(c) m\(m) k\(kh)x\(kw) \(h)x\(w)")
      #expect(!got.contains { $0.isNaN })
    }
  }

  @Test func sigmoidIsOneFunctionOnEveryLevelAndCloseToExact() throws {
    var rng = GraphRandom(seed: 81)
    var xs = rng.floats(5000, -30 ... 30) + rng.floats(500, -120 ... 120)
    xs += [0, -0.0, 1, -1, 87, -87, 88.5, -88.5, 200, -200, .infinity, -.infinity, .nan, 1e-30, -1e-30]
    for level in 0 ... bestConvolutionKernelLevel {
      var v = xs
      v.withUnsafeMutableBufferPointer { sigmoidValues(level: level, $0.baseAddress!, $0.count) }
      for (x, y) in zip(xs, v) {
        let scalar = Activation.sigmoid(x)
        #expect(y.bitPattern == scalar.bitPattern || (y.isNaN && scalar.isNaN), "level \(level) x \(x): \(y) vs \(scalar)")
        if x.isNaN { continue }
        let exact = 1 / (1 + Foundation.exp(-Double(x)))
        #expect(abs(Double(y) - exact) <= 3e-7 * exact + 1e-37, "x \(x): \(y) vs \(exact)")
      }
    }
    #expect(Activation.sigmoid(0) == 0.5 && Activation.sigmoid(-200) == 0 && Activation.sigmoid(200) == 1)
  }
}
