import ConvolveTestSupport
import Testing

@testable import ConvolveCore

@Suite struct OutputMappingTests {
  @Test func clipAbsOffset() {
    let t = Tensor(rows: [[-0.5, 0.25, 1.5, .nan, -1.5, 0.75]])
    #expect(mapOutput(t, .clip).data == [0, 0.25, 1, 0, 0, 0.75])
    #expect(mapOutput(t, .abs).data == [0.5, 0.25, 1, 0, 1, 0.75])
    #expect(mapOutput(t, .offset).data == [0, 0.75, 1, 0, 0, 1])
    #expect(OutputMapping.allCases.map(\.rawValue) == ["clip", "abs", "normalize", "offset"])
  }

  @Test func normalizeGlobalKeepsChannelRatios() {
    let t = Tensor(planes: [[[0, 2]], [[4, 8]]])
    #expect(mapOutput(t, .normalize).data == [0, 0.25, 0.5, 1])
    #expect(mapOutput(t, .normalize, perChannel: true).data == [0, 1, 0, 1])
  }

  @Test func normalizeConstantIsZero() {
    let t = Tensor(planes: [[[3, 3], [3, 3]], [[-1, 1], [0, 1]]])
    #expect(mapOutput(Tensor(channels: 2, height: 3, width: 3, repeating: 7), .normalize).data == [Float](repeating: 0, count: 18))
    #expect(mapOutput(t, .normalize, perChannel: true).data == [0, 0, 0, 0, 0, 1, 0.5, 1])
    #expect(mapOutput(t, .normalize, perChannel: true, clipPercentile: 10).data.prefix(4) == [0, 0, 0, 0])
  }

  @Test func percentileClippingIgnoresOutliers() {
    // 0...99 and one outlier: the 2nd and 98th percentiles of the 101 values are ranks 2 and 98.
    var values = (0 ..< 100).map(Float.init) + [1e6]
    values.swapAt(3, 100)
    let t = Tensor(rows: [values])
    let clipped = mapOutput(t, .normalize, clipPercentile: 2)
    #expect(isApproximatelyEqual([clipped[0, 0, 50], clipped[0, 0, 26]], [0.5, 0.25], tolerance: 1e-6))
    #expect(clipped[0, 0, 1] == 0 && clipped[0, 0, 0] == 0)
    #expect(clipped[0, 0, 99] == 1 && clipped[0, 0, 3] == 1)
    #expect(mapOutput(t, .normalize)[0, 0, 50] == 50 / 1e6)
    // Between ranks the percentile interpolates: 25th of 0, 10, 20, 30, 40 is 10, of 0, 10, 20, 30 is 7.5.
    #expect(isApproximatelyEqual(mapOutput(Tensor(rows: [[0, 10, 20, 30, 40]]), .normalize, clipPercentile: 25).data, [0, 0, 0.5, 1, 1], tolerance: 1e-6))
    #expect(isApproximatelyEqual(mapOutput(Tensor(rows: [[0, 10, 20, 30]]), .normalize, clipPercentile: 25).data, [0, 0.1666667, 0.8333333, 1], tolerance: 1e-6))
  }

  /// The histogram and the selection give the values the full sort gave: ranks linear between neighbours, numpy's rule, on maps
  /// with runs of equal values (ReLU zeros), sorted and reversed input, and NaN left out.
  @Test func percentilesMatchTheSort() {
    func bySort(_ values: [Float], _ q: Float) -> Float {
      let s = values.filter { !$0.isNaN }.sorted()
      let position = q / 100 * Float(s.count - 1)
      let i = min(Int(position), s.count - 1), j = min(i + 1, s.count - 1)
      return position > Float(i) ? s[i] + (position - Float(i)) * (s[j] - s[i]) : s[i]
    }
    func same(_ a: Float, _ b: Float) -> Bool { a == b || (a.isNaN && b.isNaN) }
    var rng = SplitMix64(seed: 11)
    for trial in 0 ..< 60 {
      let n = [1, 2, 3, 7, 100, 1001, 4096][trial % 7]
      var v = (0 ..< n).map { _ in Float.random(in: -1 ... 1, using: &rng) }
      switch trial % 5 {
      case 1: v = v.map { max(0, $0) }  // half zeros
      case 2: v.sort()
      case 3: v = v.sorted().reversed()
      case 4:  // few distinct values, and a NaN
        v = v.map { ($0 * 4).rounded() }
        if n > 1 { v[0] = .nan }
      default: break
      }
      if trial % 11 == 10 && n > 2 { (v[1], v[2]) = (.infinity, -.infinity) }  // the range the bins cannot span
      if trial % 13 == 12 { v = v.map { $0 * 1e-30 } }  // tiny values
      for p: Float in [0, 1, 2.5, 10, 49.9] {
        let (lo, hi) = v.withUnsafeBufferPointer { percentileRange($0, p) }
        #expect(same(lo, bySort(v, p)) && same(hi, bySort(v, 100 - p)), "trial \(trial), n \(n), p \(p)")
      }
    }
  }

  @Test func valueStats() {
    let t = Tensor(planes: [[[1, -3], [.nan, 5]], [[0.5, 0.5], [0.5, 0.5]]])
    #expect(ValueStats.perChannel(t) == [ValueStats(min: -3, max: 5, mean: 1), ValueStats(min: 0.5, max: 0.5, mean: 0.5)])
    #expect(ValueStats(t) == ValueStats(min: -3, max: 5, mean: 5.0 / 7))
    #expect(ValueStats(Tensor(rows: [[.nan]])).mean.isNaN)
  }
}
