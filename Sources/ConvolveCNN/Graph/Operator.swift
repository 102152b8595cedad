import ConvolveCore

/// What shape inference knows of a value: its shape and element type.
public struct ValueType: Equatable, Sendable, CustomStringConvertible {
  public var shape: [Int]
  public var elementType: ElementType

  public init(_ shape: [Int], _ elementType: ElementType = .float32) {
    self.shape = shape
    self.elementType = elementType
  }

  /// Whether every dimension is known when the plan is built; a dimension of -1 is known only at run time
  /// (sizes that depend on the data: NonZero, NonMaxSuppression, TopK with a computed K, and what reads them).
  public var isStatic: Bool { !shape.contains { $0 < 0 } }

  public var description: String { "\(elementType) \(shapeText(shape))" }
}

/// An operator input during shape inference: its type, and its value when it is a constant.
struct KnownValue {
  var type: ValueType
  var constant: GraphTensor?

  var shape: [Int] { type.shape }
  var rank: Int { type.shape.count }
}

/// One ONNX operator, its attributes parsed once when the plan is built. `infer` gives output types
/// from input types before anything runs; `run` computes. Kernels own nothing but their math.
protocol GraphOperator: Sendable {
  /// Output types; `inputs[i]` is nil for an optional input left out. Inputs that decide a shape (Reshape's
  /// shape, Resize's sizes, ...) must be constants by then, after folding.
  func infer(_ inputs: [KnownValue?]) throws -> [ValueType]
  /// Computes the outputs; may take (move out) inputs to reuse their buffers.
  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor]
  /// Multiply-accumulate count, for listings (0 for data movement).
  func multiplyAdds(inputs: [ValueType?], outputs: [ValueType]) -> Int
  /// When the node maps one Float32 input value by value (its other inputs constant scalars), that input's
  /// position and the map, so that chains of such nodes can run fused.
  func elementwiseStage(_ inputs: [KnownValue?]) -> (input: Int, stage: ElementwiseStage)?
  /// The operator made ready for these inputs (shapes final, constants known) when the plan is built: weights
  /// packed, paths chosen. Runs once per plan; the default is the operator itself.
  func prepared(_ inputs: [KnownValue?]) -> any GraphOperator
  /// The operator with element-wise stages applied to its single output as it is written, or nil when it cannot
  /// take them.
  func fusing(_ stages: [ElementwiseStage]) -> (any GraphOperator)?
  /// The receptive field of the node's outputs from its fed inputs' fields, or nil when it has none; the
  /// default is `FieldContext.merged()` (same size: the union; smaller: the whole covered input).
  func receptiveField(_ context: FieldContext) throws -> ReceptiveField?
  /// What the reverse rule reads of the forward pass; nil when the operator has none (the default).
  var reverseReads: ReverseReads? { get }
  /// The vector-Jacobian product: the gradients of the inputs from those of the outputs, nil for an input
  /// that is not `wanted` (constant, integer, or not on the way to what the gradient is taken of).
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?]
}

extension GraphOperator {
  func multiplyAdds(inputs: [ValueType?], outputs: [ValueType]) -> Int { 0 }
  func elementwiseStage(_ inputs: [KnownValue?]) -> (input: Int, stage: ElementwiseStage)? { nil }
  func prepared(_ inputs: [KnownValue?]) -> any GraphOperator { self }
  func fusing(_ stages: [ElementwiseStage]) -> (any GraphOperator)? { nil }
  func receptiveField(_ context: FieldContext) throws -> ReceptiveField? { context.merged() }
  var reverseReads: ReverseReads? { nil }
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    throw ConvolveError.invalidArgument("the operator has no reverse rule")
  }
}

/// The value of a constant Float32 input holding one number, or nil.
func constantScalar(_ inputs: [KnownValue?], _ i: Int) -> Float? {
  guard i < inputs.count, let v = inputs[i], let c = v.constant, c.elementType == .float32, c.count == 1 else { return nil }
  return c.floats[0]
}

/// The inputs of one node while it runs. Inputs the executor no longer needs are held only here, so
/// `take` hands a uniquely referenced buffer to an operator that can work in place.
struct OperatorInputs {
  var values: [GraphTensor?]

