import CKernels
import ConvolveTestSupport
import Foundation
import Testing

/// `ck_sgemm` (OpenBLAS, opened on first use) against its plain loop on random shapes, transposes, strides,
/// alpha and beta; and that OpenBLAS is the library found where it is installed (as .ci/run installs it).
@Suite struct SGEMMTests {
  @Test func matchesThePlainLoop() {
    var rng = SplitMix64(seed: 41)
    for _ in 0 ..< 200 {
      let m = rng.int(1 ... 40), n = rng.int(1 ... 40), k = rng.int(1 ... 70)
      let ta = rng.int(0 ... 1), tb = rng.int(0 ... 1)
      let lda = (ta == 1 ? m : k) + rng.int(0 ... 3), ldb = (tb == 1 ? k : n) + rng.int(0 ... 3), ldc = n + rng.int(0 ... 3)
      let a = (0 ..< (ta == 1 ? k : m) * lda).map { _ in Float.random(in: -1 ... 1, using: &rng) }
      let b = (0 ..< (tb == 1 ? n : k) * ldb).map { _ in Float.random(in: -1 ... 1, using: &rng) }
      let c0 = (0 ..< m * ldc).map { _ in Float.random(in: -1 ... 1, using: &rng) }
      let alpha = [1, -0.5, 2][rng.int(0 ... 2)] as Float, beta = [0, 1, 0.25][rng.int(0 ... 2)] as Float
      var got = c0, expected = c0
      ck_sgemm(Int32(ta), Int32(tb), Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, &got, Int32(ldc))
      ck_sgemm_reference(
        Int32(ta), Int32(tb), Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, &expected, Int32(ldc))
      let what = "\(m)x\(n)x\(k) trans \(ta)\(tb) alpha \(alpha) beta \(beta)"
      #expect(largestDifference(got, expected) <= 1e-4 * Float(k), "\(what)")
      // Padding columns of C are left alone.
      for i in 0 ..< m { for j in n ..< ldc { #expect(got[i * ldc + j] == c0[i * ldc + j], "\(what): wrote past a row") } }
    }
  }

  @Test(.enabled(if: openBLASInstalled && ProcessInfo.processInfo.environment["CONVOLVE_BLAS"] == nil, "OpenBLAS is not installed"))
  func opensOpenBLASWhereItIsInstalled() {
    #expect(String(cString: ck_sgemm_library()).contains("openblas"))
  }
}

private let openBLASInstalled = ["/usr/lib/x86_64-linux-gnu/libopenblas.so.0", "/usr/lib/aarch64-linux-gnu/libopenblas.so.0"]
  .contains { FileManager.default.fileExists(atPath: $0) }
