import ConvolveJobs
import ConvolveTestSupport
import ConvolveCNN
import ConvolveCore
import Foundation
import SwiftProtobuf
import Testing
@testable import ConvolveONNX
import ConvolveFormats

/// Builds small models with the generated protobuf types, to check what the loader accepts and rejects.
struct ModelBuilder {
  var model = Onnx_ModelProto()

  init(opset: Int64 = 13) {
    model.irVersion = 8
    var set = Onnx_OperatorSetIdProto()
    set.domain = ""
    set.version = opset
    model.opsetImport = [set]
  }

  static func floatTensor(_ name: String, _ dims: [Int64], _ values: [Float], raw: Bool = true) -> Onnx_TensorProto {
    var t = Onnx_TensorProto()
    t.name = name
    t.dims = dims
    t.dataType = 1
    if raw {
      t.rawData = values.withUnsafeBufferPointer { Data(buffer: $0) }
    } else {
      t.floatData = values
    }
    return t
  }

  static func info(_ name: String, _ dims: [Int64]?, type: Int32 = 1) -> Onnx_ValueInfoProto {
    var v = Onnx_ValueInfoProto()
    v.name = name
    var tensor = Onnx_TypeProto.Tensor()
    tensor.elemType = type
    if let dims {
      var shape = Onnx_TensorShapeProto()
      shape.dim = dims.map { d in
        var dim = Onnx_TensorShapeProto.Dimension()
        if d >= 0 { dim.dimValue = d } else { dim.dimParam = "N" }
        return dim
      }
      tensor.shape = shape
    }
    var type = Onnx_TypeProto()
    type.tensorType = tensor
    v.type = type
    return v
  }

  static func node(_ name: String, _ op: String, _ inputs: [String], _ outputs: [String], ints: [String: [Int64]] = [:])
    -> Onnx_NodeProto
  {
    var n = Onnx_NodeProto()
    n.name = name
    n.opType = op
    n.input = inputs
    n.output = outputs
    for (key, values) in ints.sorted(by: { $0.key < $1.key }) {
      var a = Onnx_AttributeProto()
      a.name = key
      a.type = .ints
      a.ints = values
      n.attribute.append(a)
    }
    return n
  }

  /// x (1x2x4x4) → Conv(W 3x2x1x1, B) → y.
  static func conv(weights: Onnx_TensorProto? = nil) -> ModelBuilder {
    var b = ModelBuilder()
    b.model.graph.name = "conv"
    b.model.graph.input = [info("x", [1, 2, 4, 4])]
    b.model.graph.output = [info("y", nil)]
    b.model.graph.initializer = [
      weights ?? floatTensor("W", [3, 2, 1, 1], [1, 0, 0, 1, 1, 1]), floatTensor("B", [3], [0, 0, 0.5], raw: false),
    ]
    b.model.graph.node = [node("conv0", "Conv", ["x", "W", "B"], ["y"])]
    return b
  }

  func bytes() throws -> Data { try model.serializedBytes() }

  func load(_ name: String = "m.onnx", directory: String? = nil, limits: GraphLimits = .default) throws -> Graph {
    try ONNXModel.load(data: try bytes(), path: name, directory: directory, limits: limits)
  }
}

@Suite struct ONNXLoaderTests {
  func message(_ body: () throws -> Any) -> String {
    do {
      _ = try body()
      return "no error"
    } catch {
      return "\(error)"
    }
  }

  let x = GraphTensor(shape: [1, 2, 4, 4], floats: (0 ..< 32).map(Float.init))

  @Test func loadsAndRunsABuiltModel() throws {
    let graph = try ModelBuilder.conv().load()
    #expect(graph.source == "m.onnx" && graph.opsetVersion == 13)
    #expect(graph.inputs.map(\.name) == ["x"] && graph.inputs[0].shapeDescription == "1x2x4x4")
    let y = try graph.run(["x": x])["y"]!
    #expect(y.shape == [1, 3, 4, 4])
    #expect(Array(y.floats.prefix(2)) == [0, 1] && y.floats[16] == 16 && y.floats[32] == 16.5)
  }

