import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveRender
import Foundation

/// What `ModelRunner` writes besides the model's outputs.
public struct ModelRunOptions: Sendable {
  /// Globs over node names, output names and op types (`Conv`, `conv2d_*`, `all`): these tensors get montages.
  public var layers: [String] = []
  /// Also write every written tensor raw as `<tensor name>.npy`.
  public var saveNpy = false
  /// Also write `report.html`: one row per node (op, shape, time, value range) and the pictures.
  public var report = false
  /// Class names for vector outputs, one per index.
  public var labels: [String]?
  /// How many classes a vector output lists.
  public var topK = 5
  /// List a vector output's scores as they are; otherwise scores that are not probabilities (logits) are listed
  /// as their softmax.
  public var raw = false
  /// How feature maps are drawn.
  public var maps = FeatureMapWriter()
  /// The detector outputs holding the boxes and the scores, when their names and shapes do not say.
  public var boxes: String?
  public var scores: String?
  /// Detections scoring below this are neither drawn nor listed.
  public var threshold: Float = 0.5
  /// Decode a sequence × classes output greedily as CTC (class 0 the blank) into text.
  public var ctc = false

  public init() {}
}

/// Runs a graph on one input and writes what people look at: a one-channel spatial output as a heat map and
/// as an overlay on the photo, many channels as a montage, a vector as a ranked list; the chosen layers'
/// montages; the raw tensors and the report when asked. Plans are made once per input shape and reused.
// Unchecked: `graph` and `options` are constants; the plan cache is read and written under `lock` only.
public final class ModelRunner: @unchecked Sendable {
  public let graph: Graph
  public let options: ModelRunOptions
  private let lock = NSLock()
  private var plans: [[Int]: ExecutionPlan] = [:]

  /// A `layers` pattern that matches no node is a usage error naming the closest name.
  public init(graph: Graph, options: ModelRunOptions) throws {
    try graph.checkSupported()
    for pattern in options.layers where pattern != "all" {
      let matches = graph.nodes.contains { node in
        ([node.name, node.opType] + node.outputs).contains { fnmatch(pattern, $0, 0) == 0 }
      }
      if !matches {
        throw unknownLayer(
          option: "--layers", pattern, in: graph, what: "node, value or op type that matches it",
          also: graph.nodes.map(\.opType))
      }
    }
    for (option, name) in [("--boxes", options.boxes), ("--scores", options.scores)] {
      if let name, !graph.outputs.contains(where: { $0.name == name }) {
        throw ConvolveError.invalidArgument(
          "\(option) \(name): the model has no such output (its outputs: \(graph.outputs.map(\.name).joined(separator: ", ")))")
      }
    }
    self.graph = graph
    self.options = options
  }

  /// The graph's (first) input: its name and declared shape.
  public var input: ValueInfo {
    get throws {
      guard let first = graph.inputs.first else { throw graph.error(ConvolveError.invalidArgument("the model has no input"), node: nil) }
      return first
    }
  }

  /// Node outputs the `layers` globs select (node name, output name or op type; `all` for every node).
  public func selectedValues() -> Set<String> {
    guard !options.layers.isEmpty else { return [] }
    var chosen: Set<String> = []
    for node in graph.nodes {
      let hit = options.layers.contains { glob in
        glob == "all" || ([node.name, node.opType] + node.outputs).contains { fnmatch(glob, $0, 0) == 0 }
      }
      if hit { chosen.formUnion(node.outputs.filter { !$0.isEmpty }) }
    }
    return chosen
  }

  /// The plan for an input of `shape`, made on first use.
  public func plan(for shape: [Int]) throws -> ExecutionPlan {
    lock.lock()
    defer { lock.unlock() }
    if let plan = plans[shape] { return plan }
    let name = try input.name
    let plan = try ExecutionPlan(
      graph: graph, inputShapes: [name: shape], options: PlanOptions(keep: selectedValues()))
    plans[shape] = plan
    return plan
  }

