import ConvolveCNN
import ConvolveCore
import Foundation

/// What `model info` prints of a model: its inputs and outputs, then, planned for one input size, a table of
/// every node's shape, parameters, MFLOPs and receptive field, and the totals, each line given to `print` as it
/// is known. False when some operator cannot run: the lines then list those operators, then every node with the
/// unsupported ones marked, and nothing is planned.
public func modelInfo(_ graph: Graph, path: String, size: (height: Int, width: Int)?, print: (String) -> Void) throws
  -> Bool
{
  print("\(path): \(graph.nodes.count) nodes, opset \(graph.opsetVersion)")
  for input in graph.inputs { print("input  \(input.name): \(input.elementType) \(input.shapeDescription)") }
  for output in graph.outputs { print("output \(output.name): \(output.elementType) \(output.shapeDescription)") }
  let unsupported = graph.unsupportedOperators()
  if !unsupported.isEmpty {
    print("unsupported operators (\(unsupported.count) nodes):")
    for line in graph.unsupportedSummary() { print("  " + line) }
    unplannedTable(graph, print: print)
    print(
      "\ntotal: \(graph.nodes.count) nodes, \(unsupported.count) of them unsupported (marked); shapes, parameters "
        + "and FLOPs need every operator, so nothing was planned")
    return false
  }
  guard let input = graph.inputs.first else { throw ConvolveError.file(path: path, reason: "the model declares no input") }
  let declared = input.shape ?? []
  var shape = declared.map { dimension -> Int in if case .fixed(let n) = dimension, n > 0 { return n } else { return 1 } }
  if shape.count == 4 {
    if let size {
      (shape[2], shape[3]) = (size.height, size.width)
    } else if case .fixed = declared[2], case .fixed = declared[3] {
    } else {
      (shape[2], shape[3]) = (640, 640)
      print("note: the model's height and width are free; shapes below are for 640x640 (choose with --size)")
    }
    if case .fixed = declared[1] {} else { shape[1] = 3 }
  }
  let plan = try ExecutionPlan(graph: graph, inputShapes: [input.name: shape], options: .none)
  let fields = plan.receptiveFields()
  print("planned for \(input.name) = \(shapeText(shape))\n")
  let rows = plan.steps.enumerated().map { i, step -> [String] in
    let weights = step.node.inputs.compactMap { plan.constants[$0] }.filter { $0.elementType == .float32 }
    let parameters = weights.reduce(0) { $0 + $1.count }
    let attributes = ["kernel_shape", "strides", "pads", "group", "dilations", "mode"].compactMap { key in
      step.node.attributes[key].map { "\(key)=\($0.summary)" }
    }
    let field = step.node.outputs.first.flatMap { fields[$0] }
    return [
      "\(i + 1)", step.node.name.isEmpty ? (step.node.outputs.first ?? "") : step.node.name, step.node.opType,
      step.outputTypes.first.map { shapeText($0.shape) } ?? "", parameters == 0 ? "" : "\(parameters)",
      String(format: "%.1f", Double(2 * step.multiplyAdds) / 1e6),
    ] + (field?.columns ?? ["", "", ""]) + [attributes.joined(separator: " ")]
  }
  printTable(["#", "node", "op", "output", "params", "MFLOPs", "rf", "jump", "start", "attributes"], rows, print: print)
  let parameters = Set(plan.steps.flatMap(\.node.inputs)).compactMap { plan.constants[$0] }
    .filter { $0.elementType == .float32 }.reduce(0) { $0 + $1.count }
  let flops = plan.steps.reduce(0) { $0 + 2 * $1.multiplyAdds }
  // The header's count, split: the folded nodes of a taken If branch are not the graph's own.
  let outputs = Set(graph.nodes.flatMap(\.outputs).filter { !$0.isEmpty })
  let folded = plan.foldedNodes.filter { $0.outputs.contains { outputs.contains($0) } }.count
  let run = graph.nodes.count - plan.foldedBatchNormalizations - folded
  print(
    "\ntotal: \(graph.nodes.count) nodes: \(run) run, \(plan.foldedBatchNormalizations) BatchNormalization folded into "
      + "convolutions, \(folded) of shape arithmetic computed once; \(parameters) parameters, "
      + "\(String(format: "%.2f", Double(flops) / 1e9)) GFLOPs")
  if let layer = defaultCAMLayer(plan), let type = plan.types[layer] {
    print("cam: `model cam` explains \(layer) (\(shapeText(type.shape))) unless --layer names another")
  }
  return true
}

/// Every node of a graph that cannot be planned, in file order, the unsupported ones marked.
private func unplannedTable(_ graph: Graph, print: (String) -> Void) {
  print("")
  let unsupported = Set(graph.unsupportedOperators().map(\.nodeName))
  let rows = graph.nodes.enumerated().map { i, node -> [String] in
    let supported = !unsupported.contains(node.name.isEmpty ? (node.outputs.first ?? "?") : node.name)
    return [
      "\(i + 1)", node.name.isEmpty ? (node.outputs.first ?? "") : node.name, node.opType,
      node.outputs.filter { !$0.isEmpty }.joined(separator: ", "), supported ? "" : "<- not supported",
    ]
  }
  printTable(["#", "node", "op", "outputs", ""], rows, print: print)
}

/// Rows under a header, columns padded to their widest cell but the last.
private func printTable(_ header: [String], _ rows: [[String]], print: (String) -> Void) {
  let widths = (0 ..< header.count - 1).map { c in ([header] + rows).map { $0[c].count }.max() ?? 0 }
  for row in [header] + rows {
    print(
      zip(row.dropLast(), widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
        + "  " + row.last!)
  }
}
