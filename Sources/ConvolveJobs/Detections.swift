import ConvolveCNN
import ConvolveCore

/// One detected object: its box in the model input's pixels (`x0, y0` the top-left corner, `x1, y1` the
/// bottom-right), its score and its class number.
public struct Detection: Equatable, Sendable {
  public var x0: Float, y0: Float, x1: Float, y1: Float
  public var score: Float
  public var label: Int

  public init(x0: Float, y0: Float, x1: Float, y1: Float, score: Float, label: Int) {
    (self.x0, self.y0, self.x1, self.y1, self.score, self.label) = (x0, y0, x1, y1, score, label)
  }
}

/// Which of a model's outputs are a detector's: boxes `N × 4` (`[x0, y0, x1, y1]`, leading dimensions of 1
/// allowed), and either one score per box (with an optional integer class per box: post-processing in the
/// graph, as torchvision exports it) or one row of class scores per box (`N × C` or `C × N`: no NMS in the graph).
public struct DetectorOutputs: Equatable, Sendable {
  public var boxes: String
  public var scores: String?
  public var labels: String?
  /// Scores are a class-score matrix, not one score per box.
  public var perClass = false
  /// For a class-score matrix: its classes are the last axis (`N × C`), else the first (`C × N`).
  public var classesLast = true

  /// Finds the outputs among `outputs` (in the graph's order). `boxes` and `scores` name them when the user did;
  /// otherwise boxes are the `N × 4` output with a score output of the same `N` (names with `box`, `score`,
  /// `label`, `class` win among several). nil when nothing looks like a detector's.
  public static func find(_ outputs: [(name: String, value: GraphTensor)], boxes: String?, scores: String?) throws
    -> DetectorOutputs?
  {
    func named(_ name: String, _ option: String) throws -> GraphTensor {
      guard let v = outputs.first(where: { $0.name == name })?.value else {
        throw ConvolveError.invalidArgument(
          "\(option) \(name): the model has no such output (its outputs: \(outputs.map(\.name).joined(separator: ", ")))")
      }
      return v
    }
    var candidates = outputs.filter { boxCount($0.value) != nil }
    if let boxes {
      let v = try named(boxes, "--boxes")
      guard boxCount(v) != nil else {
        throw ConvolveError.invalidArgument("--boxes \(boxes): the output has shape \(shapeText(v.shape)); boxes are N x 4 numbers")
      }
      candidates = [(boxes, v)]
    }
    candidates.sort { hint($0.name, ["box", "bbox", "loc"]) && !hint($1.name, ["box", "bbox", "loc"]) }
    for (name, value) in candidates {
      let n = boxCount(value)!
      var found = DetectorOutputs(boxes: name)
      let others = outputs.filter { $0.name != name }
      if let scores {
        let v = try named(scores, "--scores")
        guard v.elementType == .float32, let layout = scoreLayout(v, boxes: n) else {
          throw ConvolveError.invalidArgument(
            "--scores \(scores): the output has shape \(shapeText(v.shape)); the \(n) boxes need \(n) scores or \(n) x classes")
        }
        found.scores = scores
        (found.perClass, found.classesLast) = (layout.perClass, layout.classesLast)
      } else {
        let fitting = others.filter { $0.value.elementType == .float32 && scoreLayout($0.value, boxes: n) != nil }
          .sorted { hint($0.name, ["score", "conf", "prob"]) && !hint($1.name, ["score", "conf", "prob"]) }
        if let s = fitting.first(where: { !scoreLayout($0.value, boxes: n)!.perClass }) ?? fitting.first {
          let layout = scoreLayout(s.value, boxes: n)!
          found.scores = s.name
          (found.perClass, found.classesLast) = (layout.perClass, layout.classesLast)
        } else if boxes == nil {
          continue
        }
      }
      if !found.perClass {
        found.labels = others.filter { $0.name != found.scores && $0.value.count == n && $0.value.rank >= 1 }
          .first { $0.value.elementType == .int64 || hint($0.name, ["label", "class"]) }?.name
      }
      return found
    }
    return nil
  }

