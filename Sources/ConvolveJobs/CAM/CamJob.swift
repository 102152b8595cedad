import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveRender
import Foundation

/// What `model cam` computes and writes.
public struct CamOptions: Sendable {
  /// The target layer (a node or value name); nil for `defaultCAMLayer`.
  public var layer: String?
  public var classChoice: CAMClassChoice = .top(1)
  /// A segmenter's region (`--target`; nil: `argmax`). Refused for a classifier.
  public var region: CAMRegion?
  public var methods: [CAMMethod] = [.gradcam]
  public var colormap: Colormap = .jet
  /// The overlay's opacity where the map is 1.
  public var maxOpacity: Float = 0.6
  /// Also write each raw map (the layer's resolution, after ReLU) as `<method>.npy`.
  public var saveNpy = false
  /// Class names, one per class number.
  public var labels: [String]?
  /// Occlusion's square side and step in input pixels (nil: 32, clamped to the input, and half the window).
  public var window: Int?, stride: Int?
  /// Integrated gradients' Gauss–Legendre nodes.
  public var steps = 50
  /// SmoothGrad's noisy inputs, the noise's standard deviation as a fraction of the input's range, its seed.
  public var samples = 25, noise = 0.15, seed: UInt64 = 0
  /// Inputs run through the model at once by occlusion, integrated gradients and SmoothGrad.
  public var batchSize = 8
  /// Also measure each map's deletion and insertion AUC (`CAMMetrics`) and write `metrics.json`.
  public var metrics = false
  /// The steps of the deletion and insertion curves.
  public var metricSteps = 64

  public init() {}
}

/// The maps of one input: the scores, the explained classes and one map per method and class.
public struct CamResult: Sendable {
  public var layer: String
  public var layerShape: [Int]
  public var output: String
  public var scores: [Float]
  public var classes: [Int]
  /// One entry per method and explained class (`classIndex` nil for a class-independent method).
  public var maps: [(method: CAMMethod, classIndex: Int?, map: CAMMap)]
  /// Seconds of the forward pass, of the reverse passes and of Score-CAM's and Ablation-CAM's runs.
  public var forwardSeconds: Double, reverseSeconds: Double, maskedSeconds: Double = 0
  /// Seconds of occlusion, integrated gradients and SmoothGrad.
  public var inputSeconds: Double = 0
  /// Checks worth a line: integrated gradients' completeness.
  public var notes: [String] = []
  /// What the scores are (nil: a classifier's output values).
  public var target: CAMTarget? = nil
}

/// Runs a model on one input and explains its classification with class activation maps: one forward pass
/// keeping the target layer, one reverse pass per explained class from its score (the output value as it
/// is, a probability when the model ends in Softmax, as pytorch-grad-cam's `ClassifierOutputTarget`), and
/// every method's map from the activation and the gradient.
public final class CamJob: Sendable {
  public let graph: Graph
  public let path: String
  public let options: CamOptions
  /// The default layer and idle reverse passes by input shape, shared by a folder's jobs.
  let plans = CamPlanCache()

  /// Checks the model's operators and the `--layer` name (an unknown one is a usage error).
  public init(model path: String, graph: Graph, options: CamOptions) throws {
    try fileContent(path) { try graph.checkSupported() }
    if let layer = options.layer { _ = try camLayerValue(layer, in: graph, path: path) }
    guard !options.methods.isEmpty else { throw ConvolveError.invalidArgument("--method: name at least one method") }
    (self.graph, self.path, self.options) = (graph, path, options)
  }

  /// The graph's (first) input name.
  public var inputName: String {
    get throws {
      guard let first = graph.inputs.first else { throw ConvolveError.file(path: path, reason: "the model declares no input") }
      return first.name
    }
  }

