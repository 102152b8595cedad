import ConvolveCore
import ConvolveTestSupport
import Foundation
import Testing

@testable import ConvolveCNN

/// Receptive fields against brute force: perturb one input pixel at a time and see which outputs change.
@Suite struct ReceptiveFieldTests {
  /// One layer of a random chain, one channel in and out, positive weights (so that raising any pixel a
  /// position reads raises that position, through max pooling too).
  enum Layer {
    case conv(k: Int, s: Int, p: Int, d: Int)
    case pool(max: Bool, k: Int, s: Int, p: Int, d: Int, ceil: Bool)
    case transposed(k: Int, s: Int, p: Int)
    case resize(scale: Int, mode: String, coordinates: String, nearest: String)

    var hasDilationOrRounding: Bool {
      switch self {
      case .conv(_, _, _, let d): return d > 1
      case .pool(_, _, _, _, let d, _): return d > 1
      case .transposed, .resize: return true
      }
    }
  }

  static func graph(_ layers: [Layer], height: Int, width: Int, random: inout GraphRandom) -> Graph {
    var nodes: [Node] = []
    var initializers: [String: GraphTensor] = [:]
    var value = "x"
    for (i, layer) in layers.enumerated() {
      let out = "v\(i)"
      switch layer {
      case .conv(let k, let s, let p, let d):
        initializers["w\(i)"] = random.tensor([1, 1, k, k], 0.2 ... 1)
        nodes.append(
          Node(
            name: "conv\(i)", opType: "Conv", inputs: [value, "w\(i)"], outputs: [out],
            attributes: ["strides": .ints([s, s]), "pads": .ints([p, p, p, p]), "dilations": .ints([d, d])]))
      case .pool(let isMax, let k, let s, let p, let d, let ceil):
        var attributes: [String: Attribute] = [
          "kernel_shape": .ints([k, k]), "strides": .ints([s, s]), "pads": .ints([p, p, p, p]), "ceil_mode": .int(ceil ? 1 : 0),
        ]
        if isMax { attributes["dilations"] = .ints([d, d]) }
        nodes.append(
          Node(name: "pool\(i)", opType: isMax ? "MaxPool" : "AveragePool", inputs: [value], outputs: [out], attributes: attributes))
      case .transposed(let k, let s, let p):
        initializers["w\(i)"] = random.tensor([1, 1, k, k], 0.2 ... 1)
        nodes.append(
          Node(
            name: "convT\(i)", opType: "ConvTranspose", inputs: [value, "w\(i)"], outputs: [out],
            attributes: ["strides": .ints([s, s]), "pads": .ints([p, p, p, p])]))
      case .resize(let f, let mode, let coordinates, let nearest):
        initializers["scales\(i)"] = GraphTensor(shape: [4], floats: [1, 1, Float(f), Float(f)])
        nodes.append(
          Node(
            name: "resize\(i)", opType: "Resize", inputs: [value, "", "scales\(i)"], outputs: [out],
            attributes: [
              "mode": .string(mode), "coordinate_transformation_mode": .string(coordinates), "nearest_mode": .string(nearest),
            ]))
      }
      value = out
    }
    return Graph(
      nodes: nodes, initializers: initializers,
      inputs: [ValueInfo(name: "x", shape: [.fixed(1), .fixed(1), .fixed(height), .fixed(width)])],
      outputs: [ValueInfo(name: value, shape: nil)])
  }

  /// For every output position, the first and last input row and column whose change changes it.
  static func bruteForce(_ plan: ExecutionPlan, height: Int, width: Int, random: inout GraphRandom)
    throws -> (shape: [Int], rows: [ClosedRange<Int>?], cols: [ClosedRange<Int>?])
  {
    let executor = Executor(plan: plan)
    let output = plan.graph.outputs[0].name
    let base = random.floats(height * width, 0 ... 1)
    let reference = try executor.run(["x": GraphTensor(shape: [1, 1, height, width], floats: base)])[output]!
    let shape = reference.shape
    var rows = [ClosedRange<Int>?](repeating: nil, count: reference.count)
    var cols = rows
    for y in 0 ..< height {
      for x in 0 ..< width {
        var input = base
        input[y * width + x] += 10
        let changed = try executor.run(["x": GraphTensor(shape: [1, 1, height, width], floats: input)])[output]!
        for i in 0 ..< reference.count where abs(changed.floats[i] - reference.floats[i]) > 1e-3 {
          rows[i] = rows[i].map { min($0.lowerBound, y) ... max($0.upperBound, y) } ?? y ... y
          cols[i] = cols[i].map { min($0.lowerBound, x) ... max($0.upperBound, x) } ?? x ... x
        }
      }
    }
    return (shape, rows, cols)
  }

