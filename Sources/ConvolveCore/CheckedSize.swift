/// Element and byte counts computed before anything is allocated: every size read from a file or derived
/// from a parameter goes through here, so an absurd size is an error with its number, never an overflow,
/// a trap or a multi-gigabyte allocation.
///
/// `Tensor` (`init`, `uninitialized`, `checkedUninitialized`), `.npy`, the convolution plans' outputs, the
/// im2col bands of `convolutionLayer`, pooling, resizing and transposed convolution all count here; the
/// command-line tool also checks every output's pixels against `--max-pixels` (`checkPixels`).
public enum CheckedSize {
  /// The most elements one allocation may hold unless a caller says otherwise: 2³¹ (8 GiB of Float32).
  public static let maxElements = 1 << 31

  /// The product of `factors`, or nil when it overflows or a factor is negative.
  public static func product(_ factors: [Int]) -> Int? {
    var total = 1
    for f in factors {
      guard f >= 0 else { return nil }
      let (p, overflow) = total.multipliedReportingOverflow(by: f)
      if overflow { return nil }
      total = p
    }
    return total
  }

  /// The sum of `terms`, or nil when it overflows.
  public static func sum(_ terms: [Int]) -> Int? {
    var total = 0
    for t in terms {
      let (s, overflow) = total.addingReportingOverflow(t)
      if overflow { return nil }
      total = s
    }
    return total
  }

  /// The product of `factors`, or `ConvolveError.tooLarge` naming `what` and the size when it overflows or
  /// exceeds `limit` elements.
  public static func count(_ factors: [Int], limit: Int = maxElements, what: String) throws -> Int {
    let shown = factors.map(String.init).joined(separator: " x ")
    guard let total = product(factors) else {
      throw ConvolveError.tooLarge("\(what) of \(shown) elements is too large (the count overflows)")
    }
    guard total <= limit else {
      throw ConvolveError.tooLarge("\(what) of \(shown) = \(total) elements is more than the limit of \(limit)")
    }
    return total
  }

  /// Refuses an image-sized result of `height x width` pixels (per channel) beyond `limit`, e.g. `--max-pixels`:
  /// `ConvolveError.tooLarge` with the computed size and `fix` (what to change).
  public static func checkPixels(height: Int, width: Int, limit: Int, what: String, fix: String = "") throws {
    let pixels = product([height, width])
    guard let pixels, pixels <= limit else {
      let size = pixels.map { "\($0) pixels" } ?? "more pixels than an Int holds"
      throw ConvolveError.tooLarge(
        "\(what) would be \(pictureSizeText(width: width, height: height)) (\(size)), more than the limit of \(limit)"
          + (fix.isEmpty ? "" : "; \(fix)"))
    }
  }
}