  /// The maps for `input` (1×C×H×W).
  public func compute(input: GraphTensor) throws -> CamResult {
    let inputName = try inputName
    let shapes = [inputName: input.shape]
    let layer: String
    if let name = options.layer {
      layer = try camLayerValue(name, in: graph, path: path)
    } else if !options.methods.contains(where: \.needsLayer) {
      layer = inputName
    } else {
      layer = try plans.layer(for: input.shape) {
        let plan = try fileContent(path) { try ExecutionPlan(graph: graph, inputShapes: shapes, options: .none) }
        guard let found = defaultCAMLayer(plan) else {
          throw ConvolveError.file(path: path, reason: "no 1 x C x H x W layer to explain; name one with --layer")
        }
        return found
      }
    }
    guard let output = graph.outputs.first?.name else { throw ConvolveError.file(path: path, reason: "the model declares no output") }
    let saliency = options.methods.contains(.saliency)
    let targets = [layer] + (saliency && layer != inputName ? [inputName] : [])
    let key = "\(input.shape) \(targets)"
    let pass = try plans.take(key) ?? fileContent(path) {
      try CamPass(graph: graph, input: inputName, shape: input.shape, targets: targets, output: output)
    }
    defer { plans.put(key, pass) }
    var clock = Date()
    let values = try fileContent(path) { try pass.forward(input) }
    let forwardSeconds = Date().timeIntervalSince(clock)
    guard let activation = values[layer], let scoresTensor = values[output] else {
      throw ConvolveError.file(path: path, reason: "the layer '\(layer)' or the output '\(output)' was not computed")
    }
    let layerShape = activation.shape
    if options.methods.contains(where: \.needsLayer) { _ = try ClassActivationMaps.layerShape(activation) }
    let target: CAMTarget
    do {
      target = try CAMTarget(
        output: scoresTensor, region: options.region, inputHeight: input.rank == 4 ? input.shape[2] : 1, inputWidth: input.shape.last ?? 1)
    } catch ConvolveError.invalidArgument(let message) where options.region == nil {
      throw ConvolveError.file(path: path, reason: "the output '\(output)': " + message)
    }
    let scores = try target.reduce(scoresTensor).floats
    let classes = try options.classChoice.classes(scores: scores, ranking: target.ranking(scores: scores), labels: options.labels)
    var maps: [(method: CAMMethod, classIndex: Int?, map: CAMMap)] = []
    if options.methods.contains(.eigencam) {
      maps.append((.eigencam, nil, try ClassActivationMaps.eigenCAM(activation: activation)))
    }
    clock = Date()
    let gradientMethods = options.methods.filter(\.needsGradient)
    if !gradientMethods.isEmpty {
      for c in classes {
        let grads = try fileContent(path) { try pass.gradients(of: output, seed: target.seed(class: c, batch: 1)) }
        for method in gradientMethods {
          let g = method == .saliency ? grads[inputName] : grads[layer]
          maps.append((method, c, try ClassActivationMaps.map(method, activation: method == .saliency ? input : activation, gradient: g)))
        }
      }
    }
    let reverseSeconds = Date().timeIntervalSince(clock)
    clock = Date()
    if options.methods.contains(.scorecam) {
      let found = try fileContent(path) { try scoreCAM(activation: activation, input: input, output: output, target: target, classes: classes) }
      maps += zip(classes, found).map { (.scorecam, $0, $1) }
    }
    if options.methods.contains(.ablationcam) {
      let found = try fileContent(path) {
        try ablationCAM(activation: activation, input: input, layer: layer, output: output, target: target, scores: scores, classes: classes)
      }
      maps += zip(classes, found).map { (.ablationcam, $0, $1) }
    }
    let maskedSeconds = Date().timeIntervalSince(clock)
    clock = Date()
    var notes: [String] = []
    maps += try fileContent(path) {
      try inputMaps(input: input, output: output, target: target, scores: scores, classes: classes, notes: &notes)
    }
    return CamResult(
      layer: layer, layerShape: layerShape, output: output, scores: scores, classes: classes, maps: maps,
      forwardSeconds: forwardSeconds, reverseSeconds: reverseSeconds, maskedSeconds: maskedSeconds,
      inputSeconds: Date().timeIntervalSince(clock), notes: notes, target: target)
  }

  /// Score-CAM's masked inputs run 16 at a time through the model's fast plan (one at a time when the model
  /// does not take a batch of 16).
  private func scoreCAM(activation: GraphTensor, input: GraphTensor, output: String, target: CAMTarget, classes: [Int]) throws -> [CAMMap] {
    let run = BatchRun(graph: freeBatch(graph), input: try inputName, output: output)
    do {
      return try ClassActivationMaps.scoreCAM(activation: activation, input: input, classes: classes) { try target.reduce(run([run.input: $0])) }
    } catch {
      return try ClassActivationMaps.scoreCAM(activation: activation, input: input, classes: classes, batchSize: 1) {
        try target.reduce(run([run.input: $0]))
      }
    }
  }

  /// Ablation-CAM's ablated channels, 16 at a time (the input repeated), or one at a time.
  private func ablationCAM(
    activation: GraphTensor, input: GraphTensor, layer: String, output: String, target: CAMTarget, scores: [Float], classes: [Int]
  ) throws -> [CAMMap] {
    let run = BatchRun(graph: ClassActivationMaps.ablationGraph(freeBatch(graph), layer: layer), input: try inputName, output: output)
    func scoresFor(_ keep: GraphTensor, _ fill: GraphTensor) throws -> GraphTensor {
      let b = keep.shape[0]
      let repeated = GraphTensor(shape: [b] + input.shape.dropFirst(), floats: Array([[Float]](repeating: input.floats, count: b).joined()))
      return try target.reduce(run([run.input: repeated, ClassActivationMaps.ablationKeep: keep, ClassActivationMaps.ablationFill: fill]))
    }
    do {
      return try ClassActivationMaps.ablationCAM(activation: activation, original: scores, classes: classes, scores: scoresFor)
    } catch {
      return try ClassActivationMaps.ablationCAM(activation: activation, original: scores, classes: classes, batchSize: 1, scores: scoresFor)
    }
  }

