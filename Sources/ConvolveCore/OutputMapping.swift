
/// How a float result becomes displayable values in [0, 1].
public enum OutputMapping: String, CaseIterable, Sendable {
  /// Values clipped to [0, 1].
  case clip
  /// Absolute values, clipped to [0, 1]: both signs of a response show alike.
  case abs
  /// Stretched linearly so the smallest value becomes 0 and the largest 1; a constant map becomes 0.
  case normalize
  /// 0.5 added, then clipped: zero shows as mid-grey, for signed responses such as emboss.
  case offset
}

/// `t` mapped to [0, 1] by `m`; NaN becomes 0 and NaN is left out of ranges and percentiles.
/// - Parameters:
///   - perChannel: `.normalize` stretches each channel by its own range; otherwise by one range over
///     all channels, which keeps an image's colour balance.
///   - clipPercentile: for `.normalize`, a percentage `p` in [0, 50): the range runs from the `p`-th to
///     the `(100 − p)`-th percentile (linear between ranks, as numpy's default) and values beyond it clip,
///     so a few outliers do not flatten the rest (like captum's `outlier_perc`). Other mappings ignore it.
public func mapOutput(_ t: Tensor, _ m: OutputMapping, perChannel: Bool = false, clipPercentile: Float? = nil) -> Tensor {
  switch m {
  case .clip: return affine(t, scale: [1], shift: [0], absolute: false)
  case .abs: return affine(t, scale: [1], shift: [0], absolute: true)
  case .offset: return affine(t, scale: [1], shift: [0.5], absolute: false)
  case .normalize:
    if let p = clipPercentile { precondition(p >= 0 && p < 50, "clipPercentile \(p) is not in [0, 50)") }
    return mapOutput(t, normalizedBy: normalizationRanges(t, perChannel: perChannel, clipPercentile: clipPercentile))
  }
}

/// `t` stretched linearly so each range's low end becomes 0 and its high end 1, clamped (NaN becomes 0): one
/// range for all channels or one per channel, as `normalizationRanges` gives them; an empty range gives 0.
public func mapOutput(_ t: Tensor, normalizedBy ranges: [(low: Float, high: Float)]) -> Tensor {
  precondition(ranges.count == 1 || ranges.count == t.channels, "one range, or one per channel")
  let scale = ranges.map { $0.high > $0.low ? 1 / ($0.high - $0.low) : 0 }
  let shift = zip(ranges, scale).map { -$0.low * $1 }
  return affine(t, scale: scale, shift: shift, absolute: false)
}

/// The ranges `.normalize` stretches to [0, 1]: one per channel with `perChannel`, else one for all; each from
/// the smallest to the largest value, or between the percentiles `clipPercentile` and `100 − clipPercentile`
/// (see `mapOutput(_:_:perChannel:clipPercentile:)`). NaN is left out; a channel of NaN only gives (0, 0).
public func normalizationRanges(_ t: Tensor, perChannel: Bool = false, clipPercentile: Float? = nil)
  -> [(low: Float, high: Float)]
{
  let groups = perChannel ? t.channels : 1
  let groupSize = perChannel ? t.planeSize : t.count
  var ranges = [(low: Float, high: Float)](repeating: (0, 0), count: groups)
  t.data.withUnsafeBufferPointer { all in
    ranges.withUnsafeMutableBufferPointer { out in
      let shared = Shared((all, out))
      // Maps one at a time across the cores: each task reads its own map and writes its own range.
      parallelFor(groups) { g in
        let (all, out) = shared.value
        let values = UnsafeBufferPointer(rebasing: all[g * groupSize ..< (g + 1) * groupSize])
        let (lo, hi) = clipPercentile.map { percentileRange(values, $0) } ?? range(values)
        out[g] = lo <= hi ? (lo, hi) : (0, 0)
      }
    }
  }
  return ranges
}

/// `clamp(scale[g]·x + shift[g])` (of `|x|` when `absolute`), with one `scale`/`shift` pair per channel
/// or a single pair for all; the clamp sends NaN to 0.
private func affine(_ t: Tensor, scale: [Float], shift: [Float], absolute: Bool) -> Tensor {
  var out = t
  let groupSize = scale.count == 1 ? t.count : t.planeSize
  out.data.withUnsafeMutableBufferPointer { d in
    for g in 0 ..< scale.count {
      let a = scale[g], b = shift[g]
      for i in g * groupSize ..< (g + 1) * groupSize {
        let x = absolute ? Swift.abs(d[i]) : d[i]
        let y = a * x + b
        d[i] = y > 0 ? (y < 1 ? y : 1) : 0
      }
    }
  }
  return out
}

private func range(_ values: UnsafeBufferPointer<Float>) -> (Float, Float) {
  var lo = Float.infinity, hi = -Float.infinity
  for v in values {
    if v < lo { lo = v }
    if v > hi { hi = v }
  }
  return (lo, hi)
}

/// The range and mean of a set of values, NaN left out; all three are NaN when no value is left.
public struct ValueStats: Equatable, Sendable {
  public var min: Float
  public var max: Float
  public var mean: Float

  public init(min: Float, max: Float, mean: Float) {
    self.min = min
    self.max = max
    self.mean = mean
  }

  /// Over every value of `t`, all channels together.
  public init(_ t: Tensor) {
    self = t.data.withUnsafeBufferPointer { ValueStats(values: $0) }
  }

  /// One entry per channel of `t`.
  public static func perChannel(_ t: Tensor) -> [ValueStats] {
    t.data.withUnsafeBufferPointer { all in
      (0 ..< t.channels).map { c in
        ValueStats(values: UnsafeBufferPointer(rebasing: all[c * t.planeSize ..< (c + 1) * t.planeSize]))
      }
    }
  }

  init(values: UnsafeBufferPointer<Float>) {
    var lo = Float.infinity, hi = -Float.infinity
    var sum: Double = 0
    var n = 0
    for v in values where !v.isNaN {
      if v < lo { lo = v }
      if v > hi { hi = v }
      sum += Double(v)
      n += 1
    }
    self = n == 0 ? ValueStats(min: .nan, max: .nan, mean: .nan) : ValueStats(min: lo, max: hi, mean: Float(sum / Double(n)))
  }
}
