import ConvolveCore

/// What `ExecutionPlan` may change in the graph to run it faster. Folding and fusion remove nodes and their
/// outputs from what the executor's observer sees; name in `keep` the values a caller wants to look at.
public struct PlanOptions: Sendable {
  /// Fold BatchNormalization, and Mul/Div/Add/Sub by constants, into the Conv or ConvTranspose before them.
  public var foldIntoConvolutions: Bool
  /// Spot the hard swish spelled out as Add/Clip/Mul/Div (and LayerNorm and Gelu spelled out, `PatternFusion`),
  /// run chains of element-wise nodes as one pass, apply
  /// such a chain right after a Conv inside the Conv's output pass, and run `x + x · s` (a per-channel scale
  /// and its residual) as one pass.
  public var fuseElementwise: Bool
  /// Values that must stay computed and observable: never folded into a Conv nor fused away (values that
  /// constant folding computes when the plan is built are in `ExecutionPlan.constants` instead).
  public var keep: Set<String>

  public init(foldIntoConvolutions: Bool = true, fuseElementwise: Bool = true, keep: Set<String> = []) {
    self.foldIntoConvolutions = foldIntoConvolutions
    self.fuseElementwise = fuseElementwise
    self.keep = keep
  }

  /// Every node runs as written (BatchNormalization is still folded into Convs: no value is lost by that
  /// unless it is kept).
  public static let none = PlanOptions(foldIntoConvolutions: false, fuseElementwise: false)
}

/// A plan step before the last readers are known.
struct PendingStep {
  var node: Node
  var op: any GraphOperator
  var inputTypes: [ValueType?]
  var outputTypes: [ValueType]
  var fusedNodes: [Node]
  var stage: (input: Int, stage: ElementwiseStage)?
  /// Output sizes known only at run time (`DynamicShapes`): the operator is inferred and prepared as it runs,
  /// and no fusion takes the step.
  var dynamic = false
}

/// One step of a plan: the node, its operator, and the types of its inputs and outputs.
public struct PlannedNode: Sendable {
  /// The node (for a fused chain, the last one: its name and output; its input is the chain's input; for
  /// element-wise nodes fused into a Conv, the Conv with the last one's output, named `conv+relu+...`).
  public let node: Node
  /// The graph nodes this step runs: the node itself, or every node of a fused element-wise chain in order
  /// (after the Conv it was fused into, if any).
  public let fusedNodes: [Node]
  public let inputTypes: [ValueType?]
  public let outputTypes: [ValueType]
  /// Multiply-accumulate operations of this node for the planned input size.
  public let multiplyAdds: Int
  let op: any GraphOperator
  /// Value slot of each input (-1 absent, or a constant when `constantInputs[i]` is set).
  let inputSlots: [Int]
  let constantInputs: [GraphTensor?]
  /// Whether this node is the last reader of input i (the executor then hands the buffer over).
  let lastUse: [Bool]
  let outputSlots: [Int]
  /// Outputs nothing reads (and that are not graph outputs): freed once the observer has seen them.
  let unreadOutputs: [Int]
  /// Whether the outputs' sizes are known only at run time (`DynamicShapes`); `outputTypes` then has -1 for them.
  public let dynamic: Bool
}

/// A graph checked and prepared for one input size: unsupported operators rejected (all listed),
/// BatchNormalization folded into Convs, nodes in topological order, every value's shape and element type
/// inferred before anything runs, constant subgraphs (shape arithmetic) folded, and each intermediate's
/// last reader found so that the executor frees it right after. Run it with `Executor`.
public struct ExecutionPlan: Sendable {
  /// The graph after BatchNormalization folding.
  public let graph: Graph
  public let limits: GraphLimits
  /// The nodes that run, in order.
  public let steps: [PlannedNode]
  /// Nodes computed when the plan was built (shape arithmetic, constant subgraphs).
  public let foldedNodes: [Node]
  /// How many BatchNormalization nodes were folded into Convs.
  public let foldedBatchNormalizations: Int
  /// How many Mul/Div/Add/Sub-by-constant nodes were folded into Convs.
  public let foldedAffineNodes: Int
  /// How many spelled-out hard swishes became one HardSwish.
  public let fusedHardSwishes: Int
  /// The shape and element type of every value: inputs, initializers, node outputs.
  public let types: [String: ValueType]
  /// Initializers and folded values that the steps or outputs still read.
  public let constants: [String: GraphTensor]
  let slots: [String: Int]
  let inputSlots: [(name: String, slot: Int, type: ValueType)]