  /// Runs the model on `input` (`1×C×H×W`) and writes into `directory`; `photo` (C×H×W in [0, 1]) is what
  /// overlays are drawn on and the report shows. Returns the files written.
  @discardableResult
  public func run(
    input tensor: GraphTensor, photo: Tensor?, inputName: String, directory: String,
    log: @escaping (String) -> Void = { _ in }
  ) throws -> [String] {
    let plan = try plan(for: tensor.shape)
    let outputs = Set(graph.outputs.map(\.name))
    let selected = selectedValues()
    var written: [String] = []
    var page: RunReport?
    if options.report {
      let shown = photo ?? (try? displayTensor(tensor)).map { mapOutput($0, .normalize) } ?? Tensor(channels: 1, height: 1, width: 1)
      let preview = join(directory, "00-input.png")
      try saveImage(mapOutput(shown.channels == 2 || shown.channels > 4 ? shown.firstChannels(1) : shown, .clip), path: preview)
      written.append(preview)
      var report = RunReport(
        title: lastComponent(graph.source),
        description: (graph.name.isEmpty ? "" : "graph \"\(graph.name)\", ")
          + "opset \(graph.opsetVersion), input \(shapeText(tensor.shape))",
        inputName: inputName, input: shown, inputImage: "00-input.png")
      report.command = "convolve model run"
      report.sectionsOnlyWithImages = true
      page = report
    }
    // Outputs that are not images wait for the others: boxes, scores and classes are read together.
    var deferred: [(name: String, value: GraphTensor)] = []
    _ = try Executor(plan: plan).run([try input.name: tensor]) { event in
      var files: [String] = []
      for (position, (name, value)) in event.outputs.enumerated() {
        if outputs.contains(name), self.isDeferred(name, value) {
          deferred.append((name, value))
          continue
        }
        guard value.elementType == .float32 else { continue }
        if outputs.contains(name) {
          files += try self.writeOutput(name: name, value, photo: photo, directory: directory, log: log)
        } else if selected.contains(name), value.count > 0 {
          let stem = String(format: "%03d-", event.index + 1) + safeFileName(event.node.name.isEmpty ? name : event.node.name)
            + (position > 0 ? "-\(position)" : "")
          files += try self.writeMaps(
            value, stem: stem, directory: directory, title: event.node.name.isEmpty ? name : event.node.name,
            npy: self.options.saveNpy)
        }
        if position == 0, page != nil, let shown = try? displayTensor(value) {
          page!.add(
            name: event.node.name.isEmpty ? name : event.node.name,
            operation: event.nodes.map(\.opType).joined(separator: "+") + self.attributeSummary(event.node),
            output: shown, shape: shapeText(value.shape), milliseconds: event.seconds * 1000, files: files)
        }
      }
      written += files
    }
    for (name, value) in plan.constants where outputs.contains(name) && !deferred.contains(where: { $0.name == name }) {
      if isDeferred(name, value) { deferred.append((name, value)) }
    }
    let order = graph.outputs.map(\.name)
    deferred.sort { (order.firstIndex(of: $0.name) ?? 0) < (order.firstIndex(of: $1.name) ?? 0) }
    written += try writeDeferred(deferred, inputShape: tensor.shape, photo: photo, directory: directory, log: log)
    if let page {
      let path = try page.write(directory: directory)
      written.append(path)
      log("report: \(path)")
    }
    return written
  }

