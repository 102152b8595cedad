import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import Foundation
import Testing
@testable import ConvolveONNX

/// Cases written by Tests/Fixtures/make_operator_fixtures2.py (transformer and normalisation operators, data
/// movement, the operator sweep's regressions) with onnxruntime's outputs. Each output must match to 1e-5 of
/// its largest reference value (NaN where onnxruntime has NaN); integer outputs exactly.
@Suite struct ONNXFixture2Tests {
  typealias Case = ONNXFixtureCase
  typealias Value = ONNXFixtureCase.Value

  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/onnx2")

  /// Tiny ConvNeXt-like and ViT-like networks exported from PyTorch (Tests/Fixtures/make_torch_blocks.py).
  static let blocksFolder = folder.deletingLastPathComponent().appendingPathComponent("torch_blocks")

  static let cases = Case.manifest(folder)
  static let blockCases = Case.manifest(blocksFolder)

  static func tensor(_ value: Value, in folder: URL = folder) throws -> GraphTensor {
    let array = try NPYArray.read(path: folder.appendingPathComponent(value.file).path)
    if value.dtype == "int64" { return GraphTensor(shape: array.shape, int64s: array.data.map { Int64($0) }) }
    return GraphTensor(shape: array.shape, floats: array.data)
  }

  @Test func manifestCoversTheOperators() {
    #expect(Self.cases.count >= 85 && Self.blockCases.count == 9, "the manifests in Tests/Fixtures/onnx2 and torch_blocks")
    let ops = Set(Self.cases.flatMap(\.ops))
    for op in [
      "LayerNormalization", "InstanceNormalization", "GroupNormalization", "Gelu", "Erf", "Softplus", "Mish", "LogSoftmax",
      "Sum", "Mean", "Max", "Min", "Einsum", "ReduceL2", "ReduceL1", "ReduceLogSumExp", "ReduceSumSquare", "DepthToSpace",
      "SpaceToDepth", "GatherElements", "GatherND", "TopK", "Expand", "Where", "Tile", "Resize", "MaxPool", "Pad", "Conv",
      "ConvTranspose", "AveragePool", "Relu", "HardSigmoid",
    ] {
      #expect(ops.contains(op), "no fixture uses \(op)")
    }
  }

  /// The decomposed LayerNorm and the Gelu patterns run as one step each when the plan fuses (and as written
  /// when it does not: the fixture test covers both through `graph.run`'s default plan).
  @Test func spelledOutPatternsRunAsOneStep() throws {
    func steps(_ name: String, _ options: PlanOptions = PlanOptions()) throws -> [String] {
      let c = try #require(Self.cases.first { $0.name == name }, "no case \(name)")
      let graph = try ONNXModel.load(path: Self.folder.appendingPathComponent(c.model).path)
      let plan = try ExecutionPlan(
        graph: graph, inputShapes: Dictionary(uniqueKeysWithValues: c.inputs.map { ($0.name, $0.shape) }), options: options)
      return plan.steps.map(\.node.opType)
    }
    for name in ["layernorm_decomposed_opset13", "layernorm_decomposed_channels_first", "layernorm_decomposed_opset18_axes_input"] {
      let fused = try steps(name)
      #expect(fused == ["LayerNormalization"], "\(name): \(fused)")
      #expect(try steps(name, .none).count == 9)
    }
    for name in ["gelu_erf_pattern_torch", "gelu_erf_pattern_half_first", "gelu_tanh_pattern_torch", "gelu_tanh_pattern_pow"] {
      let fused = try steps(name)
      #expect(fused == ["Gelu"], "\(name): \(fused)")
    }
    // A value read outside the pattern keeps it apart.
    let kept = try steps("layernorm_decomposed_opset13", PlanOptions(keep: ["sub_2"]))
    #expect(!kept.contains("LayerNormalization"))
  }

  /// An If on a condition computed at run time runs the branch it picks, each reading the enclosing graph's
  /// values and constants.
  @Test func ifOnARunTimeConditionRunsItsBranch() throws {
    let then = Graph(
      nodes: [Node(name: "scale", opType: "Mul", inputs: ["x", "k"], outputs: ["t"])], inputs: [], outputs: [ValueInfo(name: "t", shape: nil)])
    let otherwise = Graph(
      nodes: [Node(name: "neg", opType: "Neg", inputs: ["x"], outputs: ["e0"]), Node(name: "add", opType: "Add", inputs: ["e0", "one"], outputs: ["e"])],
      initializers: ["one": GraphTensor(scalar: 1)], inputs: [], outputs: [ValueInfo(name: "e", shape: nil)])
    let graph = Graph(
      source: "m.onnx",
      nodes: [
        Node(name: "mean", opType: "ReduceMean", inputs: ["x"], outputs: ["m"], attributes: ["keepdims": .int(0)]),
        Node(name: "positive", opType: "Greater", inputs: ["m", "zero"], outputs: ["c"]),
        Node(name: "choose", opType: "If", inputs: ["c"], outputs: ["y"], attributes: ["then_branch": .graph(then), "else_branch": .graph(otherwise)]),
      ],
      initializers: ["zero": GraphTensor(scalar: 0), "k": GraphTensor(scalar: 3)],
      inputs: [ValueInfo(name: "x", shape: [.fixed(1), .fixed(3)])], outputs: [ValueInfo(name: "y", shape: nil)])
    let plan = try ExecutionPlan(graph: graph)
    #expect(plan.steps.map(\.node.opType) == ["ReduceMean", "Greater", "If"])
    let executor = Executor(plan: plan)
    let up = try executor.run(["x": GraphTensor(shape: [1, 3], floats: [1, 2, -1])])["y"]
    #expect(up == GraphTensor(shape: [1, 3], floats: [3, 6, -3]))
    let down = try executor.run(["x": GraphTensor(shape: [1, 3], floats: [-1, -2, 1])])["y"]
    #expect(down == GraphTensor(shape: [1, 3], floats: [2, 3, 0]))
  }

