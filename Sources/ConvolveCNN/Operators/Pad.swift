import ConvolveCore

/// ONNX Pad: constant, reflect and edge modes (wrap too); pads as an attribute (before opset 11) or input,
/// constant_value and axes (opset 18) inputs. Negative pads crop.
struct PadOperator: GraphOperator {
  enum Mode: String { case constant, reflect, edge, wrap }
  let mode: Mode
  let attributePads: [Int]?
  let attributeValue: Float

  init(_ node: Node, opset: Int) throws {
    let text = try node.string("mode", default: "constant")
    guard let mode = Mode(rawValue: text) else { throw ConvolveError.invalidArgument("mode '\(text)' is not supported") }
    self.mode = mode
    if opset < 11 {
      attributePads = try node.ints("paddings") ?? node.ints("pads") ?? []
      attributeValue = try node.float("value", default: 0)
    } else {
      attributePads = nil
      attributeValue = 0
    }
  }

  /// Begin/end padding per axis of a rank-`rank` input.
  func resolve(rank: Int, pads: [Int]?, axes: [Int]?) throws -> [(Int, Int)] {
    guard let pads else { throw ConvolveError.invalidArgument("pads is missing") }
    let axes = try (axes ?? Array(0 ..< rank)).map { try normalizedAxis($0, rank: rank) }
    guard pads.count == 2 * axes.count else {
      throw ConvolveError.invalidArgument("pads has \(pads.count) values; \(2 * axes.count) are needed")
    }
    var result = [(Int, Int)](repeating: (0, 0), count: rank)
    for (i, a) in axes.enumerated() { result[a] = (pads[i], pads[i + axes.count]) }
    return result
  }

  func outputShape(_ s: [Int], _ pads: [(Int, Int)]) throws -> [Int] {
    try s.indices.map { i in
      let small = { (p: Int) in p > -(1 << 40) && p < 1 << 40 }
      guard small(pads[i].0), small(pads[i].1) else {
        throw ConvolveError.shapeMismatch("padding axis \(i) by \(pads[i]) is out of range")
      }
      let (n, overflow) = s[i].addingReportingOverflow(pads[i].0 + pads[i].1)
      guard !overflow, n >= 0 else {
        throw ConvolveError.shapeMismatch("padding axis \(i) of length \(s[i]) by \(pads[i]) gives a negative or huge length")
      }
      if mode != .constant && n > 0 && (s[i] == 0 || (mode == .wrap && s[i] + min(0, pads[i].0) + min(0, pads[i].1) <= 0)) {
        throw ConvolveError.shapeMismatch("cannot \(mode.rawValue)-pad an empty axis")
      }
      return n
    }
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "data")
    let pads = try resolve(
      rank: x.rank, pads: try attributePads ?? constantInput(inputs, 1, "pads")?.ints,
      axes: try constantInput(inputs, 3, "axes")?.ints)
    return [ValueType(try outputShape(x.shape, pads), x.type.elementType)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.take(0, "data")
    let pads = try resolve(rank: x.rank, pads: attributePads ?? inputs.optional(1)?.ints, axes: inputs.optional(3)?.ints)
    let shape = try outputShape(x.shape, pads)
    let value = attributePads != nil ? attributeValue : (inputs.optional(2)?.floats.first ?? 0)
    if shape.contains(0) {
      return [x.elementType == .float32 ? GraphTensor(shape: shape, floats: []) : GraphTensor(shape: shape, int64s: [])]
    }
    let maps = sourceMaps(input: x.shape, output: shape, pads: pads)
    let strides = stridesOf(x.shape)
    func pad<T>(_ src: [T], _ fill: T) -> [T] {
      let count = shape.reduce(1, *)
      var out = [T](repeating: fill, count: count)
      guard count > 0 else { return out }
      if shape.isEmpty { return src }
      forEachPaddedRow(shape, maps: maps, inputStrides: strides) { row, offset, inner in
        for i in inner.indices where inner[i] >= 0 { out[row + i] = src[offset + inner[i]] }
      }
      return out
    }
    switch x.storage {
    case .float(let v): return [GraphTensor(shape: shape, floats: pad(v, value))]
    case .int64(let v): return [GraphTensor(shape: shape, int64s: pad(v, Int64(value)))]
    }
  }
}

