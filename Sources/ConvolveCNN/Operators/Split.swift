import ConvolveCore

/// ONNX Split along an axis: sizes from the `split` attribute (before opset 13) or input (13 on), else
/// equal parts (the last one smaller when the length does not divide, as opset 18's num_outputs).
struct SplitOperator: GraphOperator {
  let axis: Int
  let attributeSplit: [Int]?
  let outputs: Int

  init(_ node: Node, opset: Int) throws {
    axis = try node.int("axis", default: 0)
    attributeSplit = opset < 13 ? try node.ints("split") : nil
    outputs = node.outputs.count
    guard outputs >= 1 else { throw ConvolveError.invalidArgument("Split has no outputs") }
  }

  func sizes(_ shape: [Int], split: [Int]?) throws -> (axis: Int, sizes: [Int]) {
    let a = try normalizedAxis(axis, rank: shape.count)
    let length = shape[a]
    if let split, !split.isEmpty {
      guard split.count == outputs, split.allSatisfy({ $0 >= 0 }), split.reduce(0, +) == length else {
        throw ConvolveError.shapeMismatch("split \(split) does not divide the axis of length \(length) into \(outputs) parts")
      }
      return (a, split)
    }
    let part = (length + outputs - 1) / outputs
    var sizes = (0 ..< outputs).map { i in max(0, min(part, length - i * part)) }
    if length % outputs == 0 { sizes = Array(repeating: length / outputs, count: outputs) }
    return (a, sizes)
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "input")
    let split = try attributeSplit ?? constantInput(inputs, 1, "split")?.ints
    let (a, sizes) = try sizes(x.shape, split: split)
    return sizes.map { n in
      var s = x.shape
      s[a] = n
      return ValueType(s, x.type.elementType)
    }
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.take(0, "input")
    let (a, sizes) = try sizes(x.shape, split: attributeSplit ?? inputs.optional(1)?.ints)
    let strides = stridesOf(x.shape)
    var start = 0
    return sizes.map { n in
      var s = x.shape
      s[a] = n
      defer { start += n }
      return x.strided(offset: start * strides[a], shape: s, strides: strides)
    }
  }
}

extension SplitOperator {
  var reverseReads: ReverseReads? { .inputs }

  /// The parts' gradients put back in place (zero for a part none reached).
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let shape = try context.inputShape(0)
    let split = attributeSplit ?? context.optional(1)?.ints
    let (a, sizes) = try sizes(shape, split: split)
    let strides = stridesOf(shape)
    var dx = [Float](repeating: 0, count: shape.reduce(1, *))
    var start = 0
    for (k, n) in sizes.enumerated() {
      var s = shape
      s[a] = n
      if k < context.gradients.count, let g = context.gradients[k] {
        stridedScatterAdd(g.floats, into: &dx, offset: start * strides[a], shape: s, strides: strides)
      }
      start += n
    }
    return context.only(shape, dx)
  }
}
