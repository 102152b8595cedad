import ConvolveTestSupport
import ConvolveCore
import Testing
import ConvolveCNN
@testable import ConvolveLecture

@Suite struct ShapeCalculatorTests {
  /// `pool:max:3x2` strides 3 down and 2 across, as `Pooling` (and `convolve pool --size 3,2`) does: 4x6, not 4x4.
  @Test func rectangularPoolMatchesThePoolItself() throws {
    let l = lines(try shapeReport(input: (12, 12, 1), stages: ["pool:max:3x2"]))
    #expect(l.last(where: { $0.hasPrefix("Output:") }) == "Output: 4x6x1")
    let pooled = try Pooling(.max, kernelHeight: 3, kernelWidth: 2, strideY: 3, strideX: 2)
      .apply(to: Tensor(channels: 1, height: 12, width: 12))
    #expect((pooled.height, pooled.width) == (4, 6))
  }

  /// On random stages, the size `shape` prints is the size the layers produce.
  @Test func sizesAgreeWithTheExecutorsOnRandomStages() throws {
    var rng = SplitMix64(seed: 21)
    for _ in 0 ..< 200 {
      let (h, w) = (rng.int(6 ... 30), rng.int(6 ... 30))
      let (kh, kw, s, d) = (rng.int(1 ... 4), rng.int(1 ... 4), rng.int(1 ... 3), rng.int(1 ... 2))
      let x = Tensor(channels: 1, height: h, width: w)
      let spec: String
      let actual: Tensor
      switch rng.int(0 ... 2) {
      case 0:
        let p = rng.int(0 ... 2)
        spec = "conv:1:\(kh)x\(kw):s=\(s):p=\(p):d=\(d)"
        let bank = try FilterBank(
          outChannels: 1, inChannelsPerGroup: 1, kernelHeight: kh, kernelWidth: kw, weights: [Float](repeating: 1, count: kh * kw))
        actual = try convolutionLayer(x, bank, LayerGeometry(stride: (s, s), padding: .uniform(p), dilation: (d, d), groups: 1, floor: true))
      case 1:
        spec = "pool:avg:\(kh)x\(kw)"
        actual = try Pooling(.average, kernelHeight: kh, kernelWidth: kw, strideY: kh, strideX: kw, rounding: .floor).apply(to: x)
      default:
        let p = rng.int(0 ... 1)
        spec = "convT:1:\(kh)x\(kw):s=\(s):p=\(p)"
        let bank = try FilterBank(
          outChannels: 1, inChannelsPerGroup: 1, kernelHeight: kh, kernelWidth: kw, weights: [Float](repeating: 1, count: kh * kw))
        guard let y = try? transposedConvolution(x, bank, TransposedGeometry(stride: s, padding: p)) else { continue }
        actual = y
      }
      let l = lines(try shapeReport(input: (h, w, 1), stages: [spec], floor: true))
      #expect(l.last(where: { $0.hasPrefix("Output:") }) == "Output: \(actual.height)x\(actual.width)x1", "\(h)x\(w) \(spec)")
    }
  }

  @Test func sixFiveByFiveFiltersGiveTwentyEightByTwentyEightBySix() throws {
    let l = lines(try shapeReport(input: (32, 32, 3), stages: ["conv:6:5"]))
    #expect(l.contains("   H, W: (N + 2P - F)/S + 1 = (32 - 5)/1 + 1 = 28"))
    #expect(l.contains("   output: 28x28x6"))
    #expect(l.contains("Output: 28x28x6"))
  }

  @Test func tenFiltersPadTwoKeepThirtyTwoAndHave760Parameters() throws {
    let l = lines(try shapeReport(input: (32, 32, 3), stages: ["conv:10:5:s=1:p=2"]))
    #expect(l.contains("   H, W: (N + 2P - F)/S + 1 = (32 + 2*2 - 5)/1 + 1 = 32"))
    #expect(l.contains("   output: 32x32x10"))
    #expect(l.contains("   parameters: 5*5*3*10 + 10 = 760 (each filter 5*5*3 + 1 = 76, 76*10 = 760)"))
    #expect(l.last == "Total parameters: 760")
  }

