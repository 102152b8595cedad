import ConvolveCore

/// Constant folding, applied node by node while shapes are inferred: a Shape node whose input's shape is
/// known, and any node whose inputs are all constants (initializers or folded values), is computed once
/// when the plan is built and becomes a constant, whatever its operator and element types (integers and
/// booleans are held as Int64). This turns the shape arithmetic exporters emit (Shape → Gather → Concat →
/// Reshape, ConstantOfShape/Equal/Where/Expand/Range on shapes, TF-same padding feeding Pad) into the
/// constant inputs that shape inference needs, and removes those nodes from the run; an If whose condition
/// folds is replaced by its branch (`ExecutionPlan`).
enum ConstantFolding {
  /// Outputs larger than this stay computed at run time (folding exists for small shape tensors and
  /// weight preprocessing, not to hold large activations for the plan's lifetime).
  static let maxFoldedElements = 1 << 22

  /// Whether the node can be folded given what is known of its inputs.
  static func canFold(_ node: Node, _ inputs: [KnownValue?]) -> Bool {
    if node.opType == "Shape" { return inputs.first.map { $0 != nil } ?? false }
    if node.opType == "Dropout" && node.outputs.count > 1 { return false }
    return inputs.allSatisfy { $0 == nil || $0!.constant != nil }
  }

  /// The folded outputs of `node`: its operator run on the constant inputs (Shape only needs the shape).
  static func fold(_ op: any GraphOperator, _ node: Node, _ inputs: [KnownValue?], types: [ValueType]) throws
    -> [GraphTensor]?
  {
    let total = types.reduce(0) { $0 + (checkedProduct($1.shape) ?? .max / 2) }
    guard total <= maxFoldedElements else { return nil }
    if let shape = op as? ShapeOperator, let x = inputs.first ?? nil {
      // Only the input's shape is needed, not its value.
      return [GraphTensor(int64s: shape.dims(x.shape).map(Int64.init))]
    }
    var values = OperatorInputs(values: inputs.map { $0?.constant })
    return try op.run(&values)
  }
}
