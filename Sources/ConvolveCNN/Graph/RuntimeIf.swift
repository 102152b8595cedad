import ConvolveCore

/// ONNX If whose condition is computed at run time: both branches are planned as graphs of their own (the
/// values they read from the enclosing graph as inputs, constants as initializers) and the condition picks one
/// when the node runs. Both must give outputs of the same shapes and types, which the plan fixes beforehand.
struct RuntimeIfOperator: GraphOperator {
  let thenPlan: ExecutionPlan, elsePlan: ExecutionPlan
  /// The enclosing graph's values fed to the branches: the node's inputs after the condition.
  let outer: [String]
  let outputTypes: [ValueType]

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] { outputTypes }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let plan = try ifCondition(&inputs) ? thenPlan : elsePlan
    let feeds = try branchFeeds(&inputs, outer: outer) { name in plan.inputSlots.contains { $0.name == name } }
    return try branchOutputs(plan.graph, try Executor(plan: plan).run(feeds), count: outputTypes.count)
  }

  /// The step for `node`, its branches planned for the enclosing graph's `types` and `constants`.
  static func plan(
    _ node: Node, in graph: Graph, types: [String: ValueType], constants: [String: GraphTensor], limits: GraphLimits,
    options: PlanOptions
  ) throws -> PendingStep {
    guard let condition = node.input(0) else { throw ConvolveError.invalidArgument("the condition (input 1) is missing") }
    let outer = node.ifOuterInputs(constants)
    func branch(_ key: String) throws -> ExecutionPlan {
      let g = try node.ifBranch(key, in: graph, types: types, constants: constants, fixedShapes: true)
      do {
        return try ExecutionPlan(graph: g, limits: limits, options: options)
      } catch {
        throw ConvolveError.invalidArgument("\(key): \(error)")
      }
    }
    let thenPlan = try branch("then_branch"), elsePlan = try branch("else_branch")
    var outputs: [ValueType] = []
    for i in node.outputs.indices {
      let (a, b) = (thenPlan.graph.outputs[i].name, elsePlan.graph.outputs[i].name)
      guard let ta = thenPlan.types[a], let tb = elsePlan.types[b] else { throw ConvolveError.invalidArgument("output \(i + 1) has no known shape") }
      guard ta == tb else {
        throw ConvolveError.invalidArgument(
          "the condition is computed at run time and the branches' output \(i + 1) differ (then \(ta), else \(tb)); "
            + "the plan fixes every shape before running")
      }
      outputs.append(ta)
    }
    var step = node
    step.inputs = [condition] + outer
    return PendingStep(
      node: step, op: RuntimeIfOperator(thenPlan: thenPlan, elsePlan: elsePlan, outer: outer, outputTypes: outputs),
      inputTypes: step.inputs.map { types[$0] }, outputTypes: outputs, fusedNodes: [node], stage: nil)
  }
}