  @Test func strideTableOfTheLecture() throws {
    let one = lines(try shapeReport(input: (7, 7, 1), stages: ["conv:1:3"]))
    #expect(one.contains("   H, W: (N + 2P - F)/S + 1 = (7 - 3)/1 + 1 = 5"))
    #expect(one.contains("Output: 5x5x1"))
    let two = lines(try shapeReport(input: (7, 7, 1), stages: ["conv:1:3:s=2"]))
    #expect(two.contains("   H, W: (N + 2P - F)/S + 1 = (7 - 3)/2 + 1 = 3"))
    #expect(two.contains("Output: 3x3x1"))
    let error = #expect(throws: ConvolveError.self) { try shapeReport(input: (7, 7, 1), stages: ["conv:1:3:s=3"]) }
    #expect(error == .shapeMismatch(
      "stage 1 conv:1:3:s=3: (N + 2P - F)/S + 1 = (7 - 3)/3 + 1 = 2.33 doesn't fit: cannot apply a 3x3 filter on a "
        + "7x7 input with stride 3; pad 1 on each side: (7 + 2*1 - 3)/3 + 1 = 3 (or use floor rounding to get 2)"))
    #expect(try shapeReport(input: (7, 7, 1), stages: ["conv:1:3:s=3:p=1"]).contains("Output: 3x3x1"))
  }

  @Test func floorReportsTheMisfitAndContinues() throws {
    let l = lines(try shapeReport(input: (7, 7, 1), stages: ["conv:1:3:s=3", "upsample:2"], floor: true))
    #expect(l.contains(
      "   H, W: (N + 2P - F)/S + 1 = (7 - 3)/3 + 1 = 2.33 doesn't fit; floor drops the last 1 input sample: 2"
        + "   [pad 1 on each side: (7 + 2*1 - 3)/3 + 1 = 3]"))
    #expect(l.contains("   H, W: N*F = 2*2 = 4"))
    #expect(l.contains("Output: 4x4x1"))
  }

  @Test func poolingTransposedConvolutionAndTotals() throws {
    let text = try shapeReport(
      input: (32, 32, 3), stages: ["conv:6:5", "pool:max:2", "conv:16:3x5:p=same", "convT:8:3:s=2:p=1:op=1"])
    let l = lines(text)
    #expect(l.contains("   H, W: (N + 2P - F)/S + 1 = (28 - 2)/2 + 1 = 14"))
    #expect(l.contains("   output: 14x14x6"))
    #expect(l.contains("   H: (N + 2P - F)/S + 1 = (14 + 2*1 - 3)/1 + 1 = 14"))
    #expect(l.contains("   W: (N + 2P - F)/S + 1 = (14 + 2*2 - 5)/1 + 1 = 14"))
    #expect(l.contains("   parameters: 3*5*6*16 + 16 = 1456 (each filter 3*5*6 + 1 = 91, 91*16 = 1456)"))
    #expect(l.contains("   H, W: S(N-1) + D(K-1) + 1 - 2P + OP = 2*(14-1) + 1*(3-1) + 1 - 2*1 + 1 = 28"))
    #expect(l.contains("   parameters: 3*3*16*8 + 8 = 1160 (each filter 3*3*16 + 1 = 145, 145*8 = 1160)"))
    #expect(l.suffix(2) == ["Output: 28x28x8", "Total parameters: \(456 + 1456 + 1160)"])
  }

  @Test func evenStrideSuggestsAsymmetricPadding() {
    let error = #expect(throws: ConvolveError.self) { try shapeReport(input: (8, 7, 2), stages: ["pool:avg:2"]) }
    #expect(error?.description.contains("(7 - 2)/2 + 1 = 3.5 doesn't fit") == true)
    #expect(error?.description.contains("along the width") == true)
    #expect(error?.description.contains("pad 0 before and 1 after: (7 + 0 + 1 - 2)/2 + 1 = 4") == true)
  }

  @Test func parseErrorsNameTheSpecAndTheGrammar() {
    func message(_ spec: String) -> String {
      do {
        _ = try shapeReport(input: (7, 7, 1), stages: [spec])
        return "no error"
      } catch { return "\(error)" }
    }
    #expect(message("conv:6") == "stage 'conv:6': conv needs a filter count N and a kernel size K; expected conv:N:K[xK2][:s=S][:p=P|same][:d=D]")
    #expect(message("conv:6:5:q=1") == "stage 'conv:6:5:q=1': option 'q=1' is not one of s=, p=, d=; expected conv:N:K[xK2][:s=S][:p=P|same][:d=D]")
    #expect(message("pool:mean:2") == "stage 'pool:mean:2': pooling 'mean' is not max, avg or min; expected pool:max|avg|min:K[xK2][:s=S]")
    #expect(message("upsample:0") == "stage 'upsample:0': factor '0' is not a whole number >= 1; expected upsample:F")
    #expect(message("dense:10").hasPrefix("stage 'dense:10': unknown stage 'dense'; allowed: conv:N:K"))
    #expect(message("convT:2:3:op=2").contains("output padding 2 must be smaller than the stride or the dilation"))
    #expect(message("conv:1:9").contains("larger than the padded input 7"))
  }
}