  var count: Int { values.count }

  func has(_ i: Int) -> Bool { i < values.count && values[i] != nil }

  /// Input `i`, or an error when it is missing.
  func get(_ i: Int, _ what: String = "input") throws -> GraphTensor {
    guard i < values.count, let v = values[i] else {
      throw ConvolveError.invalidArgument("\(what) (input \(i + 1)) is missing")
    }
    return v
  }

  func optional(_ i: Int) -> GraphTensor? { i < values.count ? values[i] : nil }

  /// Moves input `i` out, leaving nil.
  mutating func take(_ i: Int, _ what: String = "input") throws -> GraphTensor {
    guard i < values.count, let v = values[i] else {
      throw ConvolveError.invalidArgument("\(what) (input \(i + 1)) is missing")
    }
    values[i] = nil
    return v
  }
}

/// The operators this library runs, by ONNX op type.
enum OperatorRegistry {
  typealias Factory = @Sendable (Node, Int) throws -> any GraphOperator

  static let factories: [String: Factory] = makeFactories()

  private static func makeFactories() -> [String: Factory] {
    var f: [String: Factory] = [:]
    f["Conv"] = { (node: Node, opset: Int) throws -> any GraphOperator in try ConvOperator(node, opset: opset) }
    f["ConvTranspose"] = { (node: Node, opset: Int) throws -> any GraphOperator in try ConvTransposeOperator(node, opset: opset) }
    f["BatchNormalization"] = { (node: Node, opset: Int) throws -> any GraphOperator in try BatchNormalizationOperator(node, opset: opset) }
    for op in UnaryOperator.Kind.allCases { f[op.rawValue] = { (node: Node, _: Int) throws -> any GraphOperator in try UnaryOperator(node, kind: op) } }
    for op in MathUnaryOperator.Kind.allCases { f[op.rawValue] = { (_: Node, _: Int) throws -> any GraphOperator in MathUnaryOperator(kind: op) } }
    f["PRelu"] = { (_: Node, _: Int) throws -> any GraphOperator in PReluOperator() }
    f["Clip"] = { (node: Node, opset: Int) throws -> any GraphOperator in try ClipOperator(node, opset: opset) }
    for op in BinaryOperator.Kind.allCases { f[op.rawValue] = { (_: Node, _: Int) throws -> any GraphOperator in BinaryOperator(kind: op) } }
    for op in VariadicOperator.Kind.allCases { f[op.rawValue] = { (node: Node, _: Int) throws -> any GraphOperator in VariadicOperator.make(node, kind: op) } }
    f["MaxPool"] = { (node: Node, opset: Int) throws -> any GraphOperator in try MaxPoolOperator(node, opset: opset) }
    f["AveragePool"] = { (node: Node, opset: Int) throws -> any GraphOperator in try AveragePoolOperator(node, opset: opset) }
    f["GlobalAveragePool"] = { (_: Node, _: Int) throws -> any GraphOperator in GlobalPoolOperator(kind: .average) }
    f["GlobalMaxPool"] = { (_: Node, _: Int) throws -> any GraphOperator in GlobalPoolOperator(kind: .max) }
    f["Resize"] = { (node: Node, opset: Int) throws -> any GraphOperator in try ResizeOperator(node, opset: opset) }
    f["Upsample"] = { (node: Node, opset: Int) throws -> any GraphOperator in try ResizeOperator(upsample: node, opset: opset) }
    f["Concat"] = { (node: Node, _: Int) throws -> any GraphOperator in try ConcatOperator(node) }
    f["Split"] = { (node: Node, opset: Int) throws -> any GraphOperator in try SplitOperator(node, opset: opset) }
    f["Slice"] = { (node: Node, opset: Int) throws -> any GraphOperator in try SliceOperator(node, opset: opset) }
    f["Flatten"] = { (node: Node, _: Int) throws -> any GraphOperator in try FlattenOperator(node) }
    f["Reshape"] = { (node: Node, _: Int) throws -> any GraphOperator in try ReshapeOperator(node) }
    f["Squeeze"] = { (node: Node, opset: Int) throws -> any GraphOperator in try SqueezeOperator(node, opset: opset) }
    f["Unsqueeze"] = { (node: Node, opset: Int) throws -> any GraphOperator in try UnsqueezeOperator(node, opset: opset) }
    f["Transpose"] = { (node: Node, _: Int) throws -> any GraphOperator in try TransposeOperator(node) }
    f["Gather"] = { (node: Node, _: Int) throws -> any GraphOperator in try GatherOperator(node) }
    f["Gemm"] = { (node: Node, _: Int) throws -> any GraphOperator in try GemmOperator(node) }
    f["MatMul"] = { (_: Node, _: Int) throws -> any GraphOperator in MatMulOperator() }
    f["Softmax"] = { (node: Node, opset: Int) throws -> any GraphOperator in try SoftmaxOperator(node, opset: opset) }
    for op in ReduceOperator.Kind.allCases { f[op.rawValue] = { (node: Node, opset: Int) throws -> any GraphOperator in try ReduceOperator(node, kind: op, opset: opset) } }
    f["Pad"] = { (node: Node, opset: Int) throws -> any GraphOperator in try PadOperator(node, opset: opset) }
    f["Cast"] = { (node: Node, _: Int) throws -> any GraphOperator in try CastOperator(node) }
    f["Shape"] = { (node: Node, _: Int) throws -> any GraphOperator in try ShapeOperator(node) }
    f["Identity"] = { (_: Node, _: Int) throws -> any GraphOperator in IdentityOperator(mask: false) }
    f["Dropout"] = { (node: Node, _: Int) throws -> any GraphOperator in
      IdentityOperator(mask: node.outputs.count > 1 && !node.outputs[1].isEmpty)
    }
    f["Constant"] = { (node: Node, _: Int) throws -> any GraphOperator in try ConstantOperator(node) }
    f["ConstantOfShape"] = { (node: Node, _: Int) throws -> any GraphOperator in try ConstantOfShapeOperator(node) }
    for op in CompareOperator.Kind.allCases { f[op.rawValue] = { (_: Node, _: Int) throws -> any GraphOperator in CompareOperator(kind: op) } }
    f["If"] = { (_: Node, _: Int) throws -> any GraphOperator in IfOperator() }
    f["Not"] = { (_: Node, _: Int) throws -> any GraphOperator in NotOperator() }
    f["Where"] = { (_: Node, _: Int) throws -> any GraphOperator in WhereOperator() }
    f["Mod"] = { (node: Node, _: Int) throws -> any GraphOperator in try ModOperator(node) }
    f["Expand"] = { (_: Node, _: Int) throws -> any GraphOperator in ExpandOperator() }
    f["Tile"] = { (_: Node, _: Int) throws -> any GraphOperator in TileOperator() }
    f["Range"] = { (_: Node, _: Int) throws -> any GraphOperator in RangeOperator() }
    f["ScatterND"] = { (node: Node, _: Int) throws -> any GraphOperator in try ScatterNDOperator(node) }
    f["CumSum"] = { (node: Node, _: Int) throws -> any GraphOperator in try CumSumOperator(node) }
    f["ArgMax"] = { (node: Node, _: Int) throws -> any GraphOperator in try ArgMaxOperator(node, min: false) }
    f["ArgMin"] = { (node: Node, _: Int) throws -> any GraphOperator in try ArgMaxOperator(node, min: true) }
    f["LayerNormalization"] = { (node: Node, opset: Int) throws -> any GraphOperator in try LayerNormalizationOperator(node, opset: opset) }
    f["InstanceNormalization"] = { (node: Node, _: Int) throws -> any GraphOperator in try InstanceNormalizationOperator(node) }
    f["GroupNormalization"] = { (node: Node, _: Int) throws -> any GraphOperator in try GroupNormalizationOperator(node) }
    f["Gelu"] = { (node: Node, _: Int) throws -> any GraphOperator in try SmoothActivationOperator(gelu: node) }
    f["Softplus"] = { (_: Node, _: Int) throws -> any GraphOperator in SmoothActivationOperator(kind: .softplus) }
    f["Mish"] = { (_: Node, _: Int) throws -> any GraphOperator in SmoothActivationOperator(kind: .mish) }
    f["LogSoftmax"] = { (node: Node, opset: Int) throws -> any GraphOperator in try SoftmaxOperator(node, opset: opset, log: true) }
    f["Einsum"] = { (node: Node, _: Int) throws -> any GraphOperator in try EinsumOperator(node) }
    f["DepthToSpace"] = { (node: Node, _: Int) throws -> any GraphOperator in try DepthToSpaceOperator(node, toSpace: true) }
    f["SpaceToDepth"] = { (node: Node, _: Int) throws -> any GraphOperator in try DepthToSpaceOperator(node, toSpace: false) }
    f["GatherElements"] = { (node: Node, _: Int) throws -> any GraphOperator in try GatherElementsOperator(node) }
    f["GatherND"] = { (node: Node, _: Int) throws -> any GraphOperator in try GatherNDOperator(node) }
    f["TopK"] = { (node: Node, opset: Int) throws -> any GraphOperator in try TopKOperator(node, opset: opset) }
    f["NonZero"] = { (_: Node, _: Int) throws -> any GraphOperator in NonZeroOperator() }
    f["NonMaxSuppression"] = { (node: Node, _: Int) throws -> any GraphOperator in try NonMaxSuppressionOperator(node) }
    return f
  }