  @Test func notAnOnnxFileIsAnError() throws {
    let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13])
    for junk in [png, Data("hello, world\n".utf8), Data(), Data([0x08, 0x07])] {
      let text = message { try ONNXModel.load(data: junk, path: "photo.png") }
      #expect(text.hasPrefix("photo.png: not an ONNX model"), "\(text)")
    }
    let missing = message { try ONNXModel.load(path: "/nonexistent/model.onnx") }
    #expect(missing == "/nonexistent/model.onnx: cannot be read: No such file or directory")
  }

  @Test func truncatedFilesAreErrorsNeverCrashes() throws {
    let bytes = try ModelBuilder.conv().bytes()
    for cut in stride(from: 1, to: bytes.count, by: 3) {
      do {
        let graph = try ONNXModel.load(data: bytes.prefix(cut), path: "cut.onnx")
        // A prefix that still decodes must still plan or fail with a one-line error.
        _ = try? ExecutionPlan(graph: graph, inputShapes: ["x": [1, 2, 4, 4]])
      } catch {
        #expect("\(error)".hasPrefix("cut.onnx: ") && !"\(error)".contains("\n"), "\(error)")
      }
    }
  }

  @Test func initializerSizesAreChecked() throws {
    let short = ModelBuilder.floatTensor("W", [3, 2, 1, 1], [1, 2, 3])
    #expect(message { try ModelBuilder.conv(weights: short).load() }
      == "m.onnx: initializer 'W': raw_data has 12 bytes; shape 3x2x1x1 of float needs 24")
    let typed = ModelBuilder.floatTensor("W", [3, 2, 1, 1], [1, 2, 3, 4, 5], raw: false)
    #expect(message { try ModelBuilder.conv(weights: typed).load() }.contains("float_data has 5 values; shape 3x2x1x1 needs 6"))
    let overflow = ModelBuilder.floatTensor("W", [1 << 40, 1 << 40, 1 << 40], [])
    #expect(message { try ModelBuilder.conv(weights: overflow).load() }.contains("initializer 'W': tensor shape"))
    #expect(message { try ModelBuilder.conv(weights: overflow).load() }.contains("overflows"))
    let huge = ModelBuilder.floatTensor("W", [1 << 20, 1 << 20], [])
    #expect(message { try ModelBuilder.conv(weights: huge).load() }.contains("more than the limit"))
    let negative = ModelBuilder.floatTensor("W", [3, -2, 1, 1], [])
    #expect(message { try ModelBuilder.conv(weights: negative).load() }.contains("negative dimension"))
    var strings = Onnx_TensorProto()
    strings.name = "W"
    strings.dataType = 8
    #expect(message { try ModelBuilder.conv(weights: strings).load() }.contains("data type string is not supported"))
  }

  @Test func aWeightThatDoesNotFitAndAWrongChannelCountNameTheFileAndNode() throws {
    let wide = ModelBuilder.floatTensor("W", [3, 5, 1, 1], [Float](repeating: 1, count: 15))
    let graph = try ModelBuilder.conv(weights: wide).load()
    let text = message { try ExecutionPlan(graph: graph, inputShapes: ["x": [1, 2, 4, 4]]) }
    #expect(text.hasPrefix("m.onnx: node 'conv0' (Conv): weight 3x5x1x1 expects 5 input channels"), "\(text)")
    let good = try ModelBuilder.conv().load()
    #expect(message { try ExecutionPlan(graph: good, inputShapes: ["x": [1, 3, 4, 4]]) }
      == "m.onnx: input 'x' has 3 channels; the model expects 2 (given 1x3x4x4, declared 1x2x4x4)")
  }

  @Test func cyclesAndUnsupportedOperatorsAreReportedBeforeRunning() throws {
    var cyclic = ModelBuilder.conv()
    cyclic.model.graph.node = [
      ModelBuilder.node("a", "Add", ["x", "c"], ["b"]), ModelBuilder.node("loop", "Relu", ["b"], ["c"]),
      ModelBuilder.node("out", "Relu", ["c"], ["y"]),
    ]
    let text = message { try ExecutionPlan(graph: try cyclic.load(), inputShapes: ["x": [1, 2, 4, 4]]) }
    #expect(text.hasPrefix("m.onnx: node '") && text.contains("cycle"), "\(text)")
    var unsupported = ModelBuilder.conv()
    unsupported.model.graph.node = [
      ModelBuilder.node("lstm", "LSTM", ["x"], ["a"]), ModelBuilder.node("grid", "GridSample", ["a"], ["y"]),
    ]
    let graph = try unsupported.load()
    #expect(graph.unsupportedOperators().map(\.description) == ["LSTM 'lstm'", "GridSample 'grid'"])
    #expect(message { try ExecutionPlan(graph: graph, inputShapes: ["x": [1, 2, 4, 4]]) }
      == "m.onnx: 2 nodes use operators convolve does not run:\n  GridSample: 1 node ('grid')\n  LSTM: 1 node ('lstm')")
  }

  @Test func typedInitializersOfEveryStorage() throws {
    var b = ModelBuilder.conv()
    var half = Onnx_TensorProto()
    half.name = "W"
    half.dims = [3, 2, 1, 1]
    half.dataType = 10
    half.int32Data = [1, 0, 0, 1, 1, 1].map { Int32(Float16(Float($0)).bitPattern) }
    var double = Onnx_TensorProto()
    double.name = "B"
    double.dims = [3]
    double.dataType = 11
    double.doubleData = [0, 0, 0.5]
    b.model.graph.initializer = [half, double]
    let y = try b.load().run(["x": x])["y"]!
    #expect(y.floats[32] == 16.5)
    // float16 and float64 in raw_data, int32 typed, int64 raw.
    var rawHalf = half
    rawHalf.int32Data = []
    rawHalf.rawData = [Float](arrayLiteral: 1, 0, 0, 1, 1, 1).map { Float16($0) }.withUnsafeBufferPointer { Data(buffer: $0) }
    var rawDouble = double
    rawDouble.doubleData = []
    rawDouble.rawData = [Double](arrayLiteral: 0, 0, 0.5).withUnsafeBufferPointer { Data(buffer: $0) }
    b.model.graph.initializer = [rawHalf, rawDouble]
    #expect(try b.load().run(["x": x])["y"]!.floats[32] == 16.5)
    let reader = TensorReader(path: "m", directory: nil, limits: .default)
    var int32 = Onnx_TensorProto()
    int32.dataType = 6
    int32.dims = [2]
    int32.int32Data = [-3, 7]
    #expect(try reader.tensor(int32).int64s == [-3, 7])
    var int64 = Onnx_TensorProto()
    int64.dataType = 7
    int64.dims = [2]
    int64.rawData = [Int64](arrayLiteral: -1, 1 << 40).withUnsafeBufferPointer { Data(buffer: $0) }
    #expect(try reader.tensor(int64).int64s == [-1, 1 << 40])
  }

  @Test func constantNodesBecomeInitializers() throws {
    var b = ModelBuilder.conv()
    var constant = ModelBuilder.node("k", "Constant", [], ["W"])
    var value = Onnx_AttributeProto()
    value.name = "value"
    value.type = .tensor
    value.t = ModelBuilder.floatTensor("", [3, 2, 1, 1], [1, 0, 0, 1, 1, 1])
    constant.attribute = [value]
    b.model.graph.initializer = [ModelBuilder.floatTensor("B", [3], [0, 0, 0.5])]
    b.model.graph.node.insert(constant, at: 0)
    let graph = try b.load()
    #expect(graph.nodes.map(\.opType) == ["Conv"] && graph.initializers["W"]?.shape == [3, 2, 1, 1])
    #expect(try graph.run(["x": x])["y"]!.floats[32] == 16.5)
  }

  @Test func externalDataOnlyFromTheModelsFolder() throws {
    let root = NSTemporaryDirectory() + "onnx-external-\(UUID().uuidString)"
    let folder = root + "/model"
    try FileManager.default.createDirectory(atPath: folder + "/weights", withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    let values: [Float] = [9, 9, 1, 0, 0, 1, 1, 1]
    let bytes = values.withUnsafeBufferPointer { Data(buffer: $0) }
    try bytes.write(to: URL(fileURLWithPath: folder + "/weights/w.bin"))
    try bytes.write(to: URL(fileURLWithPath: root + "/outside.bin"))
    try FileManager.default.createSymbolicLink(atPath: folder + "/link.bin", withDestinationPath: root + "/outside.bin")
    func model(_ location: String, offset: Int = 8, length: Int? = 24) throws -> String {
      var w = Onnx_TensorProto()
      w.name = "W"
      w.dims = [3, 2, 1, 1]
      w.dataType = 1
      w.dataLocation = .external
      var entries = [("location", location), ("offset", "\(offset)")]
      if let length { entries.append(("length", "\(length)")) }
      w.externalData = entries.map { key, value in
        var e = Onnx_StringStringEntryProto()
        e.key = key
        e.value = value
        return e
      }
      let path = folder + "/m.onnx"
      try ModelBuilder.conv(weights: w).bytes().write(to: URL(fileURLWithPath: path))
      return path
    }
    let graph = try ONNXModel.load(path: try model("weights/w.bin"))
    #expect(try graph.run(["x": x])["y"]!.floats[32] == 16.5)
    for bad in ["../outside.bin", "/etc/passwd", root + "/outside.bin", "weights/../../outside.bin", "link.bin"] {
      let path = try model(bad)
      let text = message { try ONNXModel.load(path: path) }
      #expect(text.hasPrefix("\(path): initializer 'W': external data location"), "\(bad): \(text)")
      #expect(text.contains("leaves the model's folder") || text.contains("leads outside the model's folder"))
    }
    let beyond = message { try ONNXModel.load(path: try model("weights/w.bin", offset: 16)) }
    #expect(beyond.contains("has 32 bytes; bytes 16..<40 are needed"), "\(beyond)")
    #expect(message { try ONNXModel.load(path: try model("weights/w.bin", length: 20)) }.contains("the tensor needs 24"))
    #expect(message { try ONNXModel.load(path: try model("missing.bin")) }.contains("'missing.bin' cannot be read"))
  }
}