  /// Einsum equations beyond contractions are refused in one line naming them; NonZero of a computed value plans
  /// (a dynamic step, `DetectorFixtureTests`).
  @Test func refusalsNameTheEquationAndTheReason() throws {
    func plan(_ op: String, _ attributes: [String: Attribute], inputs: [[Int]]) -> String {
      let names = inputs.indices.map { "x\($0)" }
      let graph = Graph(
        source: "m.onnx", nodes: [Node(name: "n", opType: op, inputs: names, outputs: ["y"], attributes: attributes)],
        inputs: zip(names, inputs).map { ValueInfo(name: $0, shape: $1.map { .fixed($0) }) }, outputs: [ValueInfo(name: "y", shape: nil)])
      do {
        _ = try ExecutionPlan(graph: graph)
        return "planned"
      } catch {
        return "\(error)"
      }
    }
    let diagonal = plan("Einsum", ["equation": .string("ii->i")], inputs: [[3, 3]])
    #expect(diagonal.hasPrefix("m.onnx: node 'n' (Einsum): Einsum 'ii->i' is not supported: a letter repeated"), "\(diagonal)")
    let three = plan("Einsum", ["equation": .string("ij,jk,kl->il")], inputs: [[2, 3], [3, 4], [4, 5]])
    #expect(three.contains("Einsum 'ij,jk,kl->il' is not supported: only one or two operands"), "\(three)")
    let nonzero = plan("NonZero", [:], inputs: [[4]])
    #expect(nonzero == "planned", "\(nonzero)")
    #expect(!diagonal.contains("\n"))
    let sizes = plan("Einsum", ["equation": .string("ij,jk->ik")], inputs: [[2, 3], [4, 5]])
    #expect(sizes.contains("Einsum 'ij,jk->ik' is not supported: 'j' is 3 in one operand and 4 in another"), "\(sizes)")
    let block = plan("DepthToSpace", ["blocksize": .int(1 << 40)], inputs: [[1, 4, 2, 2]])
    #expect(block.contains("blocksize is missing or outside 1 ... 4096"), "\(block)")
    let groups = plan("GroupNormalization", ["num_groups": .int(3)], inputs: [[1, 4, 2, 2], [3], [3]])
    #expect(groups.contains("num_groups 3 does not divide the 4 channels"), "\(groups)")
  }

  @Test(arguments: cases)
  func matchesOnnxRuntime(_ c: Case) throws { try Self.check(c, in: Self.folder) }

  /// The exported networks match, with LayerNorm and Gelu each run as one step whatever the opset wrote.
  @Test(arguments: blockCases)
  func torchBlocksMatchOnnxRuntime(_ c: Case) throws {
    #expect(Self.blockCases.count == 9)
    try Self.check(c, in: Self.blocksFolder)
    let graph = try ONNXModel.load(path: Self.blocksFolder.appendingPathComponent(c.model).path)
    let plan = try ExecutionPlan(graph: graph, inputShapes: ["image": c.inputs[0].shape])
    let run = plan.steps.map(\.node.opType)
    // ConvNeXt's and Swin's heads average the plane with one ReduceMean; every other one was a LayerNorm's.
    let means = run.filter { $0 == "ReduceMean" }.count, vit = c.name.hasPrefix("vit")
    #expect(!run.contains("Erf") && !run.contains("Tanh") && means == (vit ? 0 : 1), "\(c.name): \(run)")
    #expect(run.filter { $0 == "LayerNormalization" }.count == (c.name.hasPrefix("swin") ? 6 : 5), "\(c.name): \(run)")
    #expect(run.contains("Gelu") && run.contains("LayerNormalization"), "\(c.name): \(run)")
  }

  static func check(_ c: Case, in folder: URL) throws {
    let graph = try ONNXModel.load(path: folder.appendingPathComponent(c.model).path)
    #expect(graph.unsupportedOperators().isEmpty)
    var inputs: [String: GraphTensor] = [:]
    for input in c.inputs { inputs[input.name] = try Self.tensor(input, in: folder) }
    let outputs = try graph.run(inputs)
    for output in c.outputs {
      let expected = try Self.tensor(output, in: folder)
      let got = try #require(outputs[output.name], "no output \(output.name)")
      #expect(got.shape == expected.shape, "\(c.name): \(output.name) shape \(got.shape)")
      #expect(got.elementType == expected.elementType, "\(c.name): \(output.name) is \(got.elementType)")
      guard got.shape == expected.shape else { continue }
      if expected.elementType == .int64 {
        #expect(got.int64s == expected.int64s, "\(c.name): \(output.name)")
        continue
      }
      var error: Float = 0, scale: Float = 0
      for (a, b) in zip(got.floats, expected.floats) {
        if b.isNaN {
          if !a.isNaN { error = .infinity }
          continue
        }
        error = max(error, abs(a - b).isNaN ? .infinity : abs(a - b))
        scale = max(scale, abs(b))
      }
      #expect(error <= 1e-5 * max(scale, 1), "\(c.name): \(output.name) max error \(error), largest value \(scale)")
      if ProcessInfo.processInfo.environment["CONVOLVE_FIXTURE_REPORT"] != nil {
        print("fixture \(c.name) \(output.name): max error \(error), largest \(scale)")
      }
    }
  }
}
