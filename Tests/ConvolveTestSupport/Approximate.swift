/// Largest `|a - b|`; infinite where only one of a pair is NaN.
public func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
  precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
  return zip(a, b).reduce(0) { max($0, difference($1.0, $1.1)) }
}

/// Largest `|a - b| / max(1, |b|)`; infinite where only one of a pair is NaN.
public func maxRelativeDifference(_ a: [Float], _ b: [Float]) -> Float {
  precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
  return zip(a, b).reduce(0) { max($0, difference($1.0, $1.1) / max(1, abs($1.1))) }
}

private func difference(_ x: Float, _ y: Float) -> Float {
  if x.isNaN || y.isNaN { return x.isNaN && y.isNaN ? 0 : .infinity }
  if x == y { return 0 }  // equal infinities
  return abs(x - y)
}

/// Whether every element of `a` is within `tolerance` of `b`'s, scaled by `max(1, |b|)` when `relative`;
/// the one comparison every test target uses.
public func isApproximatelyEqual(_ a: [Float], _ b: [Float], tolerance: Float, relative: Bool = false) -> Bool {
  a.count == b.count && (relative ? maxRelativeDifference(a, b) : maxDifference(a, b)) <= tolerance
}

public func dot(_ a: [Float], _ b: [Float]) -> Double {
  zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}
