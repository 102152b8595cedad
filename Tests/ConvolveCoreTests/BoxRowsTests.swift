import CKernels
import ConvolveTestSupport
import Testing

/// `ck_box_rows` (the box filter's row pass, eight rows at a time) at every SIMD level the CPU runs, against the
/// scalar running sum it replaced: the same bits, rows past `rows` and samples past each row left alone.
@Suite struct BoxRowsTests {
  @Test func everyLevelGivesTheScalarBits() {
    var rng = SplitMix64(seed: 53)
    for _ in 0 ..< 300 {
      let rows = rng.int(1 ... 8), kw = rng.int(1 ... 25), outW = rng.int(1 ... 150)
      let n = outW + kw - 1, stride = n + rng.int(0 ... 3), outStride = outW + rng.int(0 ... 3)
      let weight = Float.random(in: 0.001 ... 1, using: &rng)
      let lines = (0 ..< rows * stride).map { _ in Float.random(in: -100 ... 100, using: &rng) }
      var expected = [Float](repeating: 7, count: 8 * outStride)
      for r in 0 ..< rows {
        let line = Array(lines[(r * stride)...])
        var s: Double = 0
        for j in 0 ..< kw { s += Double(line[j]) }
        expected[r * outStride] = Float(s) * weight
        for x in 1 ..< max(1, outW) {
          s += Double(line[x + kw - 1]) - Double(line[x - 1])
          expected[r * outStride + x] = Float(s) * weight
        }
      }
      for level in 0 ... ck_best_level() {
        var got = [Float](repeating: 7, count: 8 * outStride)
        var scratch = [Float](repeating: .nan, count: (2 * outW + kw - 1) * 8)
        ck_box_rows(level, lines, stride, Int32(rows), Int32(kw), outW, weight, &got, outStride, &scratch)
        #expect(got.map(\.bitPattern) == expected.map(\.bitPattern), "level \(level): \(rows) rows, kw \(kw), \(outW) outputs")
      }
    }
  }
}
