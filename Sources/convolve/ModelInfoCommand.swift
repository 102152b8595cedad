import ArgumentParser
import ConvolveONNX
import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import Foundation

struct ModelInfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info",
    abstract: "List an ONNX model's inputs, outputs and nodes with their shapes, parameters and MFLOPs.",
    discussion: """
      Shapes are inferred for one input size: --size, else the model's declared size, else 640x640. \
      BatchNormalization is folded into the Conv before it (as when the model runs); shape arithmetic \
      (Shape, Gather, Concat, ...) is computed once and counted as folded. Operators convolve does not run \
      are all listed, with their node names, and the command exits with status 1.

      rf, jump and start are each node's receptive field in input pixels: how many pixels one output \
      position sees, how far apart neighbouring positions' fields are, and the centre of the first one's \
      (negative: in the padding). Through a window of k taps, stride s, dilation d, padding p before:
        rf = rf_in + (k-1)*d*jump_in      jump = jump_in*s
        start = start_in + (d(k-1)/2 - p)*jump_in
      A transposed conv divides the jump by s; a resize by f too (its interpolation adds a pixel or two). \
      Inputs joined (Add, Mul, Concat) take the union of their fields; a 1x1 gate from a global pool \
      (squeeze-and-excitation) is left out of it (marked *); after a global pool the field is the whole \
      input ("all").

      Example:
        convolve model info ch_PP-OCRv4_det_infer.onnx --size 640x640
      """)

  @Argument(help: "ONNX model file.") var model: String
  @Option(help: ArgumentHelp("Input height and width to infer shapes for (default: the model's declared size, else 640x640).", valueName: "HxW"))
  var size: String?

  func run() throws {
    let graph = try ONNXModel.load(path: model)
    print("\(model): \(graph.nodes.count) nodes, opset \(graph.opsetVersion)")
    for input in graph.inputs { print("input  \(input.name): \(input.elementType) \(input.shapeDescription)") }
    for output in graph.outputs { print("output \(output.name): \(output.elementType) \(output.shapeDescription)") }
    let unsupported = graph.unsupportedOperators()
    if !unsupported.isEmpty {
      let byType = Dictionary(grouping: unsupported, by: \.opType).sorted { $0.key < $1.key }
      print("unsupported operators (\(unsupported.count) nodes):")
      for (op, nodes) in byType { print("  \(op): " + nodes.map { "'\($0.nodeName)'" }.joined(separator: ", ")) }
      throw ExitCode.failure
    }
    guard let input = graph.inputs.first else { throw ConvolveError.file(path: model, reason: "the model declares no input") }
    let declared = input.shape ?? []
    var shape = declared.map { dimension -> Int in if case .fixed(let n) = dimension, n > 0 { return n } else { return 1 } }
    if shape.count == 4 {
      if let size {
        let (h, w) = try parseSize(size, option: "--size")
        (shape[2], shape[3]) = (h, w)
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
      return [
        "\(i + 1)", step.node.name.isEmpty ? (step.node.outputs.first ?? "") : step.node.name, step.node.opType,
        step.outputTypes.first.map { shapeText($0.shape) } ?? "", parameters == 0 ? "" : "\(parameters)",
        String(format: "%.1f", Double(2 * step.multiplyAdds) / 1e6),
      ] + fieldColumns(step.node.outputs.first.flatMap { fields[$0] }) + [attributes.joined(separator: " ")]
    }
    let header = ["#", "node", "op", "output", "params", "MFLOPs", "rf", "jump", "start", "attributes"]
    let widths = (0 ..< header.count - 1).map { c in ([header] + rows).map { $0[c].count }.max() ?? 0 }
    for row in [header] + rows {
      print(zip(row.dropLast(), widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
        + "  " + row.last!)
    }
    let parameters = Set(plan.steps.flatMap(\.node.inputs)).compactMap { plan.constants[$0] }
      .filter { $0.elementType == .float32 }.reduce(0) { $0 + $1.count }
    let flops = plan.steps.reduce(0) { $0 + 2 * $1.multiplyAdds }
    print(
      "\ntotal: \(plan.steps.count) nodes run, \(parameters) parameters, \(String(format: "%.2f", Double(flops) / 1e9)) GFLOPs; "
        + "\(plan.foldedBatchNormalizations) BatchNormalization folded into convolutions, "
        + "\(plan.foldedNodes.count) nodes of shape arithmetic computed once")
    if let layer = defaultCAMLayer(plan), let type = plan.types[layer] {
      print("cam: `model cam` explains \(layer) (\(shapeText(type.shape))) unless --layer names another")
    }
  }
}

/// The rf, jump and start columns of a value's receptive field (empty when it has none).
func fieldColumns(_ field: ReceptiveField?) -> [String] {
  guard let field else { return ["", "", ""] }
  if field.isGlobal { return ["all", "", ""] }
  return [field.sizeText + (field.globalContext ? "*" : ""), field.jumpText, field.startText]
}
