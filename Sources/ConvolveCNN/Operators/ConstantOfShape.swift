import ConvolveCore

/// ONNX ConstantOfShape: a tensor of the shape given by the Int64 input, every element `value` (a one-element
/// tensor attribute; default float 0). The shape must be known when the plan is built (it is, after folding).
struct ConstantOfShapeOperator: GraphOperator {
  let value: GraphTensor

  init(_ node: Node) throws {
    switch node.attributes["value"] {
    case nil: value = GraphTensor(scalar: 0)
    case .tensor(let t)?:
      guard t.count == 1 else { throw ConvolveError.invalidArgument("value has \(t.count) elements; it must have one") }
      value = t
    case let other?: throw ConvolveError.invalidArgument("attribute 'value' should be a tensor, got \(other.summary)")
    }
  }

  func shape(_ t: GraphTensor) throws -> [Int] {
    let dims = t.ints
    guard dims.allSatisfy({ $0 >= 0 }) else { throw ConvolveError.invalidArgument("shape \(dims) has a negative dimension") }
    _ = try checkedCount(dims)
    return dims
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    guard let s = try constantInput(inputs, 0, "shape") else { throw ConvolveError.invalidArgument("shape (input 1) is missing") }
    return [ValueType(try shape(s), value.elementType)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let s = try shape(try inputs.get(0, "shape"))
    let n = s.reduce(1, *)
    switch value.storage {
    case .float(let v): return [GraphTensor(shape: s, floats: [Float](repeating: v[0], count: n))]
    case .int64(let v): return [GraphTensor(shape: s, int64s: [Int64](repeating: v[0], count: n))]
    }
  }
}
