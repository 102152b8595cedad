import CKernels

/// The SIMD level the hot loops run at (filter rows, conv layers, pooling, activations), chosen once at start-up
/// from the CPU's features: 0 portable (the compiler's baseline: SSE2 on x86-64, NEON on arm64), 1 AVX2 + FMA,
/// 2 AVX-512F. `CONVOLVE_SIMD=portable` or `avx2` lowers it; every level gives the same filter output bits.
public enum SIMDLevel {
  public static let current = Int(ck_level())
  /// The highest level this CPU runs.
  public static var best: Int { Int(ck_best_level()) }
  /// "portable", "avx2" or "avx512".
  public static func name(_ level: Int) -> String { String(cString: ck_level_name(Int32(level))) }
}
