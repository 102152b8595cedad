import ConvolveCore

/// ONNX Concat along any axis, Float32 or Int64.
struct ConcatOperator: GraphOperator {
  let axis: Int

  init(_ node: Node) throws {
    guard let axis = try node.int("axis") else { throw ConvolveError.invalidArgument("axis is missing") }
    self.axis = axis
  }

  func outputShape(_ shapes: [[Int]], _ types: [ElementType]) throws -> [Int] {
    guard let first = shapes.first else { throw ConvolveError.invalidArgument("Concat has no inputs") }
    let a = try normalizedAxis(axis, rank: first.count)
    var out = first
    out[a] = 0
    for (i, s) in shapes.enumerated() {
      guard types[i] == types[0] else {
        throw ConvolveError.invalidArgument("input \(i + 1) is \(types[i]); input 1 is \(types[0])")
      }
      guard s.count == first.count, s.indices.allSatisfy({ $0 == a || s[$0] == first[$0] }) else {
        throw ConvolveError.shapeMismatch(
          "input \(i + 1) has shape \(shapeText(s)); it must match \(shapeText(first)) except along axis \(axis)")
      }
      let (sum, overflow) = out[a].addingReportingOverflow(s[a])
      guard !overflow else { throw ConvolveError.invalidArgument("the concatenated axis is too long") }
      out[a] = sum
    }
    return out
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let present = inputs.compactMap { $0 }
    return [ValueType(try outputShape(present.map(\.shape), present.map(\.type.elementType)), present.first?.type.elementType ?? .float32)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let parts = inputs.values.compactMap { $0 }
    let shape = try outputShape(parts.map(\.shape), parts.map(\.elementType))
    let a = try normalizedAxis(axis, rank: shape.count)
    let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
    func join<T>(_ arrays: [[T]]) -> [T] {
      let count = shape.reduce(1, *)
      return [T](unsafeUninitializedCapacity: count) { out, initialized in
        var o = 0
        for r in 0 ..< outer {
          for (i, array) in arrays.enumerated() {
            let block = parts[i].shape[a] * inner
            if block > 0 {
              array.withUnsafeBufferPointer { p in
                (out.baseAddress! + o).initialize(from: p.baseAddress! + r * block, count: block)
              }
            }
            o += block
          }
        }
        initialized = count
      }
    }
    if parts[0].elementType == .float32 {
      let arrays = try parts.map { try requireFloat($0) }
      var out = uninitializedFloats(shape.reduce(1, *))
      out.withUnsafeMutableBufferPointer { dst in
        var o = 0
        for r in 0 ..< outer {
          for (i, array) in arrays.enumerated() {
            let block = parts[i].shape[a] * inner
            if block > 0 {
              array.withUnsafeBufferPointer { p in (dst.baseAddress! + o).update(from: p.baseAddress! + r * block, count: block) }
            }
            o += block
          }
        }
      }
      return [GraphTensor(shape: shape, floats: out)]
    }
    return [GraphTensor(shape: shape, int64s: join(parts.map(\.int64s)))]
  }
}

extension ConcatOperator {
  var reverseReads: ReverseReads? { .nothing }

  /// Each input's block of the output's gradient.
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let shape = context.outputTypes[0].shape
    let a = try normalizedAxis(axis, rank: shape.count)
    let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
    let g = context.gradient(0)
    var start = 0
    return context.inputTypes.enumerated().map { k, type -> GraphTensor? in
      guard let s = type?.shape else { return nil }
      let block = s[a] * inner, offset = start
      start += block
      guard context.wants(k) else { return nil }
      var part = [Float](repeating: 0, count: outer * block)
      for r in 0 ..< outer where block > 0 {
        for i in 0 ..< block { part[r * block + i] = g[r * shape[a] * inner + offset + i] }
      }
      return GraphTensor(shape: s, floats: part)
    }
  }
}
