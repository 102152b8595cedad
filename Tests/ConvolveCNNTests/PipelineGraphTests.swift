import ConvolveCore
import ConvolveTestSupport
import Testing

@testable import ConvolveCNN

/// Pipelines as graphs: every stage kind's output through `ExecutionPlan` + `Executor` equals the stage
/// operations composed by hand (the direct computation the pipeline used to run), and the stage rules and
/// messages stay.
@Suite struct PipelineGraphTests {
  typealias Op = Pipeline.Operation

  /// The stage operations applied one after the other, directly: the naive reference.
  static func direct(_ operations: [Op], _ input: Tensor) throws -> [Tensor] {
    var x = input
    var outputs: [Tensor] = []
    for operation in operations {
      switch operation {
      case .conv(let bank, let geometry): x = try convolutionLayer(x, bank, geometry)
      case .transposedConv(let bank, let geometry): x = try transposedConvolution(x, bank, geometry)
      case .activation(let activation): x = try activation.apply(to: x)
      case .pool(let pooling): x = try pooling.apply(to: x)
      case .globalAveragePool: x = globalAveragePool(x)
      case .upsample(let scale, let method): x = try upsample(x, scale: scale, method: method)
      case .flatten: x = x.flattened()
      }
      outputs.append(x)
    }
    return outputs
  }

