import ConvolveCNN
import ConvolveCore
import Foundation

extension CamJob {
  /// Occlusion's square side and step for an `height × width` input: `--window` (default 32) at most the
  /// input's shorter side, `--stride` (default half the window, at least 1).
  public func occlusionWindow(height: Int, width: Int) -> (window: Int, stride: Int) {
    let window = min(options.window ?? 32, min(height, width))
    return (window, options.stride ?? max(1, window / 2))
  }

  /// The maps of occlusion, integrated gradients and SmoothGrad for each class, at the input's resolution.
  func inputMaps(
    input: GraphTensor, output: String, target: CAMTarget, scores: [Float], classes: [Int], notes: inout [String]
  ) throws -> [(method: CAMMethod, classIndex: Int?, map: CAMMap)] {
    let methods = options.methods
    var maps: [(method: CAMMethod, classIndex: Int?, map: CAMMap)] = []
    guard methods.contains(where: { [.occlusion, .integratedGradients, .smoothgrad].contains($0) }) else { return maps }
    guard input.rank == 4, input.shape[0] == 1 else {
      throw ConvolveError.invalidArgument("occlusion, integrated gradients and SmoothGrad need a 1 x C x H x W input, got \(shapeText(input.shape))")
    }
    let inputName = try inputName
    if methods.contains(.occlusion) {
      let run = BatchRun(graph: freeBatch(graph), input: inputName, output: output)
      let (window, stride) = occlusionWindow(height: input.shape[2], width: input.shape[3])
      func occlude(_ batchSize: Int) throws -> [[Float]] {
        try ClassActivationMaps.occlusion(
          input: input, window: window, stride: stride, original: scores, classes: classes, batchSize: batchSize
        ) { try target.reduce(run([inputName: $0])) }
      }
      let found: [[Float]]
      do { found = try occlude(options.batchSize) } catch { found = try occlude(1) }
      for (c, attribution) in zip(classes, found) {
        let map = ClassActivationMaps.rectified(attribution.map(Double.init), height: input.shape[2], width: input.shape[3])
        maps.append((.occlusion, c, map))
      }
    }
    let gradientMethods = methods.filter { $0 == .integratedGradients || $0 == .smoothgrad }
    guard !gradientMethods.isEmpty else { return maps }
    let gradients = InputGradients(batchGraph: freeBatch(graph), graph: graph, input: inputName, output: output, target: target)
    let values = input.floats
    let range = Double((values.max() ?? 0) - (values.min() ?? 0))
    for c in classes {
      for method in gradientMethods {
        // Half the batch of the forward-only runs: a reverse pass keeps every layer's tensors of every item.
        let attribution = try gradients.withFallback(batchSize: max(1, options.batchSize / 2)) { batchSize, run in
          method == .integratedGradients
            ? try ClassActivationMaps.integratedGradients(input: input, steps: options.steps, batchSize: batchSize) { try run($0, c) }
            : try ClassActivationMaps.smoothGrad(
              input: input, samples: options.samples, sigma: options.noise * range, seed: options.seed, batchSize: batchSize
            ) { try run($0, c) }
        }
        if method == .integratedGradients {
          let zero = try gradients.scores(GraphTensor(shape: input.shape, repeating: 0))
          let total = attribution.floats.reduce(0.0) { $0 + Double($1) }
          let expected = Double(scores[c]) - Double(zero[c])
          notes.append(
            "integrated-gradients for class \(c): the attributions sum to \(String(format: "%.4g", total)), "
              + "score(input) - score(0) is \(String(format: "%.4g", expected)) (\(options.steps) steps; more steps bring them closer)")
          maps.append((method, c, try ClassActivationMaps.positiveChannelSum(attribution)))
        } else {
          maps.append((method, c, try ClassActivationMaps.saliency(inputGradient: attribution)))
        }
      }
    }
    return maps
  }
}

/// The gradient of one class's score with respect to a batch of inputs, one reverse pass planned per batch
/// size; with a batch of one the graph as declared (for models that fix their batch at 1).
final class InputGradients {
  let batchGraph: Graph, graph: Graph, input: String, output: String, target: CAMTarget
  private var passes: [Int: ReversePass] = [:]

  init(batchGraph: Graph, graph: Graph, input: String, output: String, target: CAMTarget) {
    (self.batchGraph, self.graph, self.input, self.output, self.target) = (batchGraph, graph, input, output, target)
  }

  /// `body(batchSize, run)`, and again with a batch of one when it fails.
  func withFallback<T>(batchSize: Int, _ body: (Int, (GraphTensor, Int) throws -> GraphTensor) throws -> T) throws -> T {
    if batchSize > 1, let result = try? body(batchSize, callAsFunction) { return result }
    return try body(1, callAsFunction)
  }

  /// ∂score_class/∂input of every item of `batch` (B×C×H×W).
  func callAsFunction(_ batch: GraphTensor, classIndex: Int) throws -> GraphTensor {
    let b = batch.shape[0]
    let pass = try passes[b] ?? ReversePass(graph: b == 1 ? graph : batchGraph, inputShapes: [input: batch.shape], withRespectTo: [input])
    passes[b] = pass
    let values = try pass.forward([input: batch])
    guard let y = values[output], y.shape.first == b, y.count == b * target.itemShape.reduce(1, *), classIndex < target.classCount else {
      throw ConvolveError.invalidArgument("the output '\(output)' for \(b) inputs is \(values[output].map { shapeText($0.shape) } ?? "missing")")
    }
    guard let g = try pass.gradients(of: output, seed: target.seed(class: classIndex, batch: b))[input] else {
      throw ConvolveError.invalidArgument("no gradient reached the input '\(input)'")
    }
    return g
  }

  /// The output row of one input (1×C×H×W).
  func scores(_ x: GraphTensor) throws -> [Float] {
    let run = BatchRun(graph: graph, input: input, output: output)
    return try target.reduce(run([input: x])).floats
  }
}