  /// Plans `graph` for inputs of the given shapes (keyed by input name; an input whose declared shape is
  /// fully fixed may be left out). Errors name the file and the node.
  public init(
    graph source: Graph, inputShapes: [String: [Int]] = [:], limits: GraphLimits = .default,
    options: PlanOptions = PlanOptions()
  ) throws {
    try source.checkSupported()
    var graph = source
    var batchNorms = graph.foldBatchNormalization(keeping: options.keep)
    foldedAffineNodes = options.foldIntoConvolutions ? graph.foldConvAffine(keeping: options.keep) : 0
    // A BatchNormalization behind a folded Add (ConvTranspose → Add → BatchNormalization) folds now.
    if foldedAffineNodes > 0 { batchNorms += graph.foldBatchNormalization(keeping: options.keep) }
    foldedBatchNormalizations = batchNorms
    fusedHardSwishes = options.fuseElementwise ? graph.fuseHardSwish(keeping: options.keep) : 0
    self.graph = graph
    self.limits = limits
    let order = try graph.topologicalOrder()

    var types: [String: ValueType] = [:]
    var constants = graph.initializers
    for (name, t) in constants { types[name] = ValueType(t.shape, t.elementType) }
    var slots: [String: Int] = [:]
    func slot(_ name: String) -> Int {
      if let s = slots[name] { return s }
      slots[name] = slots.count
      return slots.count - 1
    }
    var inputs: [(name: String, slot: Int, type: ValueType)] = []
    for input in graph.inputs {
      let shape = try Self.inputShape(input, given: inputShapes[input.name], graph: graph)
      _ = try Self.checkSize(shape, limits: limits, what: "input '\(input.name)'", graph: graph, node: nil)
      types[input.name] = ValueType(shape, input.elementType)
      inputs.append((input.name, slot(input.name), ValueType(shape, input.elementType)))
    }
    for name in inputShapes.keys where !graph.inputs.contains(where: { $0.name == name }) {
      throw graph.fail("the model has no input '\(name)' (its inputs: \(graph.inputs.map(\.name).joined(separator: ", ")))")
    }

    var planned: [PendingStep] = []
    var folded: [Node] = []
    /// Values made by dynamic steps: their readers are dynamic too.
    var dynamicValues = Set<String>()
    /// Infers one node's outputs, folds it when its inputs are constants, or plans it as a step.
    func process(_ node: Node) throws {
      if let branch = try Self.constantBranch(node, constants, graph: graph) {
        // An If whose condition is known runs its branch in its place: the branch's nodes, then its outputs
        // passed on under the If's output names.
        for (name, t) in branch.initializers {
          constants[name] = t
          types[name] = ValueType(t.shape, t.elementType)
        }
        var scoped = branch
        scoped.inputs = Array(Set(node.implicitInputs)).sorted().map { ValueInfo(name: $0, shape: nil) }
        for inner in try scoped.topologicalOrder() { try process(branch.nodes[inner]) }
        for (source, output) in zip(branch.outputs.map(\.name), node.outputs) where !output.isEmpty {
          guard let type = types[source] else { throw graph.fail("branch output '\(source)' has no known shape", node: node) }
          types[output] = type
          if let value = constants[source] {
            constants[output] = value
          } else {
            let pass = Node(name: node.name, opType: "Identity", inputs: [source], outputs: [output])
            planned.append(
              PendingStep(node: pass, op: IdentityOperator(mask: false), inputTypes: [type], outputTypes: [type], fusedNodes: [pass]))
          }
        }
        folded.append(node)
        return
      }
      do {
        let readsDynamic = !dynamicValues.isEmpty && (node.inputs + node.implicitInputs).contains { dynamicValues.contains($0) }
        if node.opType == "If", node.domain.isEmpty || node.domain == "ai.onnx" {
          if readsDynamic {
            let step = try DynamicIfOperator.plan(node, in: graph, types: types, constants: constants, limits: limits, options: options)
            for (name, type) in zip(node.outputs, step.outputTypes) where !name.isEmpty {
              types[name] = type
              dynamicValues.insert(name)
            }
            planned.append(step)
            return
          }
          let step = try RuntimeIfOperator.plan(node, in: graph, types: types, constants: constants, limits: limits, options: options)
          for (name, type) in zip(node.outputs, step.outputTypes) where !name.isEmpty { types[name] = type }
          planned.append(step)
          return
        }
        let op = try OperatorRegistry.make(node, opset: graph.opsetVersion)
        let known: [KnownValue?] = try node.inputs.map { name in
          guard !name.isEmpty else { return nil }
          guard let type = types[name] else { throw ConvolveError.invalidArgument("input '\(name)' has no known shape") }
          return KnownValue(type: type, constant: constants[name])
        }
        var inferred: [ValueType]
        if readsDynamic {
          inferred = DynamicShapes.probe(op, known, outputs: node.outputs.count)
        } else {
          do {
            inferred = try op.infer(known)
          } catch is RuntimeValueNeeded {
            inferred = DynamicShapes.fallback(op, known, outputs: node.outputs.count)
          }
        }
        guard inferred.count >= node.outputs.count else {
          throw ConvolveError.invalidArgument("the node has \(node.outputs.count) outputs; the operator gives \(inferred.count)")
        }
        let outputTypes = Array(inferred.prefix(node.outputs.count))
        if readsDynamic || !outputTypes.allSatisfy(\.isStatic) {
          for (name, type) in zip(node.outputs, outputTypes) where !name.isEmpty {
            types[name] = type
            dynamicValues.insert(name)
          }
          planned.append(
            PendingStep(
              node: node, op: op, inputTypes: known.map { $0?.type }, outputTypes: outputTypes, fusedNodes: [node], stage: nil,
              dynamic: true))
          return
        }
        for (name, type) in zip(node.outputs, outputTypes) where !name.isEmpty {
          _ = try elementCount(type.shape, limit: limits.maxElements, what: "output '\(name)'")
        }
        if ConstantFolding.canFold(node, known),
          let values = try ConstantFolding.fold(op, node, known, types: outputTypes)
        {
          for (name, value) in zip(node.outputs, values) where !name.isEmpty {
            constants[name] = value
            types[name] = ValueType(value.shape, value.elementType)
          }
          folded.append(node)
          return
        }
        for (name, type) in zip(node.outputs, outputTypes) where !name.isEmpty { types[name] = type }
        planned.append(
          PendingStep(
            node: node, op: op.prepared(known), inputTypes: known.map { $0?.type }, outputTypes: outputTypes, fusedNodes: [node],
            stage: options.fuseElementwise ? op.elementwiseStage(known) : nil))
      } catch {
        throw graph.error(error, node: node)
      }
    }
    for index in order { try process(graph.nodes[index]) }

    let outputNames = Set(graph.outputs.map(\.name))
    if options.fuseElementwise {
      func readerCounts() -> [String: Int] {
        var readers: [String: Int] = [:]
        for p in planned { for name in p.node.inputs where !name.isEmpty { readers[name, default: 0] += 1 } }
        for name in outputNames { readers[name, default: 0] += 1 }
        return readers
      }
      planned = PatternFusion.fuse(planned, constants: constants, readers: readerCounts(), keep: options.keep)
      let readers = readerCounts()
      planned = ElementwiseFusion.fuse(planned, readers: readers, keep: options.keep)
      planned = ElementwiseFusion.fuseIntoProducers(planned, readers: readers, keep: options.keep)
      planned = ElementwiseFusion.fuseScaleResidual(planned, readers: readers, keep: options.keep)
    }

    // The last step reading each value; graph outputs are never freed.
    var lastReader: [String: Int] = [:]
    for (i, p) in planned.enumerated() { for name in p.node.inputs where !name.isEmpty { lastReader[name] = i } }
    var steps: [PlannedNode] = []
    var needed = outputNames
    for (i, p) in planned.enumerated() {
      var seen = Set<String>()
      let inputSlots = p.node.inputs.map { name -> Int in name.isEmpty || constants[name] != nil ? -1 : slot(name) }
      let constantInputs = p.node.inputs.map { name -> GraphTensor? in name.isEmpty ? nil : constants[name] }
      // A value read twice by the same node is handed over only at its last position.
      var lastUse = [Bool](repeating: false, count: p.node.inputs.count)
      for (k, name) in p.node.inputs.enumerated().reversed() where !name.isEmpty && constants[name] == nil {
        lastUse[k] = lastReader[name] == i && !outputNames.contains(name) && seen.insert(name).inserted
      }
      needed.formUnion(p.node.inputs)
      steps.append(
        PlannedNode(
          node: p.node, fusedNodes: p.fusedNodes, inputTypes: p.inputTypes, outputTypes: p.outputTypes,
          multiplyAdds: p.dynamic ? 0 : p.op.multiplyAdds(inputs: p.inputTypes, outputs: p.outputTypes), op: p.op,
          inputSlots: inputSlots, constantInputs: constantInputs, lastUse: lastUse,
          outputSlots: p.node.outputs.map { $0.isEmpty ? -1 : slot($0) },
          unreadOutputs: p.node.outputs.filter { !$0.isEmpty && lastReader[$0] == nil && !outputNames.contains($0) }
            .map { slot($0) }, dynamic: p.dynamic))
    }
    for output in graph.outputs where types[output.name] == nil {
      throw graph.fail("graph output '\(output.name)' has no known shape")
    }
    self.steps = steps
    self.foldedNodes = folded
    self.types = types
    self.constants = constants.filter { needed.contains($0.key) }
    self.slots = slots
    self.inputSlots = inputs
  }