  /// Runs `operations` as a pipeline and checks every stage's output (and the index and stage handed over)
  /// against the direct computation, bit for bit: both run the same kernels.
  static func check(_ operations: [Op], _ input: Tensor, _ label: String) throws {
    let stages = operations.enumerated().map { Pipeline.Stage(name: "s\($0.offset + 1)", operation: $0.element) }
    let pipeline = Pipeline(name: label, stages: stages)
    var seen: [(Int, String, Tensor)] = []
    try pipeline.run(input) { i, stage, output in seen.append((i, stage.name, output)) }
    let expected = try direct(operations, input)
    #expect(seen.map { $0.0 } == Array(stages.indices), "\(label)")
    #expect(seen.map { $0.1 } == stages.map(\.name), "\(label)")
    for (k, (got, want)) in zip(seen.map { $0.2 }, expected).enumerated() {
      #expect(
        [got.channels, got.height, got.width] == [want.channels, want.height, want.width],
        "\(label) stage \(k + 1): \(got.channels)x\(got.height)x\(got.width)")
      guard got.data.count == want.data.count else { continue }
      #expect(got.data == want.data, "\(label) stage \(k + 1): max difference \(maxDifference(got.data, want.data))")
    }
  }

  static func bank(_ r: inout SplitMix64, _ n: Int, _ c: Int, _ kh: Int, _ kw: Int, bias: Int = 0) throws -> FilterBank {
    try FilterBank(
      outChannels: n, inChannelsPerGroup: c, kernelHeight: kh, kernelWidth: kw, weights: r.floats(n * c * kh * kw),
      bias: r.floats(bias))
  }

  static func random(_ r: inout SplitMix64, _ c: Int, _ h: Int, _ w: Int) -> Tensor {
    Tensor(channels: c, height: h, width: w, data: r.floats(c * h * w))
  }

  @Test func everyStageKindMatchesTheDirectComputation() throws {
    var r = SplitMix64(seed: 2024)
    for round in 0 ..< 4 {
      // Odd and even sizes; stages that would not fit exactly round down.
      let (h, w) = (r.int(5 ... 13), r.int(5 ... 13))
      let x = Self.random(&r, 4, h, w)
      let tilted = LayerGeometry(
        stride: (2, 1), padding: .explicit(Padding(top: 2, bottom: 0, left: 1, right: 3)), dilation: (1, 2), groups: 2,
        rounding: .floor)
      try Self.check(
        [
          .conv(try Self.bank(&r, 6, 4, 3, 3, bias: 6), LayerGeometry(padding: .same)),
          .activation(.relu),
          .conv(try Self.bank(&r, 4, 3, 3, 2), tilted),
          .activation(.leakyReLU(slope: 0.2)),
          .conv(try Self.bank(&r, 8, 1, 3, 3, bias: 8), LayerGeometry(stride: 2, padding: .uniform(1), groups: 4, rounding: .floor)),
          .activation(.sigmoid),
          .conv(try Self.bank(&r, 3, 8, 2, 2), LayerGeometry(padding: .same, dilation: 2)),
          .activation(.tanh),
        ], x, "convolutions, round \(round)")
      try Self.check(
        [
          .transposedConv(try Self.bank(&r, 4, 3, 3, 3, bias: 3), TransposedGeometry(stride: 2, padding: 1, outputPadding: 1)),
          .activation(.elu(alpha: 0.7)),
          .transposedConv(try Self.bank(&r, 3, 2, 2, 3), TransposedGeometry(stride: 1, dilation: 2)),
          .transposedConv(try Self.bank(&r, 2, 2, 3, 3, bias: 4), TransposedGeometry(stride: 3, padding: 1, outputPadding: 2, groups: 2)),
          .activation(.maxout(groupSize: 2)),
          .activation(.identity),
        ], Self.random(&r, 4, h, w), "transposed convolutions, round \(round)")
      let (ph, pw) = (r.int(9 ... 15), r.int(9 ... 15))
      var uncounted = Pooling(.average, kernel: 3, stride: 2, padding: 1, rounding: .floor)
      uncounted.countIncludesPadding = false
      var dilated = Pooling(.max, kernel: 2, stride: 1, rounding: .floor)
      (dilated.dilationY, dilated.dilationX) = (2, 1)
      try Self.check(
        [
          .pool(Pooling(.max, kernel: 2, rounding: .floor)),
          .upsample(scale: 2, method: .nearest),
          .pool(Pooling(.min, kernel: 3, stride: 2, padding: 1, rounding: .ceil)),
          .pool(Pooling(.average, kernelHeight: 2, kernelWidth: 3, strideY: 1, strideX: 1, padding: Padding(vertical: 1, horizontal: 1))),
          .upsample(scale: 1.5, method: .bilinear),
          .pool(uncounted),
          .pool(dilated),
          .pool(Pooling(.min, kernel: 2, stride: 1)),
          .upsample(scale: 1.3, method: .nearest),
          .upsample(scale: 0.7, method: .bilinear),
        ], Self.random(&r, 3, ph, pw), "pooling and resizing, round \(round)")
      try Self.check(
        [
          .conv(try Self.bank(&r, 5, 4, 3, 3, bias: 5), LayerGeometry(stride: 2, rounding: .floor)),
          .globalAveragePool,
          .flatten,
          .conv(try Self.bank(&r, 3, 5, 1, 1, bias: 3), LayerGeometry()),
        ], x, "head, round \(round)")
      try Self.check([.flatten, .activation(.relu)], x, "flatten first, round \(round)")
    }
  }

  @Test func upsampleSizesFollowTheStageNotONNXsFloatFloor() throws {
    // 27 · 7/3 is 63 in double precision but 62 in float: the stage keeps 63, through convolve.Resize.
    let scale = 7.0 / 3.0
    #expect(Int(Float(27) * Float(scale)) == 62)
    let pipeline = Pipeline(name: "u", stages: [.init(name: "up", operation: .upsample(scale: scale, method: .nearest))])
    let built = try pipeline.graph(inputChannels: 2, height: 27, width: 3)
    #expect(built.graph.nodes.map(\.domain) == [OperatorRegistry.convolveDomain])
    #expect(built.stageShapes == [[2, 63, 7]])
    var r = SplitMix64(seed: 7)
    try Self.check([.upsample(scale: scale, method: .nearest), .upsample(scale: scale, method: .bilinear)], Self.random(&r, 2, 27, 3), "7/3")
    // Where float and double agree, the node is ONNX's own Resize.
    let plain = try pipeline.graph(inputChannels: 2, height: 4, width: 4)
    #expect(plain.graph.nodes.map(\.opType) == ["Resize"] && plain.graph.nodes.map(\.domain) == [""])
  }

  @Test func stagesBecomeNodesWhoseLastOutputIsNamedAfterTheStage() throws {
    let bank = try FilterBank(outChannels: 2, inChannelsPerGroup: 1, kernelHeight: 3, kernelWidth: 3, weights: [Float](repeating: 0.1, count: 18), bias: [1, 2])
    let pipeline = Pipeline(
      name: "p",
      stages: [
        .init(name: "conv", operation: .conv(bank, LayerGeometry(padding: .same))),
        .init(name: "conv", operation: .activation(.maxout(groupSize: 2))),
        .init(name: "pool", operation: .pool(Pooling(.min, kernel: 2))),
        .init(name: "flat", operation: .flatten),
      ])
    let built = try pipeline.graph(inputChannels: 1, height: 6, width: 4)
    #expect(built.graph.nodes.map(\.opType) == ["Conv", "Maxout", "Neg", "MaxPool", "Neg", "Reshape"])
    #expect(built.stageOutputs == ["conv", "conv#2", "pool", "flat"])
    #expect(built.stageShapes == [[2, 6, 4], [1, 6, 4], [1, 3, 2], [6, 1, 1]])
    #expect(built.graph.nodes[0].attributes["pads"] == .ints([1, 1, 1, 1]))
    #expect(built.planOptions.keep == Set(built.stageOutputs))
    let plan = try ExecutionPlan(graph: built.graph, inputShapes: [built.input: [1, 1, 6, 4]], options: built.planOptions)
    #expect(plan.steps.count == 6)
    for (name, shape) in zip(built.stageOutputs, built.stageShapes) { #expect(plan.type(of: name)?.shape == [1] + shape) }
  }

  @Test func stageRulesAreCheckedBeforeAnythingRunsWithTheStagesMessages() throws {
    let x = Tensor(channels: 3, height: 7, width: 7)
    var calls = 0
    func message(_ stages: [Pipeline.Stage]) -> String? {
      do {
        try Pipeline(name: "p", stages: stages).run(x) { _, _, _ in calls += 1 }
        return nil
      } catch {
        return "\(error)"
      }
    }
    let relu = Pipeline.Stage(name: "relu", operation: .activation(.relu))
    let pool = try #require(message([relu, .init(name: "pool", operation: .pool(Pooling(.max, kernel: 2, rounding: .strict)))]))
    #expect(pool.hasPrefix("stage 2 'pool': stride 2 does not fit: (7 - 2) / 2 + 1 = 3.50 along the height"), "\(pool)")
    #expect(calls == 0)
    #expect(message([relu, .init(name: "pool", operation: .pool(Pooling(.max, kernel: 2, rounding: .floor)))]) == nil)
    #expect(calls == 2)
    calls = 0
    let bank = try FilterBank(outChannels: 1, inChannelsPerGroup: 3, kernelHeight: 3, kernelWidth: 3, weights: [Float](repeating: 1, count: 27))
    let conv = try #require(message([.init(name: "c", operation: .conv(bank, LayerGeometry(stride: 3, rounding: .strict)))]))
    #expect(conv.hasPrefix("stage 1 'c': stride 3 does not fit: (7 - 3) / 3 + 1 = 2.33"), "\(conv)")
    let same = try #require(message([.init(name: "c", operation: .conv(bank, LayerGeometry(stride: 2, padding: .same)))]))
    #expect(same == "stage 1 'c': same padding needs stride 1; the stride is 2x2")
    let maxout = try #require(message([relu, .init(name: "m", operation: .activation(.maxout(groupSize: 2)))]))
    #expect(maxout == "stage 2 'm': maxout groups of 2 do not divide the 3 input channels")
    let wide = try #require(message([.init(name: "c", operation: .conv(bank, LayerGeometry(padding: .same))), .init(name: "p", operation: .pool(Pooling(.max, kernel: 2, padding: 2)))]))
    #expect(wide.hasPrefix("stage 2 'p': pooling top padding 2 is more than half the kernel size 2"), "\(wide)")
    let tiny = try #require(message([.init(name: "u", operation: .upsample(scale: 0.1, method: .nearest))]))
    #expect(tiny == "stage 1 'u': resized size would be 0x0; it must be at least 1x1")
    // The graph's own checks (here the element limit, before anything is allocated) name the stage too.
    let huge = try #require(message([relu, .init(name: "u", operation: .upsample(scale: 100_000, method: .nearest))]))
    #expect(huge.hasPrefix("stage 2 'u': ") && huge.contains("more than the limit"), "\(huge)")
    #expect(calls == 0)
  }

  @Test func errorsOfTheCallbackPassThroughUnchanged() throws {
    struct Stop: Error {}
    let pipeline = Pipeline(name: "p", stages: [.init(name: "a", operation: .activation(.relu)), .init(name: "b", operation: .flatten)])
    var calls = 0
    #expect(throws: Stop.self) {
      try pipeline.run(Tensor(channels: 1, height: 2, width: 2)) { _, _, _ in
        calls += 1
        throw Stop()
      }
    }
    #expect(calls == 1)
  }
}