  /// The graph with its first input's batch dimension left free, so that masked inputs can run as a batch.
  func freeBatch(_ graph: Graph) -> Graph {
    var g = graph
    if var first = g.inputs.first, let shape = first.shape, shape.count == 4 {
      first.shape = [.symbolic("batch")] + shape.dropFirst()
      g.inputs[0] = first
    }
    return g
  }

  /// Computes the maps for `input` and writes them into `directory`: `<method>.png` (the map normalised to
  /// [0, 1] by min-max, resized to the photo, in `colormap`), `<method>-overlay.png` (over the photo,
  /// opacity following the map), `<method>.npy` with `saveNpy`, and `classes.txt`. With several classes
  /// (`top3`) each class-dependent file is suffixed `-class<N>` (N the class number); `cam.json` (`CamSummary`);
  /// with `metrics`, `metrics.json` (`CAMMetrics`). Returns the files.
  @discardableResult
  public func run(input: GraphTensor, photo: Tensor?, directory: String, log: (String) -> Void = { _ in }) throws -> [String] {
    let result = try compute(input: input)
    var written: [String] = []
    var summary = CamSummary(result, labels: options.labels)
    let size = photo.map { ($0.height, $0.width) } ?? (input.shape.count == 4 ? (input.shape[2], input.shape[3]) : (1, 1))
    let base = photo.map { $0.channels >= 3 ? $0.firstChannels(3) : $0.firstChannels(1) }
    let several = result.classes.count > 1
    for (method, classIndex, map) in result.maps {
      let stem = method.rawValue + (several && classIndex != nil ? "-class\(classIndex!)" : "")
      var files: [String] = []
      if options.saveNpy {
        let npy = join(directory, stem + ".npy")
        try NPYArray(shape: [map.height, map.width], data: map.values).write(path: npy)
        files.append(npy)
      }
      let heat = try scaledMap(map).resized(height: size.0, width: size.1, options: ResizeMethod.bilinear.options)
      let png = join(directory, stem + ".png")
      try saveImage(options.colormap == .gray ? mapOutput(heat, .clip) : try options.colormap.apply(heat), path: png)
      files.append(png)
      if let base {
        let over = join(directory, stem + "-overlay.png")
        try saveImage(try followingOverlay(heat, on: base, colormap: options.colormap, maxOpacity: options.maxOpacity), path: over)
        files.append(over)
      }
      let peak = map.values.max() ?? 0
      let what = classIndex.map { " for \(className($0))" } ?? ""
      log("\(method.rawValue)\(what): \(planeSizeText(height: map.height, width: map.width)) map, peak \(format(peak)) -> \(files.map(lastComponent).joined(separator: ", "))")
      written += files
      summary.maps.append(.init(method: method.rawValue, class: classIndex, map: stem + ".png", overlay: base == nil ? nil : stem + "-overlay.png"))
    }
    var metricsSeconds: Double?
    if options.metrics {
      let clock = Date()
      let scores = try fileContent(path) { try metrics(result, input: input) }
      metricsSeconds = Date().timeIntervalSince(clock)
      for (i, m) in scores.enumerated() {
        (summary.maps[i].deletion, summary.maps[i].insertion, summary.maps[i].confidenceChange) = (m.deletion, m.insertion, m.confidenceChange)
        (summary.maps[i].roadMostRelevantFirst, summary.maps[i].roadLeastRelevantFirst, summary.maps[i].roadCombined) =
          (m.roadMostRelevantFirst, m.roadLeastRelevantFirst, m.roadCombined)
        let what = m.classIndex.map { " for \(className($0))" } ?? ""
        log(
          String(
            format: "metrics \(m.method.rawValue)\(what): deletion AUC %.4f (lower is better), insertion AUC %.4f (higher is better), "
              + "score for the input times the map %+.4g, ROAD MoRF %+.4g (lower is better), LeRF %+.4g, combined %+.4g (higher is better)",
            m.deletion, m.insertion, m.confidenceChange, m.roadMostRelevantFirst, m.roadLeastRelevantFirst, m.roadCombined))
      }
      let file = CamMetricsFile(steps: options.metricSteps, maps: summary.maps)
      written.append(try file.write(to: join(directory, CamMetricsFile.fileName)))
    }
    written.append(try summary.write(to: join(directory, CamSummary.fileName)))
    let text = join(directory, "classes.txt")
    let lines = classLines(result)
    try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: text)
    lines.forEach(log)
    log(
      String(format: "time: forward %.0f ms, reverse %.0f ms", result.forwardSeconds * 1000, result.reverseSeconds * 1000)
        + (options.methods.contains(.scorecam) || options.methods.contains(.ablationcam)
          ? String(format: ", masked runs %.0f ms", result.maskedSeconds * 1000) : "")
        + (options.methods.contains { [.occlusion, .integratedGradients, .smoothgrad].contains($0) }
          ? String(format: ", occlusion/integrated-gradients/smoothgrad %.0f ms", result.inputSeconds * 1000) : "")
        + (metricsSeconds.map { String(format: ", metrics %.0f ms", $0 * 1000) } ?? ""))
    result.notes.forEach(log)
    return written + [text]
  }

  /// pytorch-grad-cam's `scale_cam_image` before its resize: `(m − min) / (max − min + 1e-7)`, as a 1×H×W tensor.
  public func scaledMap(_ map: CAMMap) -> Tensor {
    let low = map.values.min() ?? 0
    let high = (map.values.max() ?? 0) - low
    var values = map.values
    for i in values.indices { values[i] = (values[i] - low) / (high + 1e-7) }
    return Tensor(channels: 1, height: map.height, width: map.width, data: values)
  }

  /// `classes.txt`: the five best classes (with softmax probabilities when the output is not already
  /// normalised), the explained ones, the layer and the methods.
  public func classLines(_ result: CamResult) -> [String] {
    let scores = result.scores
    var lines: [String]
    if let target = result.target, let shares = target.shares {
      let region = target.region == .argmax ? "the pixels where it is the argmax" : "the --target box"
      lines = ["\(result.output): a segmentation of \(scores.count) classes; a class's score is its output summed over \(region)"]
      for (rank, i) in target.ranking(scores: scores).prefix(5).enumerated() {
        lines.append("  \(rank + 1). \(className(i)) \(format(scores[i])) (argmax at \(String(format: "%.1f", Double(shares[i]) * 100))% of the pixels)")
      }
    } else {
      let normalised = areProbabilities(scores)
      let probabilities = normalised ? scores : softmax(scores)
      lines = ["\(result.output): \(scores.count) classes, " + (normalised ? "probabilities" : "scores (softmax beside them)")]
      for (rank, i) in rankedClasses(scores).prefix(5).enumerated() {
        lines.append("  \(rank + 1). \(className(i)) \(format(scores[i]))" + (normalised ? "" : " (softmax \(format(probabilities[i])))"))
      }
    }
    let several = result.classes.count > 1
    for c in result.classes {
      lines.append(
        "explained: \(className(c)), score \(format(scores[c])) (the output as it is)"
          + (several ? ", files suffixed -class\(c)" : ""))
    }
    lines.append("layer: \(result.layer) \(shapeText(result.layerShape))")
    lines.append("methods: " + options.methods.map(\.rawValue).joined(separator: ", "))
    return lines
  }

  private func className(_ i: Int) -> String {
    let label = options.labels.flatMap { i < $0.count && !$0[i].isEmpty ? $0[i] : nil }
    return label.map { "\($0) (class \(i))" } ?? "class \(i)"
  }
}