  /// The domain of this library's own operators: pipeline stages that have no ONNX operator.
  static let convolveDomain = "convolve"

  /// The operators of the `convolve` domain, by op type.
  static let convolveFactories: [String: Factory] = [
    "Maxout": { (node: Node, _: Int) throws -> any GraphOperator in try MaxoutOperator(node) },
    "Resize": { (node: Node, opset: Int) throws -> any GraphOperator in try ResizeOperator(scaleFactor: node, opset: opset) },
  ]

  static func factory(_ node: Node) -> Factory? {
    switch node.domain {
    case "", "ai.onnx": return factories[node.opType]
    case convolveDomain: return convolveFactories[node.opType]
    default: return nil
    }
  }

  static func isSupported(_ node: Node) -> Bool { factory(node) != nil }

  static func make(_ node: Node, opset: Int) throws -> any GraphOperator {
    guard let factory = factory(node) else {
      throw ConvolveError.invalidArgument("operator \(node.opType) is not supported")
    }
    return try factory(node, opset)
  }
}

/// The first input's type for every output: elementwise operators.
func sameAsFirst(_ inputs: [KnownValue?], outputs: Int = 1) throws -> [ValueType] {
  guard let first = inputs.first ?? nil else { throw ConvolveError.invalidArgument("the first input is missing") }
  return Array(repeating: first.type, count: outputs)
}

