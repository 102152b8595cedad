import ConvolveCNN
import ConvolveCore
import Foundation

/// One map's faithfulness: the areas under RISE's deletion and insertion curves.
public struct CAMMetricScores: Sendable, Equatable {
  public var method: CAMMethod
  public var classIndex: Int?
  /// Lower is better: the class's probability falls fast as the map's strongest pixels are removed.
  public var deletion: Double
  /// Higher is better: it rises fast as they are put back into a blurred photo.
  public var insertion: Double
  /// pytorch-grad-cam's `CamMultImageConfidenceChange`: the class's score (as it is) for the input times the
  /// map (min-max scaled, resized bilinearly), minus its score for the input.
  public var confidenceChange: Double
  /// ROAD (`ROAD`): the mean change of the class's score (as it is) when the map's most relevant pixels are
  /// imputed (lower is better), when its least relevant are (higher is better), and `(LeRF − MoRF) / 2`
  /// (pytorch-grad-cam's `ROADCombined`, higher is better).
  public var roadMostRelevantFirst: Double = 0, roadLeastRelevantFirst: Double = 0, roadCombined: Double = 0
}

/// Deletion and insertion (Petsiuk et al. 2018, RISE, `evaluation.py`'s `CausalMetric`): the input's pixels
/// ranked by the map (resized bilinearly to the input, ties by position), then moved `perStep` at a time,
/// strongest first, from one image to the other, the class's probability taken after each step (softmax of
/// the output unless it already is probabilities); the area under that curve over [0, 1] by the trapezoid
/// rule. Deletion goes from the input to zeros (the baseline of occlusion and integrated gradients);
/// insertion from the input blurred by RISE's substrate (an 11×11 Gaussian of σ 5, zeros beyond the edge)
/// to the input.
public enum CAMMetrics {
  /// The input's H·W positions, strongest first by `map` resized to `height × width` (ties: first position first).
  public static func pixelOrder(_ map: CAMMap, height: Int, width: Int) throws -> [Int] {
    let values: [Float]
    if map.height == height && map.width == width {
      values = map.values
    } else {
      let plane = Tensor(channels: 1, height: map.height, width: map.width, data: map.values)
      values = try plane.resized(height: height, width: width, options: ResizeMethod.bilinear.options).data
    }
    return values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
  }

  /// RISE's curve: `1 + ⌈HW / perStep⌉` probabilities of `classIndex`, from `start` (C×H×W values) with no pixel
  /// moved to all of `finish`'s; `probabilities(batch)` gives the rows for a batch of inputs, run `batchSize` at a time.
  public static func curve(
    start: [Float], finish: [Float], shape: [Int], order: [Int], perStep: Int, classIndex: Int, batchSize: Int = 8,
    probabilities: (GraphTensor) throws -> [[Float]]
  ) throws -> [Double] {
    let (c, plane) = (shape[1], shape[2] * shape[3])
    let steps = (plane + perStep - 1) / perStep
    var current = start, moved = 0, values: [Double] = []
    var step = 0
    while step <= steps {
      let b = min(batchSize, steps + 1 - step)
      var batch = [Float]()
      batch.reserveCapacity(b * current.count)
      for k in 0 ..< b {
        let target = min((step + k) * perStep, plane)
        while moved < target {
          let p = order[moved]
          for ch in 0 ..< c { current[ch * plane + p] = finish[ch * plane + p] }
          moved += 1
        }
        batch += current
      }
      let rows = try probabilities(GraphTensor(shape: [b] + shape.dropFirst(), floats: batch))
      guard rows.count == b, rows.allSatisfy({ classIndex < $0.count }) else {
        throw ConvolveError.invalidArgument("the metrics' runs gave \(rows.count) rows for \(b) inputs")
      }
      values += rows.map { Double($0[classIndex]) }
      step += b
    }
    return values
  }

  /// RISE's `auc`: the trapezoid rule over [0, 1], `(Σ v − v₀/2 − vₙ/2) / n`.
  public static func auc(_ curve: [Double]) -> Double {
    guard curve.count > 1 else { return curve.first ?? 0 }
    return (curve.reduce(0, +) - curve[0] / 2 - curve[curve.count - 1] / 2) / Double(curve.count - 1)
  }

  /// RISE's insertion substrate: every channel of the C×H×W values convolved with an 11×11 Gaussian of σ 5
  /// (normalised), zeros outside.
  public static func blurred(_ x: [Float], channels c: Int, height h: Int, width w: Int) -> [Float] {
    let radius = 5
    var taps = (-radius ... radius).map { exp(-Double($0 * $0) / 50) }
    let total = taps.reduce(0, +)
    taps = taps.map { $0 / total }
    var out = [Float](repeating: 0, count: x.count)
    var rows = [Double](repeating: 0, count: h * w)
    for ch in 0 ..< c {
      let base = ch * h * w
      for y in 0 ..< h {
        for xx in 0 ..< w {
          var s: Double = 0
          for k in -radius ... radius where xx + k >= 0 && xx + k < w { s += taps[k + radius] * Double(x[base + y * w + xx + k]) }
          rows[y * w + xx] = s
        }
      }
      for y in 0 ..< h {
        for xx in 0 ..< w {
          var s: Double = 0
          for k in -radius ... radius where y + k >= 0 && y + k < h { s += taps[k + radius] * rows[(y + k) * w + xx] }
          out[base + y * w + xx] = Float(s)
        }
      }
    }
    return out
  }
}

