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
        actual = try convolutionLayer(x, bank, LayerGeometry(stride: (s, s), padding: .uniform(p), dilation: (d, d), groups: 1, rounding: .floor))
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
      let l = lines(try shapeReport(input: (h, w, 1), stages: [spec]))
      #expect(l.last(where: { $0.hasPrefix("Output:") }) == "Output: \(actual.height)x\(actual.width)x1", "\(h)x\(w) \(spec)")
    }
  }

  /// AlexNet's first layers see 11, 19 and 51 pixels (the lecture's receptive-field formulas, numbers filled in).
  @Test func receptiveFieldsGrowAsTheLectureSays() throws {
    let l = lines(try shapeReport(input: ShapeInput(height: 227, width: 227, channels: 3), stages: [
      "conv:96:11:s=4", "relu", "pool:max:3:s=2", "conv:256:5:p=2:g=2", "flatten",
    ]))
    let fields = l.filter { $0.hasPrefix("   receptive field") }
    #expect(fields == [
      "   receptive field: rf = r + (K-1)*D*j = 1 + 10*1*1 = 11, jump = j*S = 1*4 = 4",
      "   receptive field: rf = r + (K-1)*D*j = 11 + 2*1*4 = 19, jump = j*S = 4*2 = 8",
      "   receptive field: rf = r + (K-1)*D*j = 19 + 4*1*8 = 51, jump = j*S = 8*1 = 8",
      "   receptive field: the whole input",
    ])
    #expect(l.contains("   start = start + (D(K-1)/2 - P)*j = 5 + (1 - 0)*4 = 9"))
    let up = lines(try shapeReport(input: (8, 8, 1), stages: ["conv:1:3:s=2", "upsample:2"]))
    #expect(up.contains("   receptive field: rf = r + j = 3 + 2 = 5 (nearest: one of F neighbours), jump = j/F = 2/2 = 1"))
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
    let error = #expect(throws: ConvolveError.self) {
      try shapeReport(input: (7, 7, 1), stages: ["conv:1:3:s=3"], rounding: .strict)
    }
    #expect(error == .shapeMismatch(
      "stage 1 conv:1:3:s=3: (N + 2P - F)/S + 1 = (7 - 3)/3 + 1 = 2.33 doesn't fit: cannot apply a 3x3 filter on a "
        + "7x7 input with stride 3; pad 1 on each side: (7 + 2*1 - 3)/3 + 1 = 3 (or round down, as PyTorch, to get 2)"))
    #expect(try shapeReport(input: (7, 7, 1), stages: ["conv:1:3:s=3:p=1"]).contains("Output: 3x3x1"))
  }

  /// The default: the lecture's 2.33 explanation as a note, then the floored size, as PyTorch.
  @Test func floorReportsTheMisfitAsANoteAndContinues() throws {
    let l = lines(try shapeReport(input: (7, 7, 1), stages: ["conv:1:3:s=3", "upsample:2"]))
    #expect(l.contains("   H, W: (N + 2P - F)/S + 1 = (7 - 3)/3 + 1 = 2.33, rounded down: 2"))
    #expect(l.contains(
      "   note: 2.33 doesn't fit: cannot apply a 3x3 filter on a 7x7 input with stride 3; rounding down (as PyTorch) "
        + "leaves the last row and column unused; pad 1 on each side: (7 + 2*1 - 3)/3 + 1 = 3"))
    #expect(l.contains("   H, W: N*F = 2*2 = 4"))
    #expect(l.contains("Output: 4x4x1"))
    // Different along the two axes: one note per axis, naming it.
    let wide = lines(try shapeReport(input: (8, 9, 2), stages: ["pool:avg:2"]))
    #expect(wide.contains("   H: (N + 2P - F)/S + 1 = (8 - 2)/2 + 1 = 4"))
    #expect(wide.contains("   W: (N + 2P - F)/S + 1 = (9 - 2)/2 + 1 = 4.5, rounded down: 4"))
    #expect(wide.contains(
      "   note: 4.5 doesn't fit: cannot apply a 2x2 window on a 8x9 input with stride 2 along the width; rounding "
        + "down (as PyTorch) leaves the last column unused; pad 0 before and 1 after: (9 + 0 + 1 - 2)/2 + 1 = 5"))
    #expect(wide.last(where: { $0.hasPrefix("Output:") }) == "Output: 4x4x2")
  }

  /// `ceil` (PyTorch's ceil_mode) rounds pools up, per stage or for the whole report; convolutions still floor.
  @Test func ceilRoundsPoolsUp() throws {
    let l = lines(try shapeReport(input: (7, 7, 1), stages: ["pool:max:2:ceil"]))
    #expect(l.contains("1. pool:max:2:ceil  (max pooling 2x2, stride 2, ceil)"))
    #expect(l.contains("   H, W: (N + 2P - F)/S + 1 = (7 - 2)/2 + 1 = 3.5, rounded up: 4"))
    #expect(l.contains { $0.hasPrefix("   note: 3.5 doesn't fit") && $0.contains("rounding up (PyTorch's ceil_mode) adds a last, partial window") })
    #expect(l.last(where: { $0.hasPrefix("Output:") }) == "Output: 4x4x1")
    let both = lines(try shapeReport(input: (7, 7, 1), stages: ["conv:1:3:s=3", "pool:max:2"], rounding: .ceil))
    #expect(both.contains("   output: 2x2x1"))
    #expect(both.last(where: { $0.hasPrefix("Output:") }) == "Output: 1x1x1")
    let pooled = try Pooling(.max, kernel: 2, rounding: .ceil).apply(to: Tensor(channels: 1, height: 7, width: 7))
    #expect((pooled.height, pooled.width) == (4, 4))
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
    let error = #expect(throws: ConvolveError.self) {
      try shapeReport(input: (8, 7, 2), stages: ["pool:avg:2"], rounding: .strict)
    }
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
    #expect(message("conv:6") == "stage 'conv:6': conv needs a filter count N and a kernel size K; expected conv:N:K[xK2][:s=S][:p=P|same][:d=D][:g=G]")
    #expect(message("conv:6:5:q=1") == "stage 'conv:6:5:q=1': option 'q=1' is not one of s=, p=, d=, g=; expected conv:N:K[xK2][:s=S][:p=P|same][:d=D][:g=G]")
    #expect(message("pool:mean:2") == "stage 'pool:mean:2': pooling 'mean' is not max, avg or min; expected pool:max|avg|min:K[xK2][:s=S][:p=P][:ceil]")
    #expect(message("upsample:0") == "stage 'upsample:0': factor '0' is not a positive number; expected upsample:F")
    #expect(message("fc") == "stage 'fc': fc takes one output count N; expected fc:N")
    #expect(message("relu:2") == "activation 'relu' takes no argument, got 'relu:2'")
    #expect(message("conv:4:3:g=3") == "stage 1 conv:4:3:g=3: groups 3 must divide both the 1 input channels and the 4 output channels")
    #expect(message("conv:2:3:p=99999999999") .contains("padding '99999999999' is not a whole number from 0 to 2147483647"))
    #expect(message("dense:10").hasPrefix("stage 'dense:10': unknown stage 'dense'; allowed: conv:N:K"))
    #expect(message("convT:2:3:op=2").contains("output padding 2 must be smaller than the stride or the dilation"))
    // Found by Fuzz/run.sh parsers: an empty option ("::") trapped.
    #expect(message("conv:10:5x3::2s=p=same:)d=.\",1").contains("option '' is not one of s=, p=, d=, g="))
    #expect(message("conv:1:9") == "stage 1 conv:1:9: kernel height 9 is larger than the padded input height 7")
  }

  // MARK: The pipeline's language

  /// Three numbers are PyTorch's CxHxW when the first is at most 4 and the others are larger; else the
  /// lecture's HxWxC. Four are NxCxHxW.
  @Test func inputOrderRule() throws {
    func read(_ text: String, _ order: ShapeOrder? = nil) throws -> [Int] {
      let s = try ShapeInput(parsing: text, order: order)
      return [s.channels, s.height, s.width] + (s.batch.map { [$0] } ?? [])
    }
    #expect(try read("3x224x224") == [3, 224, 224])
    #expect(try read("224x224x3") == [3, 224, 224])
    #expect(try read("32x32x3") == [3, 32, 32])
    #expect(try read("1x28x28") == [1, 28, 28])
    #expect(try read("3x3x3") == [3, 3, 3])
    #expect(try read("4x5x6") == [4, 5, 6])
    #expect(try read("4x4x6") == [6, 4, 4])  // 4 is not larger than 4: the lecture's order
    #expect(try read("28x28") == [1, 28, 28])
    #expect(try read("1x3x224x224") == [3, 224, 224, 1])
    #expect(try read("[1, 3, 224, 224]") == [3, 224, 224, 1])
    #expect(try read("32x32x3", .chw) == [32, 32, 3])
    #expect(try read("3x224x224", .hwc) == [224, 3, 224])
    for bad in ["0x3x3", "3x", "axb", "1x2x3x4x5", "99999999999x2"] {
      #expect(throws: ConvolveError.self, "\(bad)") { try ShapeInput(parsing: bad) }
    }
    #expect(ShapeInput(height: 7, width: 9, channels: 3, order: .chw, batch: 2).text(7, 9, 3) == "2x3x7x9")
  }

  /// AlexNet as in the paper (227x227, two groups): every shape and the 60,965,224 parameters, in PyTorch's
  /// order; and torchvision's 224x224 conv1, which leaves samples over and rounds down as PyTorch does.
  @Test func alexNetInPyTorchOrder() throws {
    let stages = [
      "conv:96:11:s=4", "relu", "pool:max:3:s=2", "conv:256:5:p=2:g=2", "relu", "pool:max:3:s=2", "conv:384:3:p=1",
      "relu", "conv:384:3:p=1:g=2", "relu", "conv:256:3:p=1:g=2", "relu", "pool:max:3:s=2", "flatten", "fc:4096",
      "relu", "fc:4096", "relu", "fc:1000",
    ]
    let l = lines(try shapeReport(input: ShapeInput(parsing: "3x227x227"), stages: stages))
    #expect(l.first == "Input: 3x227x227 (C x H x W: 3 channels of 227x227)")
    let outputs = l.filter { $0.hasPrefix("   output: ") }.map { String($0.dropFirst(11)) }
    #expect(outputs == [
      "96x55x55", "96x55x55", "96x27x27", "256x27x27", "256x27x27", "256x13x13", "384x13x13", "384x13x13",
      "384x13x13", "384x13x13", "256x13x13", "256x13x13", "256x6x6", "9216x1x1", "4096x1x1", "4096x1x1", "4096x1x1",
      "4096x1x1", "1000x1x1",
    ])
    #expect(l.contains("4. conv:256:5:p=2:g=2  (256 filters 5x5x48, 2 groups, stride 1, pad 2)"))
    #expect(l.contains("   parameters: 5*5*48*256 + 256 = 307456"))
    #expect(l.contains("14. flatten  (flatten: C*H*W = 256*6*6 = 9216 values in one vector)"))
    #expect(l.contains("15. fc:4096  (fully connected: 9216 inputs to 4096 outputs)"))
    let direct = lines(try shapeReport(input: (6, 6, 256), stages: ["fc:4096"]))
    #expect(direct.contains("1. fc:4096  (fully connected: 256*6*6 = 9216 inputs to 4096 outputs)"))
    #expect(l.contains("   parameters: 9216*4096 + 4096 = 37752832 (each output 9216 weights + 1 bias)"))
    #expect(l.contains("2. relu  (activation relu, value by value: the shape does not change)"))
    #expect(l.last == "Total parameters: 60965224")

    let torchvision = lines(try shapeReport(input: ShapeInput(parsing: "1x3x224x224"), stages: ["conv:64:11:s=4:p=2"]))
    #expect(torchvision.contains("   H, W: (N + 2P - F)/S + 1 = (224 + 2*2 - 11)/4 + 1 = 55.25, rounded down: 55"))
    #expect(torchvision.contains { $0.hasPrefix("   note: 55.25 doesn't fit") && $0.contains("leaves only padding unused") })
    #expect(torchvision.contains("Output: 1x64x55x55"))
  }

  @Test func activationsGlobalPoolingUpsamplingAndTransposedGroups() throws {
    let l = lines(try shapeReport(
      input: (10, 10, 8),
      stages: ["maxout:2", "leaky-relu:0.1", "activation:sigmoid", "upsample:1.5", "convT:6:3:s=2:g=2", "gap"]))
    #expect(l.contains("1. maxout:2  (maxout: the largest of each 2 channels, C/2 = 8/2 = 4)"))
    #expect(l.contains("   output: 10x10x4"))
    #expect(l.contains("   H, W: floor(N*F) = floor(10*1.5) = 15"))
    #expect(l.contains("   H, W: S(N-1) + D(K-1) + 1 - 2P + OP = 2*(15-1) + 1*(3-1) + 1 - 2*0 + 0 = 31"))
    #expect(l.contains("   parameters: 3*3*4*3 + 6 = 114"))
    #expect(l.contains("6. gap  (global average pooling: the mean of each 31x31 map)"))
    #expect(l.suffix(2) == ["Output: 1x1x6", "Total parameters: 114"])
    #expect(thrownMessage { try shapeReport(input: (4, 4, 3), stages: ["maxout:2"]) }
      == "stage 1 maxout:2: maxout groups of 2 do not divide the 3 input channels")
  }

  /// Sizes no Int holds are errors with the size, never a trap.
  @Test func hugeSizesAreErrorsNotTraps() throws {
    let m = thrownMessage {
      try shapeReport(input: (2_000_000_000, 2_000_000_000, 2_000_000_000), stages: ["fc:2000000000"])
    }
    #expect(m?.contains("too large") == true, "\(m ?? "no error")")
    let up = thrownMessage {
      try shapeReport(input: (2_000_000_000, 2_000_000_000, 1), stages: ["upsample:2000000000", "upsample:2000000000"])
    }
    #expect(up?.contains("too large") == true, "\(up ?? "no error")")
  }

  /// `shape` and a pipeline built from the same stages give the same shape after every stage: both go through
  /// the layers' geometry (random stacks of every stage kind).
  @Test func shapesAgreeWithThePipelineGraph() throws {
    var rng = SplitMix64(seed: 14)
    for _ in 0 ..< 60 {
      var (c, specs, stages) = (rng.int(1 ... 4), [String](), [Pipeline.Stage]())
      let (h, w) = (rng.int(9 ... 24), rng.int(9 ... 24))
      let inputChannels = c
      var (mh, mw) = (h, w)
      for _ in 0 ..< rng.int(1 ... 4) {
        guard mh >= 4 && mw >= 4 else { break }
        switch rng.int(0 ... 6) {
        case 0:
          let g = [1, c].randomElement(using: &rng)!
          let n = g * rng.int(1 ... 3), k = rng.int(1 ... 3), s = rng.int(1 ... 3), p = rng.int(0 ... 1)
          specs.append("conv:\(n):\(k):s=\(s):p=\(p):g=\(g)")
          let bank = try FilterBank(
            outChannels: n, inChannelsPerGroup: c / g, kernelHeight: k, kernelWidth: k,
            weights: [Float](repeating: 0.1, count: n * (c / g) * k * k), bias: [Float](repeating: 0, count: n))
          stages.append(.init(name: "c", operation: .conv(bank, LayerGeometry(stride: s, padding: .uniform(p), groups: g))))
          c = n
        case 1:
          let k = rng.int(2 ... 3), s = rng.int(1 ... 3), p = rng.int(0 ... k / 2), ceil = rng.int(0 ... 1) == 1
          specs.append("pool:max:\(k):s=\(s):p=\(p)" + (ceil ? ":ceil" : ""))
          stages.append(.init(name: "p", operation: .pool(Pooling(.max, kernel: k, stride: s, padding: p, rounding: ceil ? .ceil : .floor))))
        case 2:
          let f = [1.5, 2, 0.5].randomElement(using: &rng)!
          specs.append("upsample:\(f)")
          stages.append(.init(name: "u", operation: .upsample(scale: f, method: .nearest)))
        case 3:
          let n = rng.int(1 ... 3), k = rng.int(1 ... 3), s = rng.int(1 ... 2)
          specs.append("convT:\(n):\(k):s=\(s)")
          let bank = try FilterBank(
            outChannels: c, inChannelsPerGroup: n, kernelHeight: k, kernelWidth: k,
            weights: [Float](repeating: 0.1, count: c * n * k * k))
          stages.append(.init(name: "t", operation: .transposedConv(bank, TransposedGeometry(stride: s))))
          c = n
        case 4:
          specs.append("relu")
          stages.append(.init(name: "r", operation: .activation(.relu)))
        case 5 where c % 2 == 0:
          specs.append("maxout:2")
          stages.append(.init(name: "m", operation: .activation(.maxout(groupSize: 2))))
          c /= 2
        default:
          specs.append("gap")
          stages.append(.init(name: "g", operation: .globalAveragePool))
        }
        let shape = try Pipeline(name: "p", stages: stages).graph(inputChannels: inputChannels, height: h, width: w)
          .stageShapes.last!
        (mh, mw) = (shape[1], shape[2])
      }
      guard !stages.isEmpty else { continue }
      let graph = try Pipeline(name: "p", stages: stages).graph(inputChannels: inputChannels, height: h, width: w)
      let l = lines(try shapeReport(input: ShapeInput(height: h, width: w, channels: inputChannels, order: .chw), stages: specs))
      let outputs = l.filter { $0.hasPrefix("   output: ") }.map { String($0.dropFirst(11)) }
      #expect(outputs == graph.stageShapes.map { $0.map(String.init).joined(separator: "x") }, "\(h)x\(w) \(specs)")
    }
  }
}
