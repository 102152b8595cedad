/// The `p`-th and `(100 − p)`-th percentiles of the values that are not NaN, linear between ranks (numpy's
/// default), exactly as a sort gives them, in three passes: the range, a histogram of 4096 bins
/// over it, and the values of the (at most four) bins that hold the ranks wanted, selected among themselves.
func percentileRange(_ values: UnsafeBufferPointer<Float>, _ p: Float) -> (Float, Float) {
  var count = 0, lo = Float.infinity, hi = -Float.infinity
  for v in values where !v.isNaN {
    count += 1
    lo = min(lo, v)
    hi = max(hi, v)
  }
  guard count > 0 else { return (0, 0) }
  guard lo < hi, (hi - lo).isFinite else { return percentileRangeBySelection(values, p) }
  let bins = 4096
  let scale = Float(bins) / (hi - lo)
  @inline(__always) func bin(_ v: Float) -> Int { min(bins - 1, Int((v - lo) * scale)) }
  var counts = [Int](repeating: 0, count: bins)
  counts.withUnsafeMutableBufferPointer { c in
    for v in values where !v.isNaN { c[bin(v)] += 1 }
  }
  // The ranks wanted: each percentile's rank and the next one it interpolates towards.
  let positions = [p, 100 - p].map { q in q / 100 * Float(count - 1) }
  let ranks = positions.flatMap { position -> [Int] in
    let i = min(Int(position), count - 1)
    return [i, min(i + 1, count - 1)]
  }
  // Each rank's bin and the rank of that bin's first value.
  var starts = [Int](repeating: 0, count: bins + 1)
  for b in 0 ..< bins { starts[b + 1] = starts[b] + counts[b] }
  let rankBins = ranks.map { r in (0 ..< bins).first { starts[$0 + 1] > r }! }
  let wanted = Array(Set(rankBins)).sorted()
  var members = [[Float]](repeating: [], count: wanted.count)
  var slot = [Int](repeating: -1, count: bins)
  for (k, b) in wanted.enumerated() {
    members[k].reserveCapacity(counts[b])
    slot[b] = k
  }
  for v in values where !v.isNaN {
    let k = slot[bin(v)]
    if k >= 0 { members[k].append(v) }
  }
  let at = zip(ranks, rankBins).map { r, b -> Float in
    let k = wanted.firstIndex(of: b)!
    return members[k].withUnsafeMutableBufferPointer { select($0, r - starts[b]) }
  }
  func percentile(_ n: Int) -> Float {
    let position = positions[n], low = at[2 * n], next = at[2 * n + 1]
    return position > Float(Int(position)) ? low + (position - Float(Int(position))) * (next - low) : low
  }
  return (percentile(0), percentile(1))
}

/// `percentileRange` by selection on a copy of every value: for ranges the histogram cannot span (infinities,
/// one value).
func percentileRangeBySelection(_ values: UnsafeBufferPointer<Float>, _ p: Float) -> (Float, Float) {
  var kept = [Float]()
  kept.reserveCapacity(values.count)
  for v in values where !v.isNaN { kept.append(v) }
  guard !kept.isEmpty else { return (0, 0) }
  return kept.withUnsafeMutableBufferPointer { a in
    // The low rank first; the high one (not below it) is then selected among the values after it only.
    var from = 0
    func percentile(_ q: Float) -> Float {
      let position = q / 100 * Float(a.count - 1)
      let i = min(Int(position), a.count - 1)
      let low = select(a, i, from: min(from, i))
      from = i + 1
      guard i + 1 < a.count, position > Float(i) else { return low }
      // After `select`, every value past `i` is at least `a[i]`: the next rank is their smallest.
      var next = a[i + 1]
      for k in i + 2 ..< a.count where a[k] < next { next = a[k] }
      return low + (position - Float(i)) * (next - low)
    }
    return (percentile(p), percentile(100 - p))
  }
}

/// Reorders `a[from...]` so that `a[k]` is the value a sort would put there, nothing before it larger and nothing
/// after it smaller, and returns it: quickselect with a median-of-three pivot and three-way partitions, so that runs
/// of equal values (a ReLU map's zeros) take one pass. `a[..<from]` must hold no value larger than any after it.
@discardableResult
func select(_ a: UnsafeMutableBufferPointer<Float>, _ k: Int, from: Int = 0) -> Float {
  var lo = from, hi = a.count - 1
  while lo < hi {
    let mid = lo + (hi - lo) / 2
    let (x, y, z) = (a[lo], a[mid], a[hi])
    let pivot = max(min(x, y), min(max(x, y), z))
    // a[lo..<lt] < pivot, a[lt..<i] == pivot, a[gt+1...hi] > pivot.
    var lt = lo, i = lo, gt = hi
    while i <= gt {
      let v = a[i]
      if v < pivot {
        a.swapAt(lt, i)
        lt += 1
        i += 1
      } else if v > pivot {
        a.swapAt(i, gt)
        gt -= 1
      } else {
        i += 1
      }
    }
    if k < lt {
      hi = lt - 1
    } else if k > gt {
      lo = gt + 1
    } else {
      return a[k]
    }
  }
  return a[k]
}

