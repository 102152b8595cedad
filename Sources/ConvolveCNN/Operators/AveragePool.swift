import ConvolveCore

/// ONNX AveragePool (2-D, or 1-D as height 1): kernel_shape, strides, pads, auto_pad, ceil_mode,
/// count_include_pad (default 0: padding is not counted), dilations, through ConvolveCore's `Pooling`.
struct AveragePoolOperator: GraphOperator {
  let attributes: PoolAttributes
  let countIncludePad: Bool

  init(_ node: Node, opset: Int) throws {
    attributes = try PoolAttributes(node)
    countIncludePad = try node.int("count_include_pad", default: 0) != 0
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "X")
    return [ValueType(try attributes.pooling(.average, input: x.shape, countIncludesPadding: countIncludePad).1)]
  }

  func multiplyAdds(inputs: [ValueType?], outputs: [ValueType]) -> Int {
    (outputs.first?.shape.reduce(1, *) ?? 0) * attributes.kernelShape.reduce(1, *)
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    [try attributes.run(.average, try inputs.take(0, "X"), countIncludesPadding: countIncludePad)]
  }
}

extension AveragePoolOperator {
  func receptiveField(_ context: FieldContext) throws -> ReceptiveField? { try attributes.receptiveField(context) }
}
