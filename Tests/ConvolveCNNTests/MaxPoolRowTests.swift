import CKernels
import ConvolveTestSupport
import Testing

/// `ck_max_pool_row` (max pooling's interior windows) at every SIMD level the CPU runs, against the plain loop:
/// equal values, NaN samples skipped, nothing written past the row.
@Suite struct MaxPoolRowTests {
  @Test func everyLevelGivesTheReference() {
    var rng = SplitMix64(seed: 29)
    for trial in 0 ..< 400 {
      let kh = rng.int(0 ... 3), kw = rng.int(1 ... 4), sx = rng.int(1 ... 3)
      let count = trial < 60 ? trial : rng.int(1 ... 200)
      let readable = count == 0 ? kw : (count - 1) * sx + kw + rng.int(0 ... 2)
      let stride = readable + rng.int(0 ... 3)
      var src = (0 ..< max(1, kh) * stride).map { _ in Float.random(in: -5 ... 5, using: &rng) }
      for _ in 0 ..< rng.int(0 ... 3) { src[rng.int(0 ... src.count - 1)] = .nan }
      let expected = (0 ..< count).map { x -> Float in
        var m = -Float.infinity
        for r in 0 ..< kh { for j in 0 ..< kw where src[r * stride + x * sx + j] > m { m = src[r * stride + x * sx + j] } }
        return m
      }
      for level in 0 ... ck_best_level() {
        var got = [Float](repeating: 7, count: count + 1)
        got.withUnsafeMutableBufferPointer { out in
          ck_max_pool_row(level, out.baseAddress, src, stride, Int32(kh), Int32(kw), Int32(sx), count, readable)
        }
        #expect(got.last == 7, "level \(level) wrote past the row")
        #expect(Array(got.prefix(count)) == expected, "level \(level): \(kh)x\(kw) stride \(sx), \(count) outputs")
      }
    }
  }
}
