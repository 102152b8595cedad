import ConvolveCore

/// ONNX If, in the registry. When the condition is known as the plan is built (shape arithmetic that folds), the
/// planner runs the chosen branch in the node's place; otherwise it plans both (`RuntimeIfOperator`).
struct IfOperator: GraphOperator {
  static let message = "the condition is computed at run time; only an If whose condition is known when the plan is built "
    + "(shape arithmetic that folds) is supported"

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] { throw ConvolveError.invalidArgument(Self.message) }
  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] { throw ConvolveError.invalidArgument(Self.message) }
}