/// Input `i` during inference, or an error naming what it is.
func required(_ inputs: [KnownValue?], _ i: Int, _ what: String) throws -> KnownValue {
  guard i < inputs.count, let v = inputs[i] else {
    throw ConvolveError.invalidArgument("\(what) (input \(i + 1)) is missing")
  }
  return v
}

/// Input `i`, which `op` needs as Float32.
func requiredFloat(_ inputs: [KnownValue?], _ i: Int, _ what: String, for op: String) throws -> KnownValue {
  let v = try required(inputs, i, what)
  guard v.type.elementType == .float32 else { throw ConvolveError.invalidArgument("\(op) needs float32 input") }
  return v
}

/// The constant value of input `i` (nil when left out), or `RuntimeValueNeeded` when the value is only known at
/// run time (the planner then makes the node a dynamic step, inferred again when it runs).
func constantInput(_ inputs: [KnownValue?], _ i: Int, _ what: String) throws -> GraphTensor? {
  guard i < inputs.count, let v = inputs[i] else { return nil }
  guard let c = v.constant else { throw RuntimeValueNeeded(what: what, input: i) }
  return c
}

/// A shape-deciding input (Reshape's shape, TopK's K, ...) that is computed at run time: the node's output
/// shapes are known only when it runs.
struct RuntimeValueNeeded: Error, CustomStringConvertible {
  let what: String
  let input: Int

  var description: String { "\(what) (input \(input + 1)) is computed at run time" }
}
