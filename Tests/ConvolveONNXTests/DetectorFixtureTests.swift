import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import Foundation
import Testing
@testable import ConvolveONNX

/// Cases written by Tests/Fixtures/make_detectors.py with onnxruntime's outputs: NonMaxSuppression, NonZero of
/// computed values, TopK with a computed K, ScatterND and the shapes sized by them (empty ones too), and
/// torchvision's SSDlite with its post-processing in the graph. Outputs must match as the other fixture suites
/// require: integers (the selected indices, the classes) exactly, in onnxruntime's order.
@Suite struct DetectorFixtureTests {
  static let folder = ONNXFixture2Tests.folder.deletingLastPathComponent().appendingPathComponent("detectors")
  static let cases = ONNXFixtureCase.manifest(folder)

  @Test func manifestCoversTheDynamicOperators() {
    #expect(Self.cases.count >= 14, "the manifest in Tests/Fixtures/detectors")
    let ops = Set(Self.cases.flatMap(\.ops))
    for op in ["NonMaxSuppression", "NonZero", "TopK", "ScatterND", "ConstantOfShape", "Expand", "GatherND"] {
      #expect(ops.contains(op), "no fixture uses \(op)")
    }
    #expect(Self.cases.filter { $0.name.hasPrefix("ssdlite") }.count == 2)
  }

  @Test(arguments: cases)
  func matchesOnnxRuntime(_ c: ONNXFixtureCase) throws { try ONNXFixture2Tests.check(c, in: Self.folder) }

  /// SSDlite: the backbone and head are static steps (fused as for any CNN), the post-processing dynamic (its NMS
  /// inside torchvision's `if boxes.numel() == 0`, a dynamic If); the plan runs again on other photos with other
  /// numbers of detections.
  @Test func detectorPlanKeepsTheBackboneStatic() throws {
    let c = try #require(Self.cases.first { $0.name == "ssdlite_narrow_opset17" })
    let graph = try ONNXModel.load(path: Self.folder.appendingPathComponent(c.model).path)
    let plan = try ExecutionPlan(graph: graph, inputShapes: ["images": c.inputs[0].shape])
    let dynamic = plan.steps.filter(\.dynamic)
    #expect(plan.steps.filter { $0.node.opType == "Conv" && $0.dynamic }.isEmpty)
    #expect(dynamic.contains { $0.node.opType == "If" } && dynamic.contains { $0.node.opType == "NonZero" })
    #expect(plan.steps.count > dynamic.count + 40, "\(plan.steps.count) steps, \(dynamic.count) dynamic")
    #expect(plan.types["labels"].map { !$0.isStatic } == true)
    let executor = Executor(plan: plan)
    var counts = Set<Int>()
    for scale: Float in [1, 0.2, 0] {
      let x = try ONNXFixture2Tests.tensor(c.inputs[0], in: Self.folder)
      let out = try executor.run(["images": GraphTensor(shape: x.shape, floats: x.floats.map { $0 * scale })])
      let n = try #require(out["scores"]).count
      #expect(out["boxes"]?.shape == [n, 4] && out["labels"]?.shape == [n] && out["labels"]?.elementType == .int64)
      counts.insert(n)
    }
    #expect(counts.count >= 2, "other photos give other numbers of detections: \(counts)")
  }

  /// A fixed-shape CNN plans no dynamic step: the static path is unchanged.
  @Test func staticGraphsHaveNoDynamicSteps() throws {
    for c in ONNXFixture2Tests.blockCases {
      let graph = try ONNXModel.load(path: ONNXFixture2Tests.blocksFolder.appendingPathComponent(c.model).path)
      let plan = try ExecutionPlan(graph: graph, inputShapes: ["image": c.inputs[0].shape])
      #expect(plan.steps.allSatisfy { !$0.dynamic }, "\(c.name)")
      #expect(plan.types.values.allSatisfy { $0.isStatic }, "\(c.name)")
    }
  }

  /// A size computed at run time is checked against the limit before anything is allocated, and a shape input
  /// computed at run time is no longer refused when the plan is built.
  @Test func runTimeSizesAreCheckedBeforeAllocating() throws {
    let graph = Graph(
      source: "m.onnx",
      nodes: [
        Node(name: "cast", opType: "Cast", inputs: ["x"], outputs: ["s"], attributes: ["to": .int(7)]),
        Node(name: "fill", opType: "ConstantOfShape", inputs: ["s"], outputs: ["y"]),
      ], inputs: [ValueInfo(name: "x", shape: [.fixed(2)])], outputs: [ValueInfo(name: "y", shape: nil)])
    let plan = try ExecutionPlan(graph: graph, limits: GraphLimits(maxElements: 1 << 20))
    #expect(plan.steps.map(\.dynamic) == [false, true])
    #expect(shapeText(try #require(plan.types["y"]).shape) == "?x?")
    let executor = Executor(plan: plan)
    let small = try executor.run(["x": GraphTensor(shape: [2], floats: [2, 3])])
    #expect(small["y"] == GraphTensor(shape: [2, 3], repeating: 0))
    let big = try #require(throws: ConvolveError.self) { _ = try executor.run(["x": GraphTensor(shape: [2], floats: [1100, 1000])]) }
    #expect("\(big)" == "m.onnx: node 'fill' (ConstantOfShape): output 'y' shape [1100, 1000] has 1100000 elements, more than the limit of 1048576")
    let huge = try #require(throws: ConvolveError.self) { _ = try executor.run(["x": GraphTensor(shape: [2], floats: [1e9, 1e9])]) }
    #expect("\(huge)".hasPrefix("m.onnx: node 'fill' (ConstantOfShape): "), "\(huge)")
    let overflow = try #require(throws: ConvolveError.self) { _ = try executor.run(["x": GraphTensor(shape: [2], floats: [3e18, 3e18])]) }
    #expect("\(overflow)".contains("too large") || "\(overflow)".contains("more than the limit"), "\(overflow)")
    let negative = try #require(throws: ConvolveError.self) { _ = try executor.run(["x": GraphTensor(shape: [2], floats: [-1, 2])]) }
    #expect("\(negative)".contains("negative"), "\(negative)")
  }

  /// NonMaxSuppression's attributes and inputs are checked with one line naming the node.
  @Test func nonMaxSuppressionRefusesBadInputs() throws {
    func plan(_ boxes: [Int], _ scores: [Int], center: Int = 0) -> String {
      let graph = Graph(
        source: "m.onnx",
        nodes: [
          Node(name: "nms", opType: "NonMaxSuppression", inputs: ["b", "s"], outputs: ["y"], attributes: ["center_point_box": .int(center)])
        ],
        inputs: [ValueInfo(name: "b", shape: boxes.map { .fixed($0) }), ValueInfo(name: "s", shape: scores.map { .fixed($0) })],
        outputs: [ValueInfo(name: "y", shape: nil)])
      do {
        _ = try ExecutionPlan(graph: graph)
        return "planned"
      } catch {
        return "\(error)"
      }
    }
    #expect(plan([1, 5, 4], [1, 2, 5]) == "planned")
    #expect(plan([1, 5, 3], [1, 2, 5]).hasPrefix("m.onnx: node 'nms' (NonMaxSuppression): boxes have shape 1x5x3"))
    #expect(plan([1, 5, 4], [1, 2, 6]).contains("differ in their boxes"))
    #expect(plan([1, 5, 4], [1, 2, 5], center: 2).contains("center_point_box is 2"))
  }
}
