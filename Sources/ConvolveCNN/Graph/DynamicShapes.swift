import ConvolveCore

/// Sizes known only at run time. A node whose output size depends on the data (NonZero, NonMaxSuppression, TopK
/// with a computed K, a Reshape or Expand whose shape is computed from such values) is a dynamic step, and so is
/// every node reading what a dynamic step makes. The plan records their outputs with -1 for the dimensions it
/// cannot know; when a dynamic step runs, its operator infers the outputs again from the actual inputs (every
/// input then given as a constant), the sizes are checked against the limits before anything is allocated, and
/// the operator is prepared for those inputs. Static steps run as before, untouched.
enum DynamicShapes {
  /// Two sizes put in place of unknown dimensions to see which output dimensions follow them. Multiples of
  /// the small factors exporters reshape by (2, 3, 4, 6), so that a Reshape to `[-1, 4]` infers.
  static let probes = (12, 24)

  /// The output types of a node reading values of unknown size: inferred twice with the unknown dimensions
  /// replaced by the two probes; a dimension that differs between the two is unknown (-1). When inference fails
  /// on the probes (an index the probe does not reach, a computed shape), each output takes the first input's
  /// rank and element type with every dimension unknown; the run decides.
  static func probe(_ op: any GraphOperator, _ known: [KnownValue?], outputs: Int) -> [ValueType] {
    func substituted(_ p: Int) -> [KnownValue?] {
      known.map { v in
        v.map { KnownValue(type: ValueType($0.shape.map { $0 < 0 ? p : $0 }, $0.type.elementType), constant: $0.constant) }
      }
    }
    if let a = try? op.infer(substituted(probes.0)), let b = try? op.infer(substituted(probes.1)), a.count >= outputs,
      b.count >= outputs
    {
      return zip(a, b).prefix(outputs).map { x, y in
        guard x.shape.count == y.shape.count else { return ValueType([-1], x.elementType) }
        return ValueType(zip(x.shape, y.shape).map { $0 == $1 ? $0 : -1 }, x.elementType)
      }
    }
    return fallback(op, known, outputs: outputs)
  }

  /// The outputs of a node whose shape input is computed at run time: ConstantOfShape, Reshape and Expand take
  /// their rank from the shape's length; every other operator's outputs take the first input's rank and element
  /// type; every dimension unknown.
  static func fallback(_ op: any GraphOperator, _ known: [KnownValue?], outputs: Int) -> [ValueType] {
    let first = known.first ?? nil
    let second = known.count > 1 ? known[1] : nil
    let length = second.flatMap { $0.rank == 1 && $0.shape[0] >= 0 ? $0.shape[0] : nil }
    func unknown(_ rank: Int, _ type: ElementType) -> [ValueType] {
      Array(repeating: ValueType([Int](repeating: -1, count: rank), type), count: outputs)
    }
    switch op {
    case let c as ConstantOfShapeOperator:
      if let n = first.flatMap({ $0.rank == 1 && $0.shape[0] >= 0 ? $0.shape[0] : nil }) { return unknown(n, c.value.elementType) }
    case is ReshapeOperator: if let length, let first { return unknown(length, first.type.elementType) }
    case is ExpandOperator: if let length, let first { return unknown(max(length, first.rank), first.type.elementType) }
    default: break
    }
    return unknown(max(first?.rank ?? 1, 1), first?.type.elementType ?? .float32)
  }

  /// Runs a dynamic step: its outputs inferred from the actual inputs, their sizes checked, the operator
  /// prepared, then run. Returns the outputs and the types they must have (-1: decided by the operator as it
  /// runs, from what its inputs bound: NonZero, NonMaxSuppression).
  static func run(_ step: PlannedNode, _ operands: inout OperatorInputs, limits: GraphLimits) throws -> ([GraphTensor], [ValueType]) {
    if let branch = step.op as? DynamicIfOperator {
      // The branch's own plan checks every size it allocates; its outputs are what they are.
      let outputs = try branch.run(&operands)
      return (outputs, outputs.map { ValueType($0.shape, $0.elementType) })
    }
    let known = operands.values.map { value in value.map { KnownValue(type: ValueType($0.shape, $0.elementType), constant: $0) } }
    let types = try step.op.infer(known)
    for (k, type) in types.enumerated() where type.isStatic && k < step.node.outputs.count {
      _ = try elementCount(type.shape, limit: limits.maxElements, what: "output '\(step.node.outputs[k])'")
    }
    let outputs = try step.op.prepared(known).run(&operands)
    return (outputs, types)
  }

  /// Whether `tensor` has the type `expected` (a -1 dimension matches any size).
  @inline(__always)
  static func matches(_ tensor: GraphTensor, _ expected: ValueType) -> Bool {
    tensor.elementType == expected.elementType && tensor.shape.count == expected.shape.count
      && zip(tensor.shape, expected.shape).allSatisfy { $1 < 0 || $0 == $1 }
  }
}
