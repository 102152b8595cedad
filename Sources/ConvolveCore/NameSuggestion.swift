import Foundation

/// The candidate closest to `name` by edit distance (case-insensitive) if it is close enough to be a
/// likely typo, or one that starts with `name`.
public func closestName(to name: String, in candidates: [String]) -> String? {
  let query = name.lowercased()
  func bare(_ s: String) -> String { s.filter { $0.isLetter || $0.isNumber } }
  // Ignoring separators first makes "sobelx" suggest "sobel-x" rather than "sobel".
  let scored = candidates.map {
    ($0, editDistance(bare(query), bare($0.lowercased())), editDistance(query, $0.lowercased()))
  }
  if let best = scored.min(by: { ($0.1, $0.2) < ($1.1, $1.2) }), best.2 <= max(2, query.count / 3) { return best.0 }
  return candidates.first { $0.lowercased().hasPrefix(query) && !query.isEmpty }
}

/// Levenshtein distance.
public func editDistance(_ a: String, _ b: String) -> Int {
  let a = Array(a), b = Array(b)
  var previous = Array(0 ... b.count)
  for i in 1 ... max(a.count, 1) where !a.isEmpty {
    var current = [i] + [Int](repeating: 0, count: b.count)
    for j in 1 ... max(b.count, 1) where !b.isEmpty {
      current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.count]
}
