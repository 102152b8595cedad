import ConvolveCore

/// ONNX NonMaxSuppression, as onnxruntime runs it: for each batch and class, the boxes scoring strictly above
/// `score_threshold`, taken by descending score (ties: lower box index first), each kept unless its
/// intersection over union with a box already kept for that class exceeds `iou_threshold`, up to
/// `max_output_boxes_per_class` (0, the default, selects nothing). Boxes are `[y1, x1, y2, x2]` (any two
/// opposite corners) or, with `center_point_box` 1, `[x_center, y_center, width, height]`. The output is one
/// `[batch, class, box]` Int64 row per kept box, batch by batch, class by class; its length depends on the data
/// (a dynamic step, `DynamicShapes`). Indices have no gradient: no reverse rule.
struct NonMaxSuppressionOperator: GraphOperator {
  let centerPointBox: Bool

  init(_ node: Node) throws {
    let c = try node.int("center_point_box", default: 0)
    guard c == 0 || c == 1 else { throw ConvolveError.invalidArgument("center_point_box is \(c); it must be 0 or 1") }
    centerPointBox = c == 1
  }

  func check(boxes: [Int], scores: [Int]) throws {
    guard boxes.count == 3, boxes[2] == 4 || boxes[2] < 0 else {
      throw ConvolveError.shapeMismatch("boxes have shape \(shapeText(boxes)); they must be batches x boxes x 4")
    }
    guard scores.count == 3 else {
      throw ConvolveError.shapeMismatch("scores have shape \(shapeText(scores)); they must be batches x classes x boxes")
    }
    for (a, b, what) in [(boxes[0], scores[0], "batches"), (boxes[1], scores[2], "boxes")] where a >= 0 && b >= 0 && a != b {
      throw ConvolveError.shapeMismatch("boxes \(shapeText(boxes)) and scores \(shapeText(scores)) differ in their \(what)")
    }
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let boxes = try required(inputs, 0, "boxes"), scores = try required(inputs, 1, "scores")
    guard boxes.type.elementType == .float32, scores.type.elementType == .float32 else {
      throw ConvolveError.invalidArgument("boxes and scores must be floating-point")
    }
    try check(boxes: boxes.shape, scores: scores.shape)
    return [ValueType([-1, 3], .int64)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let boxes = try inputs.get(0, "boxes"), scores = try inputs.get(1, "scores")
    try check(boxes: boxes.shape, scores: scores.shape)
    func scalar(_ i: Int, _ what: String) throws -> GraphTensor? {
      guard let t = inputs.optional(i) else { return nil }
      guard t.count == 1 else { throw ConvolveError.invalidArgument("\(what) has \(t.count) values; it must hold one") }
      return t
    }
    let limit = try scalar(2, "max_output_boxes_per_class")?.int64s[0] ?? 0
    let maxPerClass = Int(clamping: max(limit, 0))
    let iouValue = try scalar(3, "iou_threshold")
    let iou = iouValue?.floats[0] ?? 0
    guard iou >= 0 && iou <= 1 else { throw ConvolveError.invalidArgument("iou_threshold is \(iou); it must be in 0 ... 1") }
    let threshold = try scalar(4, "score_threshold")?.floats[0]
    let (batches, classes, n) = (scores.shape[0], scores.shape[1], scores.shape[2])
    let b = boxes.floats, s = scores.floats
    // Each box as x and y extents (min, max), as onnxruntime orders the corners.
    var extents = [Float](repeating: 0, count: b.count)
    for i in 0 ..< b.count / 4 {
      let (p, q, r, t) = (b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3])
      if centerPointBox {
        (extents[4 * i], extents[4 * i + 1]) = (p - r / 2, p + r / 2)
        (extents[4 * i + 2], extents[4 * i + 3]) = (q - t / 2, q + t / 2)
      } else {
        (extents[4 * i], extents[4 * i + 1]) = q >= t ? (t, q) : (q, t)
        (extents[4 * i + 2], extents[4 * i + 3]) = p >= r ? (r, p) : (p, r)
      }
    }
    var selected: [Int64] = []
    guard maxPerClass > 0 else { return [GraphTensor(shape: [0, 3], int64s: [])] }
    var candidates: [Int] = [], kept: [Int] = []
    for batch in 0 ..< batches {
      for c in 0 ..< classes {
        let row = (batch * classes + c) * n
        candidates.removeAll(keepingCapacity: true)
        for i in 0 ..< n where threshold.map({ s[row + i] > $0 }) ?? true { candidates.append(i) }
        // Descending score, ties to the lower index; NaN scores last (never above a threshold).
        candidates.sort { p, q in
          let (a, z) = (s[row + p], s[row + q])
          if a == z || (a.isNaN && z.isNaN) { return p < q }
          if a.isNaN || z.isNaN { return z.isNaN }
          return a > z
        }
        kept.removeAll(keepingCapacity: true)
        for i in candidates where kept.count < maxPerClass {
          let box = batch * n + i
          if kept.allSatisfy({ !suppresses(extents, box, batch * n + $0, iou) }) {
            kept.append(i)
            selected += [Int64(batch), Int64(c), Int64(i)]
          }
        }
      }
    }
    return [GraphTensor(shape: [selected.count / 3, 3], int64s: selected)]
  }

  /// Whether the intersection over union of boxes `i` and `j` (x min, x max, y min, y max) exceeds `threshold`,
  /// with onnxruntime's order of tests (no overlap or an empty box never suppresses).
  @inline(__always)
  func suppresses(_ e: [Float], _ i: Int, _ j: Int, _ threshold: Float) -> Bool {
    let xMin = max(e[4 * i], e[4 * j]), xMax = min(e[4 * i + 1], e[4 * j + 1])
    guard xMax > xMin else { return false }
    let yMin = max(e[4 * i + 2], e[4 * j + 2]), yMax = min(e[4 * i + 3], e[4 * j + 3])
    guard yMax > yMin else { return false }
    let intersection = (xMax - xMin) * (yMax - yMin)
    guard intersection > 0 else { return false }
    let area1 = (e[4 * i + 1] - e[4 * i]) * (e[4 * i + 3] - e[4 * i + 2])
    let area2 = (e[4 * j + 1] - e[4 * j]) * (e[4 * j + 3] - e[4 * j + 2])
    let union = area1 + area2 - intersection
    guard area1 > 0, area2 > 0, union > 0 else { return false }
    return intersection / union > threshold
  }
}
