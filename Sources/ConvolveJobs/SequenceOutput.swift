import ConvolveCNN
import ConvolveCore
import Foundation

/// A sequence × classes output, as a text recogniser gives (`1 × T × C`, `T × 1 × C`, or `T × C` with `--ctc`):
/// one distribution over the classes per step.
public struct SequenceOutput: Equatable, Sendable {
  public var steps: Int
  public var classes: Int
  /// Each step's class scores.
  public var rows: [[Float]]

  /// The steps of `value` when it is a sequence × classes output: always when `ctc` is asked (any of the three
  /// shapes, `T ≥ 1`, `C ≥ 2`), otherwise only `1 × T × C` or `T × 1 × C` (`T ≥ 2`, `C ≥ 3`) whose rows are
  /// probabilities (each non-negative, summing to 1). nil otherwise.
  public init?(_ value: GraphTensor, ctc: Bool) {
    let s = value.shape
    guard value.elementType == .float32 else { return nil }
    let (t, c): (Int, Int)
    switch s.count {
    case 3 where s[0] == 1: (t, c) = (s[1], s[2])
    case 3 where s[1] == 1: (t, c) = (s[0], s[2])
    case 2 where ctc: (t, c) = (s[0], s[1])
    default: return nil
    }
    let v = value.floats
    let rows = (0 ..< t).map { Array(v[$0 * c ..< ($0 + 1) * c]) }
    if !ctc {
      guard t >= 2, c >= 3,
        rows.allSatisfy({ row in row.allSatisfy { $0 >= 0 } && abs(row.reduce(0, +) - 1) <= 1e-3 })
      else { return nil }
    }
    guard t >= 1, c >= 2 else { return nil }
    (steps, classes, self.rows) = (t, c, rows)
  }

  /// The best class of each step (ties to the lower class).
  public var bestClasses: [Int] {
    rows.map { row in row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) } ?? 0 }
  }

  /// Greedy CTC decoding: each step's best class, repeats merged, the blank (class 0) dropped.
  public var ctcClasses: [Int] {
    var out: [Int] = [], previous = -1
    for c in bestClasses {
      if c != previous && c != 0 { out.append(c) }
      previous = c
    }
    return out
  }

  /// The name of class `c`: from `labels` when it lists every class (blank included), or, as PaddleOCR's
  /// dictionaries, every class but the blank (class `c` is line `c − 1`; the class after the last line is a
  /// space); `[c]` without labels or beyond them.
  public func name(_ c: Int, labels: [String]?) -> String {
    guard let labels else { return "[\(c)]" }
    if labels.count == classes { return labels[c] }
    if c >= 1 && c - 1 < labels.count { return labels[c - 1] }
    if c - 1 == labels.count { return " " }
    return "[\(c)]"
  }

  /// The lines of `<output>.txt`: the decoded text with `ctc`, then the `top` best classes of every step.
  public func lines(name output: String, labels: [String]?, ctc: Bool, top: Int) -> [String] {
    var lines: [String] = []
    if ctc { lines.append("\(output): text \"\(ctcClasses.map { name($0, labels: labels) }.joined())\" (greedy CTC, blank = class 0)") }
    lines.append("\(output): \(steps) steps x \(classes) classes, the top \(min(top, classes)) of each step")
    for (t, row) in rows.enumerated() {
      let ranked = row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }.prefix(top)
      let items = ranked.map { c in "\(c == 0 && ctc ? "blank" : name(c, labels: labels)) (\(c)) \(String(format: "%.4g", Double(row[c])))" }
      lines.append("  \(t): " + items.joined(separator: ", "))
    }
    return lines
  }
}

/// An integer output as text: its shape, then its values one row (last dimension) per line, at most `limit`
/// values.
public func integerLines(name: String, _ value: GraphTensor, limit: Int = 10_000) -> [String] {
  let v = value.int64s
  let width = max(value.shape.last ?? 1, 1)
  var lines = ["\(name): int64 \(shapeText(value.shape))" + (v.count > limit ? ", the first \(limit) values" : "")]
  var start = 0
  while start < min(v.count, limit) {
    let end = min(start + width, v.count, limit)
    lines.append("  " + v[start ..< end].map(String.init).joined(separator: " "))
    start = end
  }
  return lines
}
