import CKernels
import ConvolveCore
import Dispatch


/// What the executor reports after each node: the node, its outputs and how long it took.
public struct NodeEvent {
  /// Position in the plan's steps.
  public let index: Int
  public let node: Node
  /// The graph nodes the step ran: `node` alone, or a fused element-wise chain ending with it.
  public let nodes: [Node]
  /// The node's outputs by name (a name left empty in the file is skipped).
  public let outputs: [(name: String, tensor: GraphTensor)]
  public let seconds: Double
}

/// Runs an `ExecutionPlan`: nodes in order, each intermediate tensor released right after its last
/// reader (a reader that is the last one gets the buffer itself, so element-wise operators work in place),
/// an optional observer told about every node.
public struct Executor: Sendable {
  public let plan: ExecutionPlan

  public init(plan: ExecutionPlan) {
    self.plan = plan
  }

  /// Runs the graph on `inputs` (by input name; shapes as planned) and returns every graph output. The
  /// observer sees each node's outputs as they are made; keeping a tensor keeps its memory.
  public func run(_ inputs: [String: GraphTensor], observer: ((NodeEvent) throws -> Void)? = nil) throws
    -> [String: GraphTensor]
  {
    let graph = plan.graph
    var values = [GraphTensor?](repeating: nil, count: plan.slots.count)
    for input in plan.inputSlots {
      guard let tensor = inputs[input.name] else { throw graph.fail("input '\(input.name)' is not given") }
      guard tensor.shape == input.type.shape else {
        throw graph.error(
          ConvolveError.shapeMismatch(
            "input '\(input.name)' has shape \(shapeText(tensor.shape)); the plan was made for \(shapeText(input.type.shape))"),
          node: nil)
      }
      guard tensor.elementType == input.type.elementType else {
        throw graph.fail("input '\(input.name)' is \(tensor.elementType); the model expects \(input.type.elementType)")
      }
      values[input.slot] = tensor
    }
    for name in inputs.keys where !plan.inputSlots.contains(where: { $0.name == name }) {
      throw graph.fail("the model has no input '\(name)'")
    }
    for (index, step) in plan.steps.enumerated() {
      var operands = OperatorInputs(values: [])
      operands.values.reserveCapacity(step.inputSlots.count)
      for (k, slot) in step.inputSlots.enumerated() {
        if let constant = step.constantInputs[k] {
          operands.values.append(constant)
        } else if slot < 0 {
          operands.values.append(nil)
        } else if step.lastUse[k] {
          operands.values.append(values[slot])
          values[slot] = nil
        } else {
          operands.values.append(values[slot])
        }
      }
      let start = DispatchTime.now().uptimeNanoseconds
      let outputs: [GraphTensor]
      var dynamicTypes: [ValueType] = []
      do {
        if step.dynamic {
          (outputs, dynamicTypes) = try DynamicShapes.run(step, &operands, limits: plan.limits)
        } else {
          outputs = try step.op.run(&operands)
        }
      } catch {
        throw graph.error(error, node: step.node)
      }
      operands.values.removeAll()
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      var named: [(name: String, tensor: GraphTensor)] = []
      for (k, slot) in step.outputSlots.enumerated() where slot >= 0 {
        let fits: Bool
        if step.dynamic {
          fits = k < outputs.count && k < dynamicTypes.count && DynamicShapes.matches(outputs[k], dynamicTypes[k])
        } else {
          fits = k < outputs.count && outputs[k].shape == step.outputTypes[k].shape
            && outputs[k].elementType == step.outputTypes[k].elementType
        }
        guard fits else {
          let got = k < outputs.count ? outputs[k].description : "nothing"
          let expected = step.dynamic && k < dynamicTypes.count ? dynamicTypes[k] : step.outputTypes[k]
          throw graph.fail("output \(k + 1) is \(got); shape inference expected \(expected)", node: step.node)
        }
        values[slot] = outputs[k]
        if observer != nil { named.append((step.node.outputs[k], outputs[k])) }
      }
      if let observer {
        try observer(NodeEvent(index: index, node: step.node, nodes: step.fusedNodes, outputs: named, seconds: seconds))
      }
      for slot in step.unreadOutputs { values[slot] = nil }
    }
    var result: [String: GraphTensor] = [:]
    for output in graph.outputs {
      if let slot = plan.slots[output.name], let v = values[slot] {
        result[output.name] = v
      } else if let c = plan.constants[output.name] {
        result[output.name] = c
      } else {
        throw graph.fail("graph output '\(output.name)' was not computed")
      }
    }
    return result
  }
}

extension Graph {
  /// Plans the graph for the given inputs' shapes and runs it once: the short way for tests and scripts.
  public func run(_ inputs: [String: GraphTensor], limits: GraphLimits = .default) throws -> [String: GraphTensor] {
    let plan = try ExecutionPlan(graph: self, inputShapes: inputs.mapValues(\.shape), limits: limits)
    return try Executor(plan: plan).run(inputs)
  }
}
