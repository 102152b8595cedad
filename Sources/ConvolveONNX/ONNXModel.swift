import ConvolveCNN
import ConvolveCore
import Foundation
import SwiftProtobuf

/// Reads ONNX model files (`.onnx`, protobuf) into a `Graph`.
///
/// Initializers may hold their values in `raw_data` or in the typed fields (float, float16, bfloat16,
/// double, int64, int32 and the smaller integer types, bool); floating-point tensors become Float32 and
/// integer ones Int64. `Constant` nodes become initializers. External data is read only from files in the
/// model's folder (or below it): an absolute path, a `..` component or a link leading elsewhere is an error.
/// Every size read from the file is checked (overflow, the element limit, the bytes actually present)
/// before anything is allocated; errors name the file and the initializer or node.
public enum ONNXModel {
  /// ONNX files are protobuf messages, which cannot exceed 2 GiB (larger models keep weights outside).
  public static let maxFileSize = Int(Int32.max)

  /// Loads the model at `path`.
  public static func load(path: String, limits: GraphLimits = .default) throws -> Graph {
    let url = URL(fileURLWithPath: path)
    if let why = unreadableReason(path) { throw ConvolveError.file(path: path, reason: "cannot be read: \(why)") }
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    if let size = attributes?[.size] as? NSNumber, size.intValue > maxFileSize {
      throw ConvolveError.file(path: path, reason: "is \(size.intValue) bytes, larger than an ONNX file can be (2 GiB)")
    }
    let data = try readFileData(path)
    return try load(data: data, path: path, directory: url.deletingLastPathComponent().path, limits: limits)
  }

  /// Loads a model from bytes; `path` names it in errors, `directory` is where external data may be read
  /// from (none: external data is an error).
  public static func load(data: Data, path: String = "<data>", directory: String? = nil, limits: GraphLimits = .default)
    throws -> Graph
  {
    func fail(_ reason: String) -> ConvolveError { .file(path: path, reason: reason) }
    let model: Onnx_ModelProto
    do {
      model = try Onnx_ModelProto(serializedBytes: data)
    } catch {
      throw fail("not an ONNX model, or a truncated one (the protobuf message does not decode: \(error))")
    }
    guard model.hasGraph, model.hasIrVersion, model.irVersion > 0 else {
      throw fail("not an ONNX model (no graph or IR version)")
    }
    let opset = model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }.map { Int($0.version) }
    guard let opset, opset >= 1 else { throw fail("the model imports no ONNX opset") }
    guard opset <= 23 else { throw fail("opset \(opset) is newer than this reader knows (up to 23)") }
    let reader = TensorReader(path: path, directory: directory, limits: limits)
    let g = model.graph

    var graph = try reader.graph(g, opset: opset)
    try graph.inlineConstantNodes()
    return graph
  }

  static func reason(_ error: Error) -> String {
    (error as? ConvolveError)?.description ?? "\(error)"
  }

  static func valueInfo(_ v: Onnx_ValueInfoProto, _ fail: (String) -> ConvolveError) throws -> ValueInfo {
    guard case .tensorType(let t)? = v.type.value else {
      return ValueInfo(name: v.name, elementType: .float32, shape: nil)
    }
    let type = TensorReader.elementType(Int(t.elemType)) ?? .float32
    let shape: [TensorDimension]? = t.hasShape ? t.shape.dim.map { d in
      switch d.value {
      case .dimValue(let n)?: return .fixed(Int(clamping: n))
      case .dimParam(let name)?: return .symbolic(name)
      case nil: return .symbolic("")
      }
    } : nil
    return ValueInfo(name: v.name, elementType: type, shape: shape, dataType: Int(t.elemType))
  }
}

/// Turns `TensorProto`s and attributes into graph values, checking every size.
struct TensorReader {
  let path: String
  let directory: String?
  let limits: GraphLimits