  /// A graph output as people read it.
  func writeOutput(name: String, _ value: GraphTensor, photo: Tensor?, directory: String, log: (String) -> Void)
    throws -> [String]
  {
    let stem = safeFileName(name)
    var files: [String] = []
    if options.saveNpy { files.append(try writeNPY(value, stem: stem, directory: directory, name: name)) }
    let t = try displayTensor(value)
    if t.height > 1 && t.width > 1 {
      if t.channels == 1 {
        if options.maps.saveTIFF { files += try options.maps.floatTIFFs(t, base: join(directory, stem)) }
        let stats = ValueStats(t)
        let heat = stats.min >= 0 && stats.max <= 1 ? t : mapOutput(t, .normalize)
        let colormap = options.maps.colormap
        let path = join(directory, stem + ".png")
        try saveImage(colormap == .gray ? mapOutput(heat, .clip) : try colormap.apply(heat), path: path)
        files.append(path)
        if let photo {
          let over = join(directory, stem + "-overlay.png")
          let base = photo.channels >= 3 ? photo.firstChannels(3) : photo.firstChannels(1)
          try saveImage(
            try followingOverlay(heat, on: base, colormap: options.maps.overlayColormap, maxOpacity: options.maps.overlayOpacity),
            path: over)
          files.append(over)
        }
        log("\(name): \(shapeText(value.shape)), values \(formatValue(stats.min)) to \(formatValue(stats.max)) -> \(files.map(lastComponent).joined(separator: ", "))")
      } else {
        files += try writeMaps(value, stem: stem, directory: directory, title: name, npy: false)  // written above
        log("\(name): \(shapeText(value.shape)) -> \(files.map(lastComponent).joined(separator: ", "))")
      }
      return files
    }
    // A vector: scores, one per class.
    var scores = value.floats
    var heading = "\(name): \(shapeText(value.shape)), top \(min(options.topK, scores.count))"
    if !options.raw && !areProbabilities(scores) {
      scores = softmax(scores)
      heading += " (softmax of the scores; --raw lists them as they are)"
    }
    let ranked = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
    var lines = [heading]
    for (rank, i) in ranked.prefix(options.topK).enumerated() {
      let label = options.labels.flatMap { i < $0.count ? $0[i] : nil }.map { "\($0) " } ?? ""
      lines.append("  \(rank + 1). \(label)(class \(i)) \(formatValue(scores[i]))")
    }
    let path = join(directory, stem + ".txt")
    try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: path)
    lines.forEach(log)
    return files + [path]
  }

  /// The maps of `value` drawn, after its raw values as .npy when `npy`.
  private func writeMaps(_ value: GraphTensor, stem: String, directory: String, title: String, npy: Bool) throws -> [String] {
    var files: [String] = []
    if npy { files.append(try writeNPY(value, stem: stem, directory: directory)) }
    var writer = options.maps
    writer.saveNpy = false
    return files + (try writer.write(try displayTensor(value), directory: directory, stem: stem, title: title))
  }

  /// `value` as `<stem>.npy`, in the type the graph declares for it (float16, double, int32, ... as the ONNX file
  /// says; otherwise float32 or int64 as it is held).
  func writeNPY(_ value: GraphTensor, stem: String, directory: String, name: String? = nil) throws -> String {
    let path = join(directory, stem + ".npy")
    let declared = graph.outputs.first { $0.name == (name ?? "") }?.dataType
    let data: Data
    switch (value.storage, declared) {
    case (.float(let v), 10?): data = NPYArray.npyData(shape: value.shape, floats: v, dtype: "<f2")
    case (.float(let v), 11?): data = NPYArray.npyData(shape: value.shape, floats: v, dtype: "<f8")
    case (.float(let v), _): data = try NPYArray(shape: value.shape, data: v).npyData()
    case (.int64(let v), let type):
      let dtypes: [Int: String] = [2: "|u1", 3: "|i1", 4: "<u2", 5: "<i2", 6: "<i4", 9: "|b1", 12: "<u4", 13: "<u8"]
      data = NPYArray.npyData(shape: value.shape, int64s: v, dtype: type.flatMap { dtypes[$0] } ?? "<i8")
    }
    try AtomicFile.write(data, to: path)
    return path
  }

  private func attributeSummary(_ node: Node) -> String {
    let keys = ["kernel_shape", "strides", "group", "pads", "mode", "axis"].filter { node.attributes[$0] != nil }
    guard !keys.isEmpty else { return "" }
    return " " + keys.map { "\($0)=\(node.attributes[$0]!.summary)" }.joined(separator: " ")
  }
}

private func formatValue(_ v: Float) -> String { String(format: "%.4g", Double(v)) }

/// The usage error for a layer name or pattern (`option`, e.g. `--layer`) that nothing in `graph` answers to,
/// suggesting the closest node or value name (or one of `also`, e.g. op types).
func unknownLayer(option: String, _ name: String, in graph: Graph, what: String, also: [String] = []) -> ConvolveError {
  let names = graph.nodes.map(\.name).filter { !$0.isEmpty } + graph.nodes.flatMap(\.outputs) + also
  let hint = closestName(to: name, in: names).map { "; did you mean '\($0)'?" } ?? ""
  return .usage(
    "\(option) \(name): \(lastComponent(graph.source)) has no \(what)\(hint) (`convolve model info` lists them)")
}