  /// For an If whose condition is a constant, the branch it takes (nil for other nodes).
  static func constantBranch(_ node: Node, _ constants: [String: GraphTensor], graph: Graph) throws -> Graph? {
    guard node.opType == "If", node.domain.isEmpty || node.domain == "ai.onnx", let name = node.input(0),
      let condition = constants[name]
    else { return nil }
    do {
      guard condition.count == 1 else { throw ConvolveError.invalidArgument("the condition has \(condition.count) values; it needs one") }
      let key = condition.int64s[0] != 0 ? "then_branch" : "else_branch"
      guard let branch = try node.graph(key) else { throw ConvolveError.invalidArgument("\(key) is missing") }
      guard branch.outputs.count >= node.outputs.count else {
        throw ConvolveError.invalidArgument("\(key) has \(branch.outputs.count) outputs; the node has \(node.outputs.count)")
      }
      return branch
    } catch {
      throw graph.error(error, node: node)
    }
  }

  /// The shape and element type of a value (input, output, initializer or intermediate).
  public func type(of name: String) -> ValueType? { types[name] }

  /// The planned shape of a graph input: the given one checked against the declaration, or the declared one.
  static func inputShape(_ input: ValueInfo, given: [Int]?, graph: Graph) throws -> [Int] {
    guard let given else {
      guard let declared = input.shape else {
        throw graph.fail("input '\(input.name)' declares no shape; give one")
      }
      return try declared.map { d -> Int in
        guard case .fixed(let n) = d, n >= 0 else {
          throw graph.fail("input '\(input.name)' has shape \(input.shapeDescription); give its size")
        }
        return n
      }
    }
    if let declared = input.shape {
      guard declared.count == given.count else {
        throw graph.error(
          ConvolveError.shapeMismatch(
            "input '\(input.name)' is given as \(shapeText(given)); the model declares \(input.shapeDescription) "
              + "(rank \(declared.count))"), node: nil)
      }
      for (i, d) in declared.enumerated() {
        if case .fixed(let n) = d, n > 0, n != given[i] {
          let what = declared.count == 4 && i == 1 ? "\(given[i]) channels; the model expects \(n)" : "dimension \(i) is \(given[i]); the model expects \(n)"
          throw graph.error(
            ConvolveError.shapeMismatch(
              "input '\(input.name)' has \(what) (given \(shapeText(given)), declared \(input.shapeDescription))"),
            node: nil)
        }
      }
    }
    guard given.allSatisfy({ $0 >= 0 }) else { throw graph.fail("input '\(input.name)' shape \(given) is negative") }
    return given
  }

  static func checkSize(_ shape: [Int], limits: GraphLimits, what: String, graph: Graph, node: Node?) throws -> Int {
    do {
      return try elementCount(shape, limit: limits.maxElements, what: what)
    } catch {
      throw graph.error(error, node: node)
    }
  }
}
