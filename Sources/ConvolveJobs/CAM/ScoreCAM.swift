import ConvolveCNN
import ConvolveCore
import Foundation

extension ClassActivationMaps {
  /// Score-CAM's masks (`score_cam.py`): each channel of `activation` (1×C×h×w) resized to `height × width`
  /// bilinearly with aligned corners (`torch.nn.UpsamplingBilinear2d`), then min-max normalised
  /// (`(m − min) / (max − min + 1e-8)`). C planes of `height · width` values.
  public static func scoreCAMMasks(activation a: GraphTensor, height: Int, width: Int) throws -> [[Float]] {
    let (c, h, w) = try layerShape(a)
    let av = a.floats, n = h * w
    let options = ResizeOptions(mode: .linear, coordinates: .alignCorners)
    var masks: [[Float]] = []
    for k in 0 ..< c {
      let plane = Tensor(channels: 1, height: h, width: w, data: Array(av[(k * n) ..< (k * n + n)]))
      var m = try plane.resized(height: height, width: width, options: options).data
      let low = m.min() ?? 0, high = m.max() ?? 0
      for i in m.indices { m[i] = (m[i] - low) / (high - low + 1e-8) }
      masks.append(m)
    }
    return masks
  }

  /// Score-CAM (Wang et al. 2020; `score_cam.py`): the input masked by each channel's mask
  /// (`scoreCAMMasks`) is run through the model, `scores(masked)` giving each masked input's output rows
  /// (`batch × classes`, inputs run `batchSize` at a time); the weights are the softmax over channels of the
  /// class's score, and the map is `ReLU(Σ_k w_k A_k)`. Returns one map per class of `classes`.
  public static func scoreCAM(
    activation a: GraphTensor, input: GraphTensor, classes: [Int], batchSize: Int = 16,
    scores: (GraphTensor) throws -> GraphTensor
  ) throws -> [CAMMap] {
    let (c, _, _) = try layerShape(a)
    guard input.rank == 4, input.shape[0] == 1 else {
      throw ConvolveError.invalidArgument("Score-CAM needs a 1 x C x H x W input, got \(shapeText(input.shape))")
    }
    let (channels, height, width) = (input.shape[1], input.shape[2], input.shape[3])
    let masks = try scoreCAMMasks(activation: a, height: height, width: width)
    let x = input.floats, plane = height * width
    var rows: [[Float]] = []
    var start = 0
    while start < c {
      let count = min(batchSize, c - start)
      var batch = [Float](repeating: 0, count: count * channels * plane)
      for b in 0 ..< count {
        let mask = masks[start + b]
        for ch in 0 ..< channels {
          let base = (b * channels + ch) * plane
          for p in 0 ..< plane { batch[base + p] = x[ch * plane + p] * mask[p] }
        }
      }
      let out = try scores(GraphTensor(shape: [count, channels, height, width], floats: batch))
      let classCount = out.count / count
      guard out.count == count * classCount, classCount >= 1 else {
        throw ConvolveError.invalidArgument("Score-CAM: the output for \(count) inputs is \(shapeText(out.shape))")
      }
      let values = out.floats
      for b in 0 ..< count { rows.append(Array(values[(b * classCount) ..< ((b + 1) * classCount)])) }
      start += count
    }
    return try classes.map { cls in
      guard rows.allSatisfy({ cls < $0.count }) else { throw ConvolveError.invalidArgument("Score-CAM: no class \(cls)") }
      let top = rows.map { Double($0[cls]) }.max() ?? 0
      let e = rows.map { exp(Double($0[cls]) - top) }
      let sum = e.reduce(0, +)
      return weightedSum(a, e.map { Float($0 / sum) })
    }
  }
}
