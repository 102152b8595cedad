import ConvolveCNN
import ConvolveCore
import Foundation

extension ClassActivationMaps {
  /// The names `ablationGraph` adds: the per-channel keep factor and fill value (both `B×C×1×1` inputs) and
  /// the ablated layer that the layer's readers read instead.
  public static let ablationKeep = "cam_ablation_keep", ablationFill = "cam_ablation_fill"

  /// `graph` with `layer` replaced, for its readers, by `layer · keep + fill`: a batch of inputs in which
  /// each item ablates some channels (keep 0, fill the ablation value) and leaves the others as they are.
  public static func ablationGraph(_ graph: Graph, layer: String) -> Graph {
    var g = graph
    let ablated = layer + "_cam_ablated", kept = layer + "_cam_kept"
    g.nodes = g.nodes.map { node in
      var node = node
      node.inputs = node.inputs.map { $0 == layer ? ablated : $0 }
      return node
    }
    let at = (g.nodes.firstIndex { $0.outputs.contains(layer) }).map { $0 + 1 } ?? 0
    g.nodes.insert(contentsOf: [
      Node(name: "cam_ablation_mul", opType: "Mul", inputs: [layer, ablationKeep], outputs: [kept]),
      Node(name: "cam_ablation_add", opType: "Add", inputs: [kept, ablationFill], outputs: [ablated]),
    ], at: at)
    g.inputs += [ValueInfo(name: ablationKeep, shape: nil), ValueInfo(name: ablationFill, shape: nil)]
    return g
  }

  /// Ablation-CAM (Ramaswamy and Desai 2020; `ablation_cam.py` with every channel ablated): each channel k in
  /// turn set to 0 (or, when the activation's minimum is not 0, to that minimum − 1e7, as
  /// pytorch-grad-cam's `AblationLayer` does for its first batch item) and the class's score `y_k` taken
  /// again; `w_k = (y − y_k) / y` with `y` the unablated score, and the map is `ReLU(Σ_k w_k A_k)`.
  /// `scores(keep, fill)` runs a batch (the input repeated, `B×C×1×1` factors) and returns its output rows.
  public static func ablationCAM(
    activation a: GraphTensor, original: [Float], classes: [Int], batchSize: Int = 16,
    scores: (GraphTensor, GraphTensor) throws -> GraphTensor
  ) throws -> [CAMMap] {
    let (c, _, _) = try layerShape(a)
    let low = a.floats.min() ?? 0
    let value: Float = low == 0 ? 0 : low - 1e7
    var rows: [[Float]] = []
    var start = 0
    while start < c {
      let count = min(batchSize, c - start)
      var keep = [Float](repeating: 1, count: count * c), fill = [Float](repeating: 0, count: count * c)
      for b in 0 ..< count {
        keep[b * c + start + b] = 0
        fill[b * c + start + b] = value
      }
      let out = try scores(GraphTensor(shape: [count, c, 1, 1], floats: keep), GraphTensor(shape: [count, c, 1, 1], floats: fill))
      let classCount = out.count / count
      guard out.count == count * classCount, classCount >= 1 else {
        throw ConvolveError.invalidArgument("Ablation-CAM: the output for \(count) inputs is \(shapeText(out.shape))")
      }
      let values = out.floats
      for b in 0 ..< count { rows.append(Array(values[(b * classCount) ..< ((b + 1) * classCount)])) }
      start += count
    }
    return try classes.map { cls in
      guard cls < original.count, rows.allSatisfy({ cls < $0.count }) else { throw ConvolveError.invalidArgument("Ablation-CAM: no class \(cls)") }
      let y = original[cls]
      return weightedSum(a, rows.map { (y - $0[cls]) / y })
    }
  }
}
