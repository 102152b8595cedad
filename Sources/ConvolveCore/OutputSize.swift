import Foundation

/// Padding added on each side of a map before a sliding-window operation.
public struct Padding: Equatable, Sendable {
  public var top: Int, bottom: Int, left: Int, right: Int

  public init(top: Int, bottom: Int, left: Int, right: Int) {
    (self.top, self.bottom, self.left, self.right) = (top, bottom, left, right)
  }

  public init(_ all: Int) { self.init(top: all, bottom: all, left: all, right: all) }

  public init(vertical: Int, horizontal: Int) {
    self.init(top: vertical, bottom: vertical, left: horizontal, right: horizontal)
  }

  public static let zero = Padding(0)
}

/// The output length of a sliding window along one axis: `(n + padBefore + padAfter - d(k-1) - 1) / s + 1`.
///
/// With `floor` false (the default) a window that does not land exactly on the last input
/// sample is an error, as in the lecture's 7x7 input, 3x3 filter, stride 3 example; with `floor`
/// true the trailing samples are dropped, as PyTorch does.
public func slidingOutputSize(
  input n: Int, kernel k: Int, stride s: Int = 1, padBefore: Int = 0, padAfter: Int = 0,
  dilation d: Int = 1, floor: Bool = false, axis: String = "width"
) throws -> Int {
  guard n > 0 else { throw ConvolveError.invalidArgument("input \(axis) is \(n); it must be at least 1") }
  guard k > 0 else { throw ConvolveError.invalidArgument("kernel \(axis) is \(k); it must be at least 1") }
  guard s > 0 else { throw ConvolveError.invalidArgument("stride is \(s); it must be at least 1") }
  guard d > 0 else { throw ConvolveError.invalidArgument("dilation is \(d); it must be at least 1") }
  guard padBefore >= 0, padAfter >= 0 else {
    throw ConvolveError.invalidArgument("padding is \(padBefore),\(padAfter); it must not be negative")
  }
  let extent = d * (k - 1) + 1
  let span = n + padBefore + padAfter - extent
  guard span >= 0 else {
    throw ConvolveError.shapeMismatch(
      "kernel \(axis) \(extent)\(d > 1 ? " (dilated)" : "") is larger than the padded input \(axis) \(n + padBefore + padAfter)")
  }
  if !floor && span % s != 0 {
    let exact = Double(span) / Double(s) + 1
    let out = span / s + 1
    throw ConvolveError.shapeMismatch(
      "stride \(s) does not fit: (\(n + padBefore + padAfter) - \(extent)) / \(s) + 1 = "
        + "\(String(format: "%.2f", exact)) along the \(axis); the last \(span % s) input samples would be unused "
        + "(use floor rounding to get \(out), or change padding or stride)")
  }
  return span / s + 1
}
