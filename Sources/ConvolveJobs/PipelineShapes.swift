import ConvolveCNN
import ConvolveCore
import ConvolveLecture

/// What `shape --pipeline` prints: the shape, parameters and receptive field after every stage of a pipeline
/// file on an input of `size`, as `run` would give them. `photo`: the size was given as HxW alone, so the input
/// has the channels the first layer expects.
public func pipelineShapes(path: String, size: ShapeInput, photo: Bool, rounding: SizeRounding) throws -> [String] {
  let loaded = try Pipeline.load(named: path, option: "--pipeline")
  var chain = loaded.pipeline
  let path = loaded.path
  if rounding != .floor { chain = chain.rounding(.floor, to: rounding) }
  let channels = photo ? chain.inputChannels ?? 3 : chain.preparedChannels(size.channels)
  let graph = try chain.graph(inputChannels: channels, height: size.height, width: size.width)
  let fields = try fileContent(path) {
    try ExecutionPlan(
      graph: graph.graph, inputShapes: [graph.input: [1, channels, size.height, size.width]], options: graph.planOptions
    ).receptiveFields()
  }
  var lines = ["Input: \(size.text(size.height, size.width, channels))"]
  var total = 0
  for (i, stage) in chain.stages.enumerated() {
    let s = graph.stageShapes[i]
    var parameters = 0
    switch stage.operation {
    case .conv(let bank, _), .transposedConv(let bank, _): parameters = bank.parameterCount
    default: break
    }
    total += parameters
    lines.append("\(i + 1). \(stage.name): \(stage.operation.summary)")
    lines.append("   output: \(size.text(s[1], s[2], s[0]))" + (parameters > 0 ? ", parameters: \(parameters)" : ""))
    if let field = fields[graph.stageOutputs[i]] {
      let f = field.columns
      lines.append(field.isGlobal ? "   receptive field: the whole input" : "   receptive field: rf \(f[0]), jump \(f[1]), start \(f[2])")
    }
  }
  for note in graph.notes { lines.append("note: \(note) (\(roundingHint(pools: true)))") }
  if let last = graph.stageShapes.last { lines.append("Output: \(size.text(last[1], last[2], last[0]))") }
  lines.append("Total parameters: \(total)")
  return lines
}
