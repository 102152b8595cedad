import ConvolveCNN
import ConvolveCore
import Foundation

/// The forward pass of `model cam` and its reverse passes. When gradients are wanted only at the target
/// layer, the graph is cut there: the nodes before it (the body) run as `model run` plans them, with
/// BatchNormalization and activations folded and fused, and only the nodes that read the layer's value,
/// directly or not (the head), run unfused through a `ReversePass` that starts from the layer and the other
/// values the head reads from the body. Otherwise (saliency, the gradient at the input) the whole graph runs
/// unfused. Either gives the same values and gradients.
final class CamPass {
  /// The body's plan; nil when `head` is the whole graph.
  private let body: ExecutionPlan?
  private let head: ReversePass
  private let input: String
  /// The values the head reads from the body, the layer first.
  private let handoff: [String]

  /// Plans `graph` for inputs of `shape` at `input`, gradients at `targets` (the layer, and with saliency the
  /// input) of `output`.
  init(graph: Graph, input: String, shape: [Int], targets: [String], output: String) throws {
    self.input = input
    if targets.count == 1, let layer = targets.first, layer != input,
      let (body, head, handoff) = try? Self.split(graph, input: input, shape: shape, layer: layer, output: output)
    {
      (self.body, self.head, self.handoff) = (body, head, handoff)
    } else {
      (body, handoff) = (nil, [])
      head = try ReversePass(graph: graph, inputShapes: [input: shape], withRespectTo: targets)
    }
  }

  /// Whether the graph was cut at the layer.
  var isSplit: Bool { body != nil }

  private static func split(
    _ graph: Graph, input: String, shape: [Int], layer: String, output: String
  ) throws -> (ExecutionPlan, ReversePass, [String])? {
    let full = try ExecutionPlan(graph: graph, inputShapes: [input: shape], options: .gradients(keeping: [layer]))
    var reached: Set<String> = [layer]
    var nodes: [Node] = []
    for step in full.steps where step.node.inputs.contains(where: { reached.contains($0) }) {
      nodes.append(step.node)
      reached.formUnion(step.node.outputs.filter { !$0.isEmpty })
    }
    guard reached.contains(output), full.types[layer] != nil else { return nil }
    let produced = Set(nodes.flatMap(\.outputs))
    var handoff = [layer]
    var constants: [String: GraphTensor] = [:]
    for node in nodes {
      for name in node.inputs where !name.isEmpty && !produced.contains(name) && !handoff.contains(name) {
        if let value = full.constants[name] {
          constants[name] = value
        } else {
          guard full.types[name] != nil else { return nil }
          handoff.append(name)
        }
      }
    }
    func info(_ name: String) -> ValueInfo {
      let type = full.types[name]!
      return ValueInfo(name: name, elementType: type.elementType, shape: type.shape.map { .fixed($0) })
    }
    var headGraph = full.graph
    (headGraph.nodes, headGraph.initializers) = (nodes, constants)
    (headGraph.inputs, headGraph.outputs) = (handoff.map(info), [info(output)])
    var bodyGraph = graph
    bodyGraph.outputs = handoff.map { ValueInfo(name: $0, elementType: full.types[$0]!.elementType, shape: nil) }
    let body = try ExecutionPlan(graph: bodyGraph, inputShapes: [input: shape], options: PlanOptions(keep: Set(handoff)))
    let head = try ReversePass(
      graph: headGraph, inputShapes: Dictionary(uniqueKeysWithValues: handoff.map { ($0, full.types[$0]!.shape) }),
      withRespectTo: [layer])
    return (body, head, handoff)
  }

  /// Runs forward: the graph's outputs and the targets' values.
  func forward(_ x: GraphTensor) throws -> [String: GraphTensor] {
    guard let body else { return try head.forward([input: x]) }
    let found = try Executor(plan: body).run([input: x])
    var feeds: [String: GraphTensor] = [:]
    for name in handoff {
      guard let value = found[name] else { throw ConvolveError.invalidArgument("the value '\(name)' was not computed") }
      feeds[name] = value
    }
    return try head.forward(feeds)
  }

  /// The gradients of `output` (seeded with `seed`) at the targets, after `forward`.
  func gradients(of output: String, seed: GraphTensor) throws -> [String: GraphTensor] {
    try head.gradients(of: output, seed: seed)
  }
}
