import ConvolveCore

/// Identity, and Dropout at inference (the input unchanged; a requested mask output is all ones).
struct IdentityOperator: GraphOperator {
  /// Whether the node asks for Dropout's mask output (made only then).
  let mask: Bool

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "input")
    return [x.type, ValueType(x.shape, .int64)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.take(0, "input")
    guard mask else { return [x] }
    return [x, GraphTensor(shape: x.shape, int64s: [Int64](repeating: 1, count: x.count))]
  }
}

/// ONNX Constant: `value`, `value_float(s)` or `value_int(s)`. The loader turns these into initializers;
/// this runs one built by hand.
struct ConstantOperator: GraphOperator {
  let value: GraphTensor

  init(_ node: Node) throws {
    guard let value = try Self.value(node) else {
      throw ConvolveError.invalidArgument("only value, value_float(s) and value_int(s) constants are supported")
    }
    self.value = value
  }

  static func value(_ node: Node) throws -> GraphTensor? {
    switch (node.attributes["value"], node.attributes["value_float"], node.attributes["value_floats"],
      node.attributes["value_int"], node.attributes["value_ints"])
    {
    case (.tensor(let t)?, _, _, _, _): return t
    case (_, .float(let v)?, _, _, _): return GraphTensor(scalar: v)
    case (_, _, .floats(let v)?, _, _): return GraphTensor(shape: [v.count], floats: v)
    case (_, _, _, .int(let v)?, _): return GraphTensor(shape: [], int64s: [Int64(v)])
    case (_, _, _, _, .ints(let v)?): return GraphTensor(int64s: v.map(Int64.init))
    default: return nil
    }
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] { [ValueType(value.shape, value.elementType)] }
  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] { [value] }
}

extension IdentityOperator {
  var reverseReads: ReverseReads? { .nothing }

  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] { try shapeOnlyReverse(context) }
}
