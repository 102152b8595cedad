import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveBatch
import ConvolveRender
import Foundation

/// One layer of a model or pipeline, run on photos: the layer's output for a photo, its receptive field, and
/// how the photo was scaled for the model. The graph runs only up to the layer; plans are made once per input
/// shape and shared by every thread.
// Unchecked: the plan cache is read and written under `lock` only; everything else is constant.
public final class LayerProbe: @unchecked Sendable {
  public enum Source {
    case model(ModelRunner, ModelInput, value: String)
    case pipeline(Pipeline, stage: Int)
  }

  public let source: Source
  public let path: String
  private let lock = NSLock()
  private var plans: [[Int]: (plan: ExecutionPlan, input: String, value: String, field: ReceptiveField)] = [:]

  /// `layer` names a node or one of its outputs (a model), or a stage (a pipeline); an unknown name is a usage
  /// error suggesting the closest.
  public init(model path: String, graph: Graph, layer: String, preprocessing: ModelInput) throws {
    let node = graph.nodes.first { $0.name == layer } ?? graph.nodes.first { $0.outputs.contains(layer) }
    guard let node, let value = node.name == layer ? node.outputs.first(where: { !$0.isEmpty }) : layer else {
      throw unknownLayer(option: "--layer", layer, in: graph, what: "node or value of that name")
    }
    var options = ModelRunOptions()
    options.layers = [value]
    let runner = try fileContent(path) { try ModelRunner(graph: graph, options: options) }
    (self.source, self.path) = (.model(runner, preprocessing, value: value), path)
  }

  public init(pipeline path: String, chain: Pipeline, layer: String) throws {
    let names = chain.stages.map(\.name)
    guard let stage = names.firstIndex(of: layer) ?? Int(layer).flatMap({ (1 ... names.count).contains($0) ? $0 - 1 : nil })
    else {
      let hint = closestName(to: layer, in: names).map { "; did you mean '\($0)'?" } ?? ""
      throw ConvolveError.invalidArgument(
        "--layer \(layer): \(lastComponent(path)) has no stage of that name\(hint) (its stages: \(names.joined(separator: ", ")))")
    }
    (self.source, self.path) = (.pipeline(chain, stage: stage), path)
  }

  /// The layer's output for a loaded photo, its receptive field in model-input pixels, photo pixels per model
  /// pixel, the model input's top-left edge in the photo (not 0 under a centre crop) and its height and width.
  public func run(_ image: LoadedImage, path photoPath: String, maxPixels: Int) throws -> (
    map: GraphTensor, field: ReceptiveField, scale: (y: Double, x: Double), origin: (y: Double, x: Double),
    input: (height: Int, width: Int)
  ) {
    let photo = image.tensor
    let input: GraphTensor
    var origin = (y: 0.0, x: 0.0)
    var scale: (y: Double, x: Double)?
    switch source {
    case .model(let runner, let preprocessing, _):
      let (tensor, geometry, _) = try modelInputGeometry(
        runner: runner, preprocessing: preprocessing, photo: photo, maxPixels: maxPixels)
      input = tensor
      (origin, scale) = (geometry.origin, geometry.scale)
    case .pipeline(let chain, _):
      let prepared = chain.prepared(photo).tensor
      input = GraphTensor(prepared, shape: [1, prepared.channels, prepared.height, prepared.width])
    }
    let planned = try plan(for: input.shape)
    var captured: GraphTensor?
    do {
      _ = try Executor(plan: planned.plan).run([planned.input: input]) { event in
        if let hit = event.outputs.first(where: { $0.name == planned.value }) {
          captured = hit.tensor
          throw StopAtLayer()
        }
      }
    } catch is StopAtLayer {}
    guard let map = captured else {
      throw ConvolveError.file(path: path, reason: "the layer's value '\(planned.value)' was not computed")
    }
    let (h, w) = (input.shape[2], input.shape[3])
    return (map, planned.field, scale ?? (Double(photo.height) / Double(h), Double(photo.width) / Double(w)), origin, (h, w))
  }

  /// The layer's channel count and receptive field for a photo of the given size (without running it).
  public func describe(photoHeight: Int, photoWidth: Int, channels: Int) throws -> (channels: Int, field: ReceptiveField) {
    let shape: [Int]
    switch source {
    case .model(let runner, let preprocessing, _):
      let declared = try runner.input.shape
      let (h, w) = preprocessing.modelSize(photoHeight: photoHeight, photoWidth: photoWidth, declared: declared)
      shape = [1, ModelInput.channels(declared: declared), h, w]
    case .pipeline(let chain, _):
      shape = [1, chain.preparedChannels(channels), photoHeight, photoWidth]
    }
    let planned = try plan(for: shape)
    guard let type = planned.plan.type(of: planned.value), type.shape.count == 4 else {
      throw ConvolveError.invalidArgument(
        "--layer: the value '\(planned.value)' is not a 1 x C x H x W map (\(planned.plan.type(of: planned.value)?.description ?? "unknown")); choose a convolution or pooling layer")
    }
    return (type.shape[1], planned.field)
  }

  private func plan(for shape: [Int]) throws -> (plan: ExecutionPlan, input: String, value: String, field: ReceptiveField) {
    lock.lock()
    defer { lock.unlock() }
    if let p = plans[shape] { return p }
    let made: (plan: ExecutionPlan, input: String, value: String)
    switch source {
    case .model(let runner, _, let value):
      made = (try fileContent(path) { try runner.plan(for: shape) }, try runner.input.name, value)
    case .pipeline(let chain, let stage):
      let graph = try fileContent(path) { try chain.graph(inputChannels: shape[1], height: shape[2], width: shape[3]) }
      let plan = try fileContent(path) {
        try ExecutionPlan(graph: graph.graph, inputShapes: [graph.input: shape], options: graph.planOptions)
      }
      made = (plan, graph.input, graph.stageOutputs[stage])
    }
    guard let field = made.plan.receptiveFields()[made.value] else {
      throw ConvolveError.invalidArgument(
        "--layer: the value '\(made.value)' has no receptive field in the input (it is not computed from the photo by spatial layers); choose a convolution or pooling layer")
    }
    let entry = (made.plan, made.input, made.value, field)
    plans[shape] = entry
    return entry
  }
}

/// Thrown by the observer once the layer is seen: the rest of the graph is not needed.
private struct StopAtLayer: Error {}

/// FNV-1a 64 of a file's bytes in hex, or an error naming the file.
public func fileFingerprint(_ path: String) throws -> String {
  String(fnv1a64(bytes: try readFileData(path)), radix: 16)
}
