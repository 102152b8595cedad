import CKernels
import ConvolveTestSupport
import Testing

/// `ck_correlate_row` (the filter plans' row loop) at every SIMD level the CPU runs, against the plain loop it
/// replaces: the same bits, since every level adds the rounded products in tap order.
@Suite struct CorrelateRowTests {
  /// `out[x] = Σ_t w[t] · base[off[t] + x]`, one sum at a time.
  func reference(_ base: [Float], _ off: [Int], _ w: [Float], _ count: Int) -> [Float] {
    (0 ..< count).map { x in
      var sum: Float = 0
      for t in off.indices { sum += w[t] * base[off[t] + x] }
      return sum
    }
  }

  @Test func everyLevelGivesTheReferenceBits() {
    var rng = SplitMix64(seed: 41)
    for trial in 0 ..< 300 {
      let count = trial < 80 ? trial : rng.int(1 ... 300)
      let taps = rng.int(0 ... 13), span = rng.int(0 ... 40)
      let off = (0 ..< taps).map { _ in rng.int(0 ... span) }
      let w = (0 ..< taps).map { _ in Float.random(in: -1 ... 1, using: &rng) }
      // Exactly as long as the last tap reads: a masked tail that read past it would be caught by ASan runs.
      let base = (0 ..< count + span).map { _ in Float.random(in: -2 ... 2, using: &rng) }
      let expected = reference(base, off, w, count)
      for level in 0 ... ck_best_level() {
        var got = [Float](repeating: .nan, count: count + 1)
        got.withUnsafeMutableBufferPointer { out in
          ck_correlate_row(level, out.baseAddress, base, off, w, Int32(taps), count)
        }
        #expect(got.last!.isNaN, "level \(level) wrote past the row (count \(count))")
        let same = zip(got, expected).allSatisfy { $0.bitPattern == $1.bitPattern }
        #expect(same, "level \(ck_level_name(level).map { String(cString: $0) } ?? "?"): \(taps) taps, \(count) outputs")
      }
    }
  }
}