/// Mutated models: flipped, dropped and inserted bytes must give an error or a graph that plans and runs
/// (under a small element limit), never a crash or a large allocation.
@Suite struct ONNXMutationTests {
  /// Non-negative integers from the shared deterministic generator.
  struct Rng {
    var base: SplitMix64
    init(state: UInt64) { base = SplitMix64(seed: state) }
    mutating func next() -> Int { Int(truncatingIfNeeded: base.next() >> 1) }
  }

  /// x → Conv → Relu → Resize(scales) → Shape/Gather/Concat → Reshape → Softmax.
  static func model() throws -> Data {
    var b = ModelBuilder.conv()
    var scales = ModelBuilder.floatTensor("scales", [4], [1, 1, 2, 2])
    scales.name = "scales"
    var indices = Onnx_TensorProto()
    indices.name = "zero"
    indices.dataType = 7
    indices.dims = [1]
    indices.int64Data = [0]
    var rest = indices
    rest.name = "rest"
    rest.int64Data = [-1]
    b.model.graph.initializer += [scales, indices, rest]
    b.model.graph.node = [
      ModelBuilder.node("conv0", "Conv", ["x", "W", "B"], ["c"], ints: ["pads": [0, 0, 0, 0], "strides": [1, 1]]),
      ModelBuilder.node("relu", "Relu", ["c"], ["r"]),
      ModelBuilder.node("up", "Resize", ["r", "", "scales"], ["u"]),
      ModelBuilder.node("shape", "Shape", ["u"], ["s"]),
      ModelBuilder.node("gather", "Gather", ["s", "zero"], ["n"]),
      ModelBuilder.node("cat", "Concat", ["n", "rest"], ["target"], ints: ["axis": [0]]),
      ModelBuilder.node("flat", "Reshape", ["u", "target"], ["f"]),
      ModelBuilder.node("soft", "Softmax", ["f"], ["y"]),
    ]
    for i in b.model.graph.node.indices where b.model.graph.node[i].name == "cat" {
      var axis = Onnx_AttributeProto()
      axis.name = "axis"
      axis.type = .int
      axis.i = 0
      b.model.graph.node[i].attribute = [axis]
    }
    return try b.bytes()
  }