/// ONNX If that reads values whose sizes are known only at run time (torchvision's `if boxes.numel() == 0` around
/// its NMS): a dynamic step whose chosen branch is planned for the actual inputs each time it runs, so that the
/// branches may give outputs of different sizes (an empty result on one side).
struct DynamicIfOperator: GraphOperator {
  let thenGraph: Graph, elseGraph: Graph
  /// The enclosing graph's values fed to the branches: the node's inputs after the condition.
  let outer: [String]
  /// What the plan records of the outputs: the branch's declared element type and rank, sizes unknown.
  let outputTypes: [ValueType]
  let limits: GraphLimits
  let options: PlanOptions

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] { outputTypes }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let (key, graph) = try ifCondition(&inputs) ? ("then_branch", thenGraph) : ("else_branch", elseGraph)
    let feeds = try branchFeeds(&inputs, outer: outer) { name in graph.inputs.contains { $0.name == name } }
    let results: [String: GraphTensor]
    do {
      let plan = try ExecutionPlan(graph: graph, inputShapes: feeds.mapValues(\.shape), limits: limits, options: options)
      results = try Executor(plan: plan).run(feeds)
    } catch {
      throw ConvolveError.invalidArgument("\(key): \(error)")
    }
    return try branchOutputs(graph, results, count: outputTypes.count)
  }

  /// The step for `node`, its branches reading the enclosing graph's `constants` as initializers and every other
  /// value it reads as an input of the size it has when the node runs.
  static func plan(
    _ node: Node, in graph: Graph, types: [String: ValueType], constants: [String: GraphTensor], limits: GraphLimits,
    options: PlanOptions
  ) throws -> PendingStep {
    guard let condition = node.input(0) else { throw ConvolveError.invalidArgument("the condition (input 1) is missing") }
    let outer = node.ifOuterInputs(constants)
    func branch(_ key: String) throws -> Graph {
      let g = try node.ifBranch(key, in: graph, types: types, constants: constants, fixedShapes: false)
      try g.checkSupported()
      return g
    }
    let thenGraph = try branch("then_branch"), elseGraph = try branch("else_branch")
    let outputs = thenGraph.outputs.prefix(node.outputs.count).map { info in
      ValueType([Int](repeating: -1, count: info.shape?.count ?? 1), info.elementType)
    }
    var step = node
    step.inputs = [condition] + outer
    let op = DynamicIfOperator(
      thenGraph: thenGraph, elseGraph: elseGraph, outer: outer, outputTypes: outputs, limits: limits, options: options)
    return PendingStep(
      node: step, op: op, inputTypes: step.inputs.map { types[$0] }, outputTypes: outputs, fusedNodes: [node], stage: nil,
      dynamic: true)
  }
}

/// The condition of an If: its one value.
private func ifCondition(_ inputs: inout OperatorInputs) throws -> Bool {
  let condition = try inputs.get(0, "cond")
  guard condition.count == 1 else { throw ConvolveError.invalidArgument("the condition has \(condition.count) values; it needs one") }
  return condition.int64s[0] != 0
}

/// The enclosing graph's values a branch reads (`outer`, the node's inputs after the condition) that it takes.
private func branchFeeds(_ inputs: inout OperatorInputs, outer: [String], takes: (String) -> Bool) throws -> [String: GraphTensor] {
  var feeds: [String: GraphTensor] = [:]
  for (i, name) in outer.enumerated() where takes(name) { feeds[name] = try inputs.get(i + 1, name) }
  return feeds
}

/// The first `count` outputs of a branch that ran.
private func branchOutputs(_ graph: Graph, _ results: [String: GraphTensor], count: Int) throws -> [GraphTensor] {
  try graph.outputs.prefix(count).map { output in
    guard let value = results[output.name] else { throw ConvolveError.invalidArgument("branch output '\(output.name)' was not computed") }
    return value
  }
}

extension Node {
  /// The values of the enclosing graph an If's branches read that are not constants: fed when the node runs.
  fileprivate func ifOuterInputs(_ constants: [String: GraphTensor]) -> [String] {
    Array(Set(implicitInputs)).sorted().filter { constants[$0] == nil }
  }

  /// Branch `key` of an If as a graph of its own: the enclosing graph's `constants` it reads as initializers, the
  /// other values it reads as inputs, of the sizes in `types` when `fixedShapes`, else of sizes known when it runs.
  fileprivate func ifBranch(
    _ key: String, in graph: Graph, types: [String: ValueType], constants: [String: GraphTensor], fixedShapes: Bool
  ) throws -> Graph {
    guard var g = try self.graph(key) else { throw ConvolveError.invalidArgument("\(key) is missing") }
    guard g.outputs.count >= outputs.count else {
      throw ConvolveError.invalidArgument("\(key) has \(g.outputs.count) outputs; the node has \(outputs.count)")
    }
    for name in Set(implicitInputs) { if let c = constants[name], g.initializers[name] == nil { g.initializers[name] = c } }
    g.inputs = try ifOuterInputs(constants).filter { g.initializers[$0] == nil }.map { name in
      guard let t = types[name] else { throw ConvolveError.invalidArgument("'\(name)', which \(key) reads, has no known shape") }
      return ValueInfo(name: name, elementType: t.elementType, shape: fixedShapes ? t.shape.map { .fixed($0) } : nil)
    }
    g.source = graph.source
    g.opsetVersion = graph.opsetVersion
    return g
  }
}