extension PadOperator {
  /// Per axis, the input index each output index copies, or -1 for the constant. Negative pads crop first: `wrap`
  /// then repeats what remains (as onnxruntime), the other modes read the same samples either way.
  func sourceMaps(input: [Int], output shape: [Int], pads: [(Int, Int)]) -> [[Int]] {
    input.indices.map { d in
      let n = input[d], begin = pads[d].0
      let low = Swift.max(0, -begin), kept = n - low - Swift.max(0, -pads[d].1)
      return (0 ..< shape[d]).map { o in
        var i = o - begin
        if i >= 0 && i < n { return i }
        switch mode {
        case .constant: return -1
        case .edge: return Swift.max(0, Swift.min(n - 1, i))
        case .wrap:
          guard kept > 0 else { return -1 }
          let j = o - Swift.max(0, begin)
          return low + ((j % kept) + kept) % kept
        case .reflect:
          if n == 1 { return 0 }
          let period = 2 * (n - 1)
          i = ((i % period) + period) % period
          return i < n ? i : period - i
        }
      }
    }
  }

  var reverseReads: ReverseReads? { .inputs }

  /// Each output's gradient added to the input sample it copies (every mode); the constant gets none.
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let s = try context.inputShape(0)
    let pads = try resolve(
      rank: s.count, pads: attributePads ?? context.optional(1)?.ints,
      axes: context.optional(3)?.ints)
    let shape = context.outputTypes[0].shape
    let g = context.gradient(0)
    var dx = [Float](repeating: 0, count: s.reduce(1, *))
    guard !g.isEmpty, !dx.isEmpty else { return context.only(s, dx) }
    if shape.isEmpty { return context.only(s, g) }
    let maps = sourceMaps(input: s, output: shape, pads: pads)
    let strides = stridesOf(s)
    forEachPaddedRow(shape, maps: maps, inputStrides: strides) { row, offset, inner in
      for i in inner.indices where inner[i] >= 0 { dx[offset + inner[i]] += g[row + i] }
    }
    return context.only(s, dx)
  }
}

extension PadOperator {
  /// The field shifted by the padding before.
  func receptiveField(_ context: FieldContext) throws -> ReceptiveField? {
    guard context.spatial else { return context.merged() }
    let pads = try context.node.ints("pads") ?? context.constant(1)?.ints
    guard let pads, pads.count == 8 else { return nil }
    var field = context.field
    field.y.start -= Double(pads[2]) * field.y.jump
    field.x.start -= Double(pads[3]) * field.x.jump
    return field
  }
}

/// Walks the rows (last axis) of a padded output of `shape`: for each row that reads the input, `body` gets the
/// row's first output index, the input offset of its source row, and the last axis's source map (-1: padding).
/// Rows of the constant are skipped. `maps[d][i]` is the input index output index `i` of axis `d` copies.
func forEachPaddedRow(_ shape: [Int], maps: [[Int]], inputStrides: [Int], _ body: (Int, Int, [Int]) -> Void) {
  let rank = shape.count, n = shape[rank - 1], inner = maps[rank - 1], count = shape.reduce(1, *)
  var index = [Int](repeating: 0, count: rank)
  var row = 0
  while row < count {
    var offset = 0, constantRow = false
    for d in 0 ..< rank - 1 {
      let m = maps[d][index[d]]
      if m < 0 { constantRow = true; break }
      offset += m * inputStrides[d]
    }
    if !constantRow { body(row, offset, inner) }
    row += n
    stepIndex(&index, over: shape, axes: rank - 1)
  }
}
