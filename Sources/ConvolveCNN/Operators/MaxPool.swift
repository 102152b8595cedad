import ConvolveCore

/// ONNX MaxPool (2-D, or 1-D as height 1): kernel_shape, strides, pads, auto_pad, dilations, ceil_mode,
/// through ConvolveCore's `Pooling`. The Indices output is not supported (`storage_order`, which only orders the
/// indices, is then read and ignored).
struct MaxPoolOperator: GraphOperator {
  let attributes: PoolAttributes

  init(_ node: Node, opset: Int) throws {
    attributes = try PoolAttributes(node)
    if node.outputs.count > 1 && !node.outputs[1].isEmpty {
      throw ConvolveError.invalidArgument("the Indices output is not supported")
    }
    _ = try node.int("storage_order", default: 0)
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "X")
    return [ValueType(try attributes.pooling(.max, input: x.shape, countIncludesPadding: true).1)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    [try attributes.run(.max, try inputs.take(0, "X"), countIncludesPadding: true)]
  }
}

extension MaxPoolOperator {
  func receptiveField(_ context: FieldContext) throws -> ReceptiveField? { try attributes.receptiveField(context) }
}