extension CamJob {
  /// The deletion and insertion AUC of every map of `result` (for its class; a class-independent map for the
  /// first explained class), `metricSteps` steps each.
  public func metrics(_ result: CamResult, input: GraphTensor) throws -> [CAMMetricScores] {
    guard input.rank == 4, input.shape[0] == 1 else {
      throw ConvolveError.invalidArgument("--metrics needs a 1 x C x H x W input, got \(shapeText(input.shape))")
    }
    let (c, h, w) = (input.shape[1], input.shape[2], input.shape[3])
    let run = BatchRun(graph: freeBatch(graph), input: try inputName, output: result.output)
    let target = try result.target ?? CAMTarget(
      output: GraphTensor(shape: [1, result.scores.count], floats: result.scores), region: nil, inputHeight: h, inputWidth: w)
    func rows(_ batch: GraphTensor) throws -> [[Float]] {
      let out = try target.reduce(run([run.input: batch]))
      let b = batch.shape[0], k = out.count / max(b, 1)
      guard out.count == b * k, k == result.scores.count else {
        throw ConvolveError.invalidArgument("the output for \(b) inputs is \(shapeText(out.shape))")
      }
      let v = out.floats
      return (0 ..< b).map { i in Array(v[(i * k) ..< ((i + 1) * k)]) }
    }
    func probabilities(_ batch: GraphTensor) throws -> [[Float]] {
      let found = try target.probabilities(run([run.input: batch]))
      guard found.count == batch.shape[0] else { throw ConvolveError.invalidArgument("the output for \(batch.shape[0]) inputs gave \(found.count) rows") }
      return found
    }
    let x = input.floats
    let zeros = [Float](repeating: 0, count: x.count)
    let blur = CAMMetrics.blurred(x, channels: c, height: h, width: w)
    let perStep = max(1, (h * w + options.metricSteps - 1) / options.metricSteps)
    var batchSize = options.batchSize
    return try result.maps.map { method, classIndex, map in
      let cls = classIndex ?? result.classes[0]
      var scaled = scaledMap(map)
      if map.height != h || map.width != w { scaled = try scaled.resized(height: h, width: w, options: ResizeMethod.bilinear.options) }
      let plane = h * w
      let multiplied = (0 ..< x.count).map { x[$0] * scaled.data[$0 % plane] }
      let changed = try target.reduce(run([run.input: GraphTensor(shape: input.shape, floats: multiplied)])).floats
      guard changed.count == result.scores.count else { throw ConvolveError.invalidArgument("the output for the input times the map has \(changed.count) values") }
      let confidenceChange = Double(changed[cls]) - Double(result.scores[cls])
      let order = try CAMMetrics.pixelOrder(map, height: h, width: w)
      func both(_ b: Int) throws -> (Double, Double) {
        let deletion = try CAMMetrics.curve(
          start: x, finish: zeros, shape: input.shape, order: order, perStep: perStep, classIndex: cls, batchSize: b,
          probabilities: probabilities)
        let insertion = try CAMMetrics.curve(
          start: blur, finish: x, shape: input.shape, order: order, perStep: perStep, classIndex: cls, batchSize: b,
          probabilities: probabilities)
        return (CAMMetrics.auc(deletion), CAMMetrics.auc(insertion))
      }
      let (deletion, insertion): (Double, Double)
      do {
        (deletion, insertion) = try both(batchSize)
      } catch where batchSize > 1 {
        batchSize = 1
        (deletion, insertion) = try both(1)
      }
      var scores = CAMMetricScores(
        method: method, classIndex: classIndex, deletion: deletion, insertion: insertion, confidenceChange: confidenceChange)
      let changes = try roadChanges(input: input, map: scaled.data, classIndex: cls, original: result.scores[cls], batchSize: &batchSize, rows: rows)
      (scores.roadMostRelevantFirst, scores.roadLeastRelevantFirst, scores.roadCombined) = ROAD.summary(changes)
      return scores
    }
  }

  /// ROAD's score changes for one map (scaled to [0, 1] at the input's resolution), in `ROAD.masks`'s order: the
  /// imputations computed in parallel (noise seeded by `seed`), run `batchSize` at a time (1 if that fails).
  func roadChanges(
    input: GraphTensor, map: [Float], classIndex: Int, original: Float, batchSize: inout Int, rows: (GraphTensor) throws -> [[Float]]
  ) throws -> [Double] {
    let (c, h, w) = (input.shape[1], input.shape[2], input.shape[3])
    let x = input.floats, masks = ROAD.masks(map), seed = options.seed
    var imputed = [[Float]](repeating: [], count: masks.count)
    imputed.withUnsafeMutableBufferPointer { buffer in
      let out = Shared(buffer.baseAddress!)
      parallelFor(masks.count) { i in
        out.value[i] = ROAD.impute(x, channels: c, height: h, width: w, kept: masks[i], seed: seed)
      }
    }
    func run(_ b: Int) throws -> [Double] {
      var changes: [Double] = []
      var start = 0
      while start < imputed.count {
        let count = min(b, imputed.count - start)
        let batch = GraphTensor(shape: [count] + input.shape.dropFirst(), floats: Array(imputed[start ..< (start + count)].joined()))
        let found = try rows(batch)
        guard found.count == count, found.allSatisfy({ classIndex < $0.count }) else {
          throw ConvolveError.invalidArgument("ROAD's runs gave \(found.count) rows for \(count) inputs")
        }
        changes += found.map { Double($0[classIndex] - original) }
        start += count
      }
      return changes
    }
    do {
      return try run(batchSize)
    } catch where batchSize > 1 {
      batchSize = 1
      return try run(1)
    }
  }
}