  @Test func mutatedModelsNeverCrash() throws {
    let original = try Self.model()
    let graph = try ONNXModel.load(data: original, path: "m.onnx")
    let x = GraphTensor(shape: [1, 2, 4, 4], floats: (0 ..< 32).map { Float($0) / 8 })
    let y = try graph.run(["x": x])["y"]!
    #expect(y.shape == [1, 192] && abs(y.floats.reduce(0, +) - 1) < 1e-5)
    var rng = Rng(state: 11)
    var loaded = 0, ran = 0
    let limits = GraphLimits(maxElements: 1 << 16)
    for _ in 0 ..< 3000 {
      var bytes = [UInt8](original)
      for _ in 0 ..< 1 + rng.next() % 4 {
        let i = rng.next() % bytes.count
        switch rng.next() % 4 {
        case 0: bytes[i] = UInt8(truncatingIfNeeded: rng.next())
        case 1: bytes[i] ^= 1 << UInt8(rng.next() % 8)
        case 2: bytes.remove(at: i)
        default: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: i)
        }
        if bytes.isEmpty { bytes = [0] }
      }
      guard let g = try? ONNXModel.load(data: Data(bytes), path: "m.onnx", limits: limits) else { continue }
      loaded += 1
      guard let input = g.inputs.first, let plan = try? ExecutionPlan(graph: g, inputShapes: [input.name: [1, 2, 4, 4]], limits: limits)
      else { continue }
      if (try? Executor(plan: plan).run([input.name: x])) != nil { ran += 1 }
    }
    #expect(loaded > 100 && ran > 10, "loaded \(loaded), ran \(ran)")
  }
}
