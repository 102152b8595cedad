import ConvolveCore

extension PlanOptions {
  /// A plan for `ReversePass`: every node runs as written, so that each has its reverse rule and the
  /// tensors the rules read exist. BatchNormalization after a Conv is still folded into it (the same
  /// function of the Conv's input) unless its input is in `keep`.
  public static func gradients(keeping keep: Set<String>) -> PlanOptions {
    PlanOptions(foldIntoConvolutions: false, fuseElementwise: false, keep: keep)
  }
}

/// A planned graph run forward, keeping what the operators' reverse rules read, then in reverse: the
/// gradient of one value (a class score, an output) with respect to inputs or intermediate values (a
/// target layer's activation). Gradients of a value read by several nodes are summed; each is freed once
/// its producer has used it. Only Float32 values reached from the `withRespectTo` names take part.
public final class ReversePass {
  public let plan: ExecutionPlan
  /// The values gradients are taken with respect to.
  public let targets: [String]
  /// Values reached from the targets (their gradients may be non-zero).
  private let reached: Set<String>
  /// Forward tensors kept for the reverse rules, the targets and the graph outputs.
  private var values: [String: GraphTensor] = [:]
  private var keepNames: Set<String> = []

  /// Plans `graph` for gradients with respect to `targets` (graph inputs or node outputs, kept unfolded).
  public init(
    graph: Graph, inputShapes: [String: [Int]] = [:], withRespectTo targets: [String], limits: GraphLimits = .default
  ) throws {
    plan = try ExecutionPlan(graph: graph, inputShapes: inputShapes, limits: limits, options: .gradients(keeping: Set(targets)))
    self.targets = targets
    var reached = Set<String>()
    for name in targets {
      guard let type = plan.types[name], plan.constants[name] == nil else {
        throw plan.graph.fail("'\(name)' is not a value computed from the inputs; gradients are taken with respect to those")
      }
      guard type.elementType == .float32 else { throw plan.graph.fail("'\(name)' is \(type.elementType); gradients need float32") }
      reached.insert(name)
    }
    for step in plan.steps where step.node.inputs.contains(where: { reached.contains($0) }) {
      for (name, type) in zip(step.node.outputs, step.outputTypes) where !name.isEmpty && type.elementType == .float32 {
        reached.insert(name)
      }
    }
    self.reached = reached
    for step in plan.steps where step.node.inputs.contains(where: { reached.contains($0) }) {
      let reads = step.op.reverseReads ?? []
      if reads.contains(.inputs) { keepNames.formUnion(step.node.inputs.filter { !$0.isEmpty }) }
      if reads.contains(.outputs) { keepNames.formUnion(step.node.outputs.filter { !$0.isEmpty }) }
    }
    keepNames.formUnion(targets)
  }

  /// Runs the graph forward and returns its outputs and the targets' values (a target layer's activation).
  public func forward(_ inputs: [String: GraphTensor]) throws -> [String: GraphTensor] {
    values = [:]
    for (name, tensor) in inputs where keepNames.contains(name) { values[name] = tensor }
    let keep = keepNames
    var kept: [String: GraphTensor] = [:]
    var outputs = try Executor(plan: plan).run(inputs) { event in
      for (name, tensor) in event.outputs where keep.contains(name) { kept[name] = tensor }
    }
    values.merge(kept) { a, _ in a }
    values.merge(outputs) { a, _ in a }
    for name in targets { outputs[name] = values[name] }
    return outputs
  }

  /// The gradients of `output` (seeded with `seed`, its shape: the vector of the vector-Jacobian product)
  /// with respect to `names` (some of the targets), after `forward`. Fails naming the first node on the way
  /// whose operator has no reverse rule.
  public func gradients(of output: String, seed: GraphTensor, withRespectTo names: [String]? = nil) throws -> [String: GraphTensor] {
    let graph = plan.graph
    let names = names ?? targets
    for name in names where !targets.contains(name) {
      throw graph.fail("'\(name)' was not planned as a target of the reverse pass (targets: \(targets.joined(separator: ", ")))")
    }
    guard let type = plan.types[output] else { throw graph.fail("the graph has no value '\(output)'") }
    guard seed.shape == type.shape, seed.elementType == .float32 else {
      throw graph.fail("the seed is \(seed); '\(output)' is \(type)")
    }
    guard !values.isEmpty else { throw graph.fail("run the reverse pass forward first") }
    var grads: [String: GraphTensor] = [output: seed]
    let wantedNames = Set(names)
    // The steps after the output's producer cannot reach it.
    let last = plan.steps.lastIndex { $0.node.outputs.contains(output) } ?? -1
    var index = last
    while index >= 0 {
      defer { index -= 1 }
      let step = plan.steps[index]
      let outGrads = step.node.outputs.map { $0.isEmpty ? nil : grads[$0] }
      let wanted = step.node.inputs.enumerated().map { k, name in
        !name.isEmpty && step.constantInputs[k] == nil && reached.contains(name)
      }
      guard outGrads.contains(where: { $0 != nil }), wanted.contains(true) else {
        for name in step.node.outputs where !wantedNames.contains(name) { grads[name] = nil }
        continue
      }
      guard !step.dynamic else {
        throw graph.fail(
          "its output sizes are known only at run time, so gradients cannot pass it (try --method eigencam, scorecam, "
            + "ablationcam or occlusion, which need none)", node: step.node)
      }
      guard let reads = step.op.reverseReads else {
        throw graph.fail(
          "\(step.node.opType) has no reverse rule, so gradients cannot pass it (try --method eigencam, scorecam, "
            + "ablationcam or occlusion, which need none)", node: step.node)
      }
      let context = ReverseContext(
        inputs: step.node.inputs.enumerated().map { k, name in
          step.constantInputs[k] ?? (reads.contains(.inputs) && !name.isEmpty ? values[name] : nil)
        },
        outputs: step.node.outputs.map { reads.contains(.outputs) && !$0.isEmpty ? values[$0] : nil },
        gradients: outGrads, wanted: wanted, inputTypes: step.inputTypes, outputTypes: step.outputTypes)
      let inputGrads: [GraphTensor?]
      do {
        inputGrads = try step.op.reverse(context)
      } catch {
        throw graph.error(error, node: step.node)
      }
      for name in step.node.outputs where !wantedNames.contains(name) { grads[name] = nil }
      for (k, name) in step.node.inputs.enumerated() where wanted[k] {
        guard k < inputGrads.count, let g = inputGrads[k] else { continue }
        guard g.shape == step.inputTypes[k]?.shape else {
          throw graph.fail("the reverse rule gave input \(k + 1) a gradient of shape \(shapeText(g.shape))", node: step.node)
        }
        if let sum = grads[name] {
          var v = sum.floats
          let add = g.floats
          for i in v.indices { v[i] += add[i] }
          grads[name] = GraphTensor(shape: g.shape, floats: v)
        } else {
          grads[name] = g
        }
      }
    }
    var result: [String: GraphTensor] = [:]
    for name in names {
      result[name] = grads[name] ?? GraphTensor(shape: plan.types[name]!.shape, repeating: 0)
    }
    return result
  }
}