  /// ONNX data type number → how it is held (nil: unsupported).
  static func elementType(_ dataType: Int) -> ElementType? {
    switch dataType {
    case 1, 10, 11, 16: return .float32
    case 2, 3, 4, 5, 6, 7, 9, 12, 13: return .int64
    default: return nil
    }
  }

  /// Bytes per element in raw_data.
  static func byteSize(_ dataType: Int) -> Int {
    switch dataType {
    case 2, 3, 9: return 1
    case 4, 5, 10, 16: return 2
    case 1, 6, 12: return 4
    default: return 8
    }
  }

  static let typeNames: [Int: String] = [
    1: "float", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 8: "string", 9: "bool",
    10: "float16", 11: "double", 12: "uint32", 13: "uint64", 14: "complex64", 15: "complex128", 16: "bfloat16",
  ]

  func tensor(_ t: Onnx_TensorProto) throws -> GraphTensor {
    let dataType = Int(t.dataType)
    guard Self.elementType(dataType) != nil else {
      throw ConvolveError.invalidArgument("data type \(Self.typeNames[dataType] ?? "\(dataType)") is not supported")
    }
    if t.hasSegment { throw ConvolveError.invalidArgument("segmented tensors are not supported") }
    let shape = t.dims.map { Int(clamping: $0) }
    let count = try elementCount(shape, limit: limits.maxElements, what: "tensor")
    let typeName = Self.typeNames[dataType] ?? "\(dataType)"
    let size = Self.byteSize(dataType)
    let (needed, overflow) = count.multipliedReportingOverflow(by: size)
    guard !overflow else { throw ConvolveError.invalidArgument("shape \(shapeText(shape)) is too large") }

    var raw: Data? = nil
    if t.hasDataLocation && t.dataLocation == .external {
      raw = try external(t, needed: needed)
    } else if t.hasRawData {
      raw = t.rawData
    }
    if let raw {
      guard raw.count == needed else {
        throw ConvolveError.shapeMismatch(
          "raw_data has \(raw.count) bytes; shape \(shapeText(shape)) of \(typeName) needs \(needed)")
      }
      return raw.withUnsafeBytes { bytes in Self.decode(bytes, count: count, dataType: dataType, shape: shape) }
    }
    // Typed fields.
    func check(_ n: Int, _ field: String) throws {
      guard n == count else {
        throw ConvolveError.shapeMismatch("\(field) has \(n) values; shape \(shapeText(shape)) needs \(count)")
      }
    }
    switch dataType {
    case 1:
      try check(t.floatData.count, "float_data")
      return GraphTensor(shape: shape, floats: t.floatData)
    case 11:
      try check(t.doubleData.count, "double_data")
      return GraphTensor(shape: shape, floats: t.doubleData.map { Float($0) })
    case 10:
      try check(t.int32Data.count, "int32_data")
      return GraphTensor(shape: shape, floats: t.int32Data.map { Float(Float16(bitPattern: UInt16(truncatingIfNeeded: $0))) })
    case 16:
      try check(t.int32Data.count, "int32_data")
      return GraphTensor(shape: shape, floats: t.int32Data.map { Float(bitPattern: UInt32(UInt16(truncatingIfNeeded: $0)) << 16) })
    case 7:
      try check(t.int64Data.count, "int64_data")
      return GraphTensor(shape: shape, int64s: t.int64Data)
    case 12, 13:
      try check(t.uint64Data.count, "uint64_data")
      return GraphTensor(shape: shape, int64s: t.uint64Data.map { Int64(truncatingIfNeeded: $0) })
    default:
      try check(t.int32Data.count, "int32_data")
      return GraphTensor(shape: shape, int64s: t.int32Data.map { Int64($0) })
    }
  }

