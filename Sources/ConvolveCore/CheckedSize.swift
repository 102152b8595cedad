/// Element and byte counts computed before anything is allocated: every size read from a file or derived
/// from a parameter goes through here, so an absurd size is an error with its number, never an overflow,
/// a trap or a multi-gigabyte allocation.
public enum CheckedSize {
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

  /// The product of `factors`, or `ConvolveError.invalidArgument` naming `what` when it overflows or exceeds
  /// `limit`.
  public static func count(_ factors: [Int], limit: Int = .max, what: String) throws -> Int {
    guard let total = product(factors), total <= limit else {
      let shown = factors.map(String.init).joined(separator: " x ")
      throw ConvolveError.invalidArgument(
        "\(what) of \(shown) is too large" + (limit < .max ? " (the limit is \(limit) elements)" : ""))
    }
    return total
  }
}