  static func randomLayer(_ random: inout GraphRandom, allowUpsampling: Bool) -> Layer {
    func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(random.next() % UInt64(r.count)) }
    switch int(0 ... (allowUpsampling ? 4 : 2)) {
    case 0, 1:
      let k = int(1 ... 4), d = int(1 ... 2)
      return .conv(k: k, s: int(1 ... 3), p: int(0 ... d * (k - 1)), d: d)
    case 2:
      let k = int(2 ... 3), isMax = int(0 ... 1) == 0
      return .pool(max: isMax, k: k, s: int(1 ... 3), p: int(0 ... k / 2), d: isMax ? int(1 ... 2) : 1, ceil: int(0 ... 1) == 1)
    case 3:
      let k = int(1 ... 4), s = int(1 ... 2)
      return .transposed(k: k, s: s, p: int(0 ... (k - 1) / 2))
    default:
      let modes = [
        ("nearest", "asymmetric", "floor"), ("nearest", "half_pixel", "round_prefer_floor"),
        ("nearest", "align_corners", "round_prefer_ceil"), ("linear", "half_pixel", "floor"),
        ("linear", "align_corners", "floor"), ("nearest", "tf_half_pixel_for_nn", "ceil"),
      ]
      let m = modes[int(0 ... modes.count - 1)]
      return .resize(scale: 2, mode: m.0, coordinates: m.1, nearest: m.2)
    }
  }

  /// Checks one random chain: the computed field of every output position holds every input pixel that
  /// changes it, and is exactly their span for windows without dilation.
  static func check(seed: UInt64, allowUpsampling: Bool) throws -> Bool {
    var random = GraphRandom(seed: seed)
    let height = 10 + Int(random.next() % 9), width = 10 + Int(random.next() % 9)
    let layers = (0 ..< 1 + Int(random.next() % 3)).map { _ in randomLayer(&random, allowUpsampling: allowUpsampling) }
    let graph = graph(layers, height: height, width: width, random: &random)
    guard let plan = try? ExecutionPlan(graph: graph, options: .none) else { return false }
    let output = graph.outputs[0].name
    let field = try #require(plan.receptiveFields()[output], "seed \(seed): \(layers)")
    let (shape, rows, cols) = try bruteForce(plan, height: height, width: width, random: &random)
    let exact = !layers.contains { $0.hasDilationOrRounding }
    for oy in 0 ..< shape[2] {
      for ox in 0 ..< shape[3] {
        let i = oy * shape[3] + ox
        let (fy, fx) = (field.y.pixels(oy), field.x.pixels(ox))
        guard let r = rows[i], let c = cols[i] else {
          Issue.record("seed \(seed) \(layers): output (\(oy), \(ox)) depends on no pixel")
          continue
        }
        #expect(fy.contains(r.lowerBound) && fy.contains(r.upperBound), "seed \(seed) \(layers): rows at \(oy): \(fy) vs \(r)")
        #expect(fx.contains(c.lowerBound) && fx.contains(c.upperBound), "seed \(seed) \(layers): cols at \(ox): \(fx) vs \(c)")
        if exact {
          #expect(fy == r && fx == c, "seed \(seed) \(layers): (\(oy), \(ox)) field \(fy)x\(fx), changed \(r)x\(c)")
        }
      }
    }
    return true
  }

  @Test func windowsMatchBruteForceExactly() throws {
    var checked = 0
    for seed: UInt64 in 1 ... 60 where try Self.check(seed: seed, allowUpsampling: false) { checked += 1 }
    #expect(checked >= 30, "only \(checked) random graphs could be planned")
  }

  @Test func transposedAndResizeFieldsHoldEveryChangedPixel() throws {
    var checked = 0
    for seed: UInt64 in 100 ... 160 where try Self.check(seed: seed, allowUpsampling: true) { checked += 1 }
    #expect(checked >= 30, "only \(checked) random graphs could be planned")
  }

  /// The lecture's formulas on a known stack: 3x3 conv, 2x2 pool stride 2, 3x3 conv: r = 1+2 = 3, +1·1 = 4,
  /// +2·2 = 8; jump 1, 2, 2; start 0, 0.5, 2.5.
  @Test func lectureFormulas() throws {
    var random = GraphRandom(seed: 7)
    let graph = Self.graph(
      [.conv(k: 3, s: 1, p: 1, d: 1), .pool(max: true, k: 2, s: 2, p: 0, d: 1, ceil: false), .conv(k: 3, s: 1, p: 0, d: 1)],
      height: 32, width: 32, random: &random)
    let fields = try ExecutionPlan(graph: graph, options: .none).receptiveFields()
    let sizes = ["v0", "v1", "v2"].map { fields[$0].map { [$0.y.size, $0.y.jump, $0.y.start] } }
    #expect(sizes == [[3, 1, 0], [4, 2, 0.5], [8, 2, 2.5]])
    #expect(fields["v2"]?.sizeText == "8" && fields["v2"]?.jumpText == "2" && fields["v2"]?.startText == "2.5")
  }

  /// A squeeze-and-excitation gate (global pool, then a 1x1 map multiplied in) does not widen the field; the
  /// global pool's own output is the whole input.
  @Test func globalPoolsAndGates() throws {
    var random = GraphRandom(seed: 3)
    var graph = Self.graph([.conv(k: 3, s: 2, p: 1, d: 1)], height: 16, width: 16, random: &random)
    graph.nodes.append(Node(name: "gap", opType: "GlobalAveragePool", inputs: ["v0"], outputs: ["g"]))
    graph.nodes.append(Node(name: "gate", opType: "Mul", inputs: ["v0", "g"], outputs: ["y"]))
    graph.outputs = [ValueInfo(name: "y", shape: nil)]
    let fields = try ExecutionPlan(graph: graph, options: .none).receptiveFields()
    #expect(fields["g"]?.isGlobal == true && fields["g"]?.y.size == 16)
    #expect(fields["y"]?.y.size == 3 && fields["y"]?.globalContext == true && fields["y"]?.isGlobal == false)
  }
}