  /// Little-endian raw bytes of `count` elements.
  static func decode(_ bytes: UnsafeRawBufferPointer, count: Int, dataType: Int, shape: [Int]) -> GraphTensor {
    func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
      T(littleEndian: bytes.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))
    }
    switch dataType {
    case 1:
      let v = [Float](unsafeUninitializedCapacity: count) { buffer, n in
        if count > 0 { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0 ..< count * 4])) }
        #if _endian(big)
          for i in 0 ..< count { buffer[i] = Float(bitPattern: UInt32(littleEndian: buffer[i].bitPattern)) }
        #endif
        n = count
      }
      return GraphTensor(shape: shape, floats: v)
    case 10: return GraphTensor(shape: shape, floats: (0 ..< count).map { Float(Float16(bitPattern: load(UInt16.self, $0))) })
    case 16: return GraphTensor(shape: shape, floats: (0 ..< count).map { Float(bitPattern: UInt32(load(UInt16.self, $0)) << 16) })
    case 11: return GraphTensor(shape: shape, floats: (0 ..< count).map { Float(Double(bitPattern: load(UInt64.self, $0))) })
    case 2, 9: return GraphTensor(shape: shape, int64s: (0 ..< count).map { Int64(load(UInt8.self, $0)) })
    case 3: return GraphTensor(shape: shape, int64s: (0 ..< count).map { Int64(load(Int8.self, $0)) })
    case 4: return GraphTensor(shape: shape, int64s: (0 ..< count).map { Int64(load(UInt16.self, $0)) })
    case 5: return GraphTensor(shape: shape, int64s: (0 ..< count).map { Int64(load(Int16.self, $0)) })
    case 6: return GraphTensor(shape: shape, int64s: (0 ..< count).map { Int64(load(Int32.self, $0)) })
    case 12: return GraphTensor(shape: shape, int64s: (0 ..< count).map { Int64(load(UInt32.self, $0)) })
    case 13: return GraphTensor(shape: shape, int64s: (0 ..< count).map { Int64(truncatingIfNeeded: load(UInt64.self, $0)) })
    default: return GraphTensor(shape: shape, int64s: (0 ..< count).map { load(Int64.self, $0) })
    }
  }

  /// The bytes of an externally stored tensor, from a file beside the model (never outside its folder).
  func external(_ t: Onnx_TensorProto, needed: Int) throws -> Data {
    var entries: [String: String] = [:]
    for e in t.externalData { entries[e.key] = e.value }
    guard let directory else { throw ConvolveError.invalidArgument("external data needs the model's folder") }
    guard let location = entries["location"], !location.isEmpty else {
      throw ConvolveError.invalidArgument("external data has no location")
    }
    let parts = location.split(separator: "/", omittingEmptySubsequences: false)
    guard !location.hasPrefix("/"), !location.contains("\\"), !location.contains("\0"),
      !parts.contains(where: { $0 == ".." || $0.isEmpty })
    else {
      throw ConvolveError.invalidArgument("external data location '\(location)' leaves the model's folder")
    }
    let base = URL(fileURLWithPath: directory.isEmpty ? "." : directory).standardizedFileURL.resolvingSymlinksInPath().path
    let file = URL(fileURLWithPath: base).appendingPathComponent(location).standardizedFileURL.resolvingSymlinksInPath().path
    guard file.hasPrefix(base.hasSuffix("/") ? base : base + "/") else {
      throw ConvolveError.invalidArgument("external data location '\(location)' leads outside the model's folder")
    }
    func number(_ key: String) throws -> Int? {
      guard let text = entries[key] else { return nil }
      guard let v = Int(text), v >= 0 else { throw ConvolveError.invalidArgument("external data \(key) '\(text)' is not a byte count") }
      return v
    }
    let offset = try number("offset") ?? 0
    let length = try number("length") ?? needed
    guard length == needed else {
      throw ConvolveError.shapeMismatch("external data length is \(length) bytes; the tensor needs \(needed)")
    }
    guard let handle = FileHandle(forReadingAtPath: file) else {
      throw ConvolveError.invalidArgument("external data file '\(location)' cannot be read: \(unreadableReason(file) ?? "unknown error")")
    }
    defer { try? handle.close() }
    let size = Int((try? handle.seekToEnd()) ?? 0)
    let (end, overflow) = offset.addingReportingOverflow(length)
    guard !overflow, end <= size else {
      throw ConvolveError.shapeMismatch("external data file '\(location)' has \(size) bytes; bytes \(offset)..<\(end) are needed")
    }
    try handle.seek(toOffset: UInt64(offset))
    let data = try handle.read(upToCount: length) ?? Data()
    guard data.count == length else { throw ConvolveError.invalidArgument("external data file '\(location)' is truncated") }
    return data
  }

  /// A graph (the model's, or an If's branch) with its initializers, nodes and declared inputs and outputs.
  func graph(_ g: Onnx_GraphProto, opset: Int) throws -> Graph {
    func fail(_ reason: String) -> ConvolveError { .file(path: path, reason: reason) }
    var initializers: [String: GraphTensor] = [:]
    for t in g.initializer {
      do {
        initializers[t.name] = try tensor(t)
      } catch {
        throw fail("initializer '\(t.name)': \(ONNXModel.reason(error))")
      }
    }
    if let sparse = g.sparseInitializer.first {
      throw fail("sparse initializer '\(sparse.values.name)' is not supported")
    }
    var nodes: [Node] = []
    nodes.reserveCapacity(g.node.count)
    for n in g.node {
      let label = "node '\(n.name.isEmpty ? (n.output.first ?? "?") : n.name)' (\(n.opType))"
      var attributes: [String: Attribute] = [:]
      // Graphs are read for If's branches only (Loop and Scan are not run: their bodies stay unread).
      for a in n.attribute where a.type != .graph || n.opType == "If" {
        do {
          if let value = try attribute(a, opset: opset) { attributes[a.name] = value }
        } catch let error as ConvolveError {
          if case .file = error { throw error }  // from inside a subgraph: already named
          throw fail("\(label): attribute '\(a.name)': \(ONNXModel.reason(error))")
        } catch {
          throw fail("\(label): attribute '\(a.name)': \(ONNXModel.reason(error))")
        }
      }
      nodes.append(
        Node(name: n.name, opType: n.opType, domain: n.domain, inputs: n.input, outputs: n.output, attributes: attributes))
    }
    let inputs = try g.input.map { try ONNXModel.valueInfo($0, fail) }
    let outputs = try g.output.map { try ONNXModel.valueInfo($0, fail) }
    return Graph(
      name: g.name, source: path, nodes: nodes, initializers: initializers, inputs: inputs, outputs: outputs,
      opsetVersion: opset)
  }

  /// A node attribute; type-proto attributes and lists of graphs are skipped (their operators are unsupported).
  func attribute(_ a: Onnx_AttributeProto, opset: Int) throws -> Attribute? {
    var type = a.type
    if type == .undefined {
      // Files from before IR version 0.0.2 leave the type out: take the field that is set.
      if a.hasF { type = .float } else if a.hasI { type = .int } else if a.hasS { type = .string }
      else if a.hasT { type = .tensor } else if a.hasG { type = .graph } else if !a.floats.isEmpty { type = .floats }
      else if !a.ints.isEmpty { type = .ints } else if !a.strings.isEmpty { type = .strings }
    }
    switch type {
    case .float: return .float(a.f)
    case .int: return .int(Int(a.i))
    case .string: return .string(String(decoding: a.s, as: UTF8.self))
    case .tensor: return .tensor(try tensor(a.t))
    case .floats: return .floats(a.floats)
    case .ints: return .ints(a.ints.map { Int($0) })
    case .strings: return .strings(a.strings.map { String(decoding: $0, as: UTF8.self) })
    case .graph:
      var branch = try graph(a.g, opset: opset)
      try branch.inlineConstantNodes()
      return .graph(branch)
    default: return nil
    }
  }
}
