import ConvolveCore

/// ONNX Reshape: `0` copies the input's dimension (unless allowzero), `-1` takes what is left.
struct ReshapeOperator: GraphOperator {
  let allowZero: Bool

  init(_ node: Node) throws { allowZero = try node.int("allowzero", default: 0) != 0 }

  func outputShape(_ input: [Int], _ requested: [Int]) throws -> [Int] {
    var out = requested
    var inferred: Int? = nil
    for (i, d) in requested.enumerated() {
      if d == 0 && !allowZero {
        guard i < input.count else { throw ConvolveError.shapeMismatch("shape \(requested) copies dimension \(i) the input lacks") }
        out[i] = input[i]
      } else if d == -1 {
        guard inferred == nil else { throw ConvolveError.invalidArgument("shape \(requested) has more than one -1") }
        inferred = i
      } else if d < 0 {
        throw ConvolveError.invalidArgument("shape \(requested) has a negative dimension")
      }
    }
    let total = try checkedCount(input)
    if let i = inferred {
      out[i] = 1
      let known = try checkedCount(out)
      guard known > 0, total % known == 0 else {
        throw ConvolveError.shapeMismatch("cannot reshape \(shapeText(input)) (\(total) values) to \(requested)")
      }
      out[i] = total / known
    }
    guard try checkedCount(out) == total else {
      throw ConvolveError.shapeMismatch("cannot reshape \(shapeText(input)) (\(total) values) to \(shapeText(out))")
    }
    return out
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "data")
    guard let shape = try constantInput(inputs, 1, "shape") else { throw ConvolveError.invalidArgument("shape is missing") }
    return [ValueType(try outputShape(x.shape, shape.ints), x.type.elementType)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.take(0, "data")
    return [x.reshaped(try outputShape(x.shape, try inputs.get(1, "shape").ints))]
  }
}

/// ONNX Flatten: `[prod(shape[..<axis]), prod(shape[axis...])]`.
struct FlattenOperator: GraphOperator {
  let axis: Int

  init(_ node: Node) throws { axis = try node.int("axis", default: 1) }

  func outputShape(_ s: [Int]) throws -> [Int] {
    let a = axis < 0 ? axis + s.count : axis
    guard a >= 0 && a <= s.count else { throw ConvolveError.invalidArgument("axis \(axis) is outside the \(s.count) dimensions") }
    return [s[..<a].reduce(1, *), s[a...].reduce(1, *)]
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "input")
    return [ValueType(try outputShape(x.shape), x.type.elementType)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.take(0, "input")
    return [x.reshaped(try outputShape(x.shape))]
  }
}

/// Squeeze and Unsqueeze: a shape change by `axes`, an attribute before opset 13 and input 1 from 13.
protocol AxesReshapeOperator: GraphOperator {
  var attributeAxes: [Int]? { get }
  var axesFromInput: Bool { get }
  init(attributeAxes: [Int]?, axesFromInput: Bool)
  func outputShape(_ s: [Int], axes: [Int]?) throws -> [Int]
}

extension AxesReshapeOperator {
  init(_ node: Node, opset: Int) throws {
    self.init(attributeAxes: opset >= 13 ? nil : try node.ints("axes"), axesFromInput: opset >= 13)
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "data")
    let axes = axesFromInput ? try constantInput(inputs, 1, "axes")?.ints : attributeAxes
    return [ValueType(try outputShape(x.shape, axes: axes), x.type.elementType)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.take(0, "data")
    let axes = axesFromInput ? inputs.optional(1)?.ints : attributeAxes
    return [x.reshaped(try outputShape(x.shape, axes: axes))]
  }
}

/// ONNX Squeeze: drops the given size-1 axes (attribute before opset 13, input from 13), or every size-1 axis.
struct SqueezeOperator: AxesReshapeOperator {
  let attributeAxes: [Int]?, axesFromInput: Bool


  func outputShape(_ s: [Int], axes: [Int]?) throws -> [Int] {
    guard let axes else { return s.filter { $0 != 1 } }
    let drop = Set(try axes.map { try normalizedAxis($0, rank: s.count) })
    for a in drop where s[a] != 1 {
      throw ConvolveError.shapeMismatch("cannot squeeze axis \(a) of length \(s[a]) (shape \(shapeText(s)))")
    }
    return s.indices.filter { !drop.contains($0) }.map { s[$0] }
  }
}

/// ONNX Unsqueeze: inserts size-1 axes at the given output positions (attribute before opset 13, input from 13).
struct UnsqueezeOperator: AxesReshapeOperator {
  let attributeAxes: [Int]?, axesFromInput: Bool


  func outputShape(_ s: [Int], axes: [Int]?) throws -> [Int] {
    guard let axes else { throw ConvolveError.invalidArgument("axes is missing") }
    let rank = s.count + axes.count
    let inserted = Set(try axes.map { try normalizedAxis($0, rank: rank) })
    guard inserted.count == axes.count else { throw ConvolveError.invalidArgument("axes \(axes) repeat an axis") }
    var out: [Int] = []
    var next = s.makeIterator()
    for i in 0 ..< rank { out.append(inserted.contains(i) ? 1 : next.next()!) }
    return out
  }
}

/// The reverse of an operator that only changes the shape: the output's gradient under the input's shape.
func shapeOnlyReverse(_ context: ReverseContext) throws -> [GraphTensor?] {
  context.only(try context.inputShape(0), context.gradient(0))
}

extension ReshapeOperator {
  var reverseReads: ReverseReads? { .nothing }
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] { try shapeOnlyReverse(context) }
}

extension FlattenOperator {
  var reverseReads: ReverseReads? { .nothing }
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] { try shapeOnlyReverse(context) }
}

extension SqueezeOperator {
  var reverseReads: ReverseReads? { .nothing }
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] { try shapeOnlyReverse(context) }
}

extension UnsqueezeOperator {
  var reverseReads: ReverseReads? { .nothing }
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] { try shapeOnlyReverse(context) }
}