  /// `N` when `value` is `N × 4` numbers (after leading dimensions of 1).
  static func boxCount(_ value: GraphTensor) -> Int? {
    let s = value.shape
    guard value.elementType == .float32, s.count >= 2, s.last == 4, s.dropLast(2).allSatisfy({ $0 == 1 }) else { return nil }
    return s[s.count - 2]
  }

  /// How `value` holds the scores of `n` boxes: one each, or a class-score matrix (classes last or first).
  static func scoreLayout(_ value: GraphTensor, boxes n: Int) -> (perClass: Bool, classesLast: Bool)? {
    let s = Array(value.shape.drop { $0 == 1 })
    if value.count == n && s.count <= 1 { return (false, true) }
    guard s.count == 2 else { return nil }
    if s[0] == n && s[1] >= 2 { return (true, true) }
    if s[1] == n && s[0] >= 2 { return (true, false) }
    return nil
  }

  static func hint(_ name: String, _ words: [String]) -> Bool {
    let lower = name.lowercased()
    return words.contains { lower.contains($0) }
  }

  /// The detections at or above `threshold`, strongest first, in the model input's pixels (coordinates all
  /// within ±1.5 are taken as fractions of the input's `width` and `height`). A class-score matrix (logits when
  /// some value is outside 0...1: their softmax) gives each box its best class, and a box overlapping a stronger
  /// one of the same class by an intersection over union above `iou` is dropped; at most `limit` are kept.
  public func detections(
    _ outputs: [String: GraphTensor], threshold: Float, width: Int, height: Int, iou: Float = 0.5, limit: Int = 300
  ) -> [Detection] {
    guard let b = outputs[boxes]?.floats else { return [] }
    let n = b.count / 4
    let fractions = n > 0 && b.allSatisfy { abs($0) <= 1.5 }
    let (sx, sy) = fractions ? (Float(width), Float(height)) : (1, 1)
    var found: [Detection] = []
    let s = scores.flatMap { outputs[$0]?.floats } ?? [Float](repeating: 1, count: n)
    let l = labels.flatMap { outputs[$0]?.int64s }
    for i in 0 ..< n {
      var (score, label) = (s.indices.contains(i) ? s[i] : 1, l.map { i < $0.count ? Int(clamping: $0[i]) : 0 } ?? 0)
      if perClass {
        let classes = s.count / max(n, 1)
        var row = (0 ..< classes).map { c in classesLast ? s[i * classes + c] : s[c * n + i] }
        if row.contains(where: { $0 < 0 || $0 > 1 }) { row = softmax(row) }
        guard let best = row.indices.max(by: { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }) else { continue }
        (score, label) = (row[best], best)
      }
      guard score >= threshold else { continue }
      let (x0, x1) = (min(b[4 * i], b[4 * i + 2]) * sx, max(b[4 * i], b[4 * i + 2]) * sx)
      let (y0, y1) = (min(b[4 * i + 1], b[4 * i + 3]) * sy, max(b[4 * i + 1], b[4 * i + 3]) * sy)
      found.append(Detection(x0: x0, y0: y0, x1: x1, y1: y1, score: score, label: label))
    }
    let order = found.indices.sorted { found[$0].score > found[$1].score || (found[$0].score == found[$1].score && $0 < $1) }
    var kept: [Detection] = []
    for i in order where kept.count < limit {
      let d = found[i]
      if perClass, kept.contains(where: { $0.label == d.label && overlap($0, d) > iou }) { continue }
      kept.append(d)
    }
    return kept
  }
}

/// The intersection over union of two boxes.
func overlap(_ a: Detection, _ b: Detection) -> Float {
  let w = min(a.x1, b.x1) - max(a.x0, b.x0), h = min(a.y1, b.y1) - max(a.y0, b.y0)
  guard w > 0, h > 0 else { return 0 }
  let inter = w * h, union = (a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter
  return union > 0 ? inter / union : 0
}