/// A graph run on batches, one plan per set of input shapes.
final class BatchRun {
  let graph: Graph, input: String, output: String
  private var plans: [[String: [Int]]: ExecutionPlan] = [:]

  init(graph: Graph, input: String, output: String) { (self.graph, self.input, self.output) = (graph, input, output) }

  func callAsFunction(_ feeds: [String: GraphTensor]) throws -> GraphTensor {
    let shapes = feeds.mapValues(\.shape)
    let plan = try plans[shapes] ?? ExecutionPlan(graph: graph, inputShapes: shapes)
    plans[shapes] = plan
    guard let out = try Executor(plan: plan).run(feeds)[output] else {
      throw ConvolveError.invalidArgument("the output '\(output)' was not computed")
    }
    return out
  }
}

private func format(_ v: Float) -> String { String(format: "%.4g", Double(v)) }

/// Plans `CamJob` keeps between inputs: the default layer per input shape, and reverse passes not in use
/// (one per photo being explained at once), so that a folder plans the model once per job, not twice per
/// photo.
final class CamPlanCache: @unchecked Sendable {  // Sendable: every access to the dictionaries holds `lock`; a pass is used by one thread at a time, between `take` and `put`.
  private let lock = NSLock()
  private var layers: [[Int]: String] = [:]
  private var idle: [String: [CamPass]] = [:]

  func layer(for shape: [Int], make: () throws -> String) throws -> String {
    if let known = lock.withLock({ layers[shape] }) { return known }
    let found = try make()
    lock.withLock { layers[shape] = found }
    return found
  }

  func take(_ key: String) -> CamPass? { lock.withLock { idle[key]?.popLast() } }

  func put(_ key: String, _ pass: CamPass) { lock.withLock { idle[key, default: []].append(pass) } }
}
