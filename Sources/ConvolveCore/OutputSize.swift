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

/// What a sliding window (convolution, pooling) does when its stride does not land the last window on the
/// end of the padded input, i.e. when `(n + pads - extent) / s + 1` is not a whole number.
public enum SizeRounding: String, CaseIterable, Sendable {
  /// An error naming the fractional size, as in the lecture (7x7 input, 3x3 filter, stride 3: 2.33).
  case strict
  /// Round down: the trailing input samples no window reaches are unused. PyTorch's rule, and the lecture's
  /// last formula, `floor((n + 2p - k) / s) + 1`; the default.
  case floor
  /// Round up: one more window, partly outside the input, as PyTorch's `ceil_mode=True`; a window that would
  /// start in the bottom/right padding is dropped.
  case ceil
}

/// One axis of a sliding window: its output length and what the rounding left over.
public struct SlidingSize: Equatable, Sendable {
  /// The output length.
  public var size: Int
  /// Input samples (not padding) after the last window that no window reaches: what `.floor` drops.
  public var unusedInput: Int
  /// `(n + pads - extent) / s + 1` before rounding, e.g. 2.33.
  public var exact: Double
}

/// The output length of a sliding window along one axis: `(n + padBefore + padAfter - d(k-1) - 1) / s + 1`,
/// rounded as `rounding` says (see `SizeRounding`). Every sum and product is overflow-checked: a size that
/// does not fit in an Int is `ConvolveError.tooLarge`.
public func slidingOutputSize(
  input n: Int, kernel k: Int, stride s: Int = 1, padBefore: Int = 0, padAfter: Int = 0,
  dilation d: Int = 1, rounding: SizeRounding = .floor, axis: String = "width"
) throws -> Int {
  try slidingWindow(
    input: n, kernel: k, stride: s, padBefore: padBefore, padAfter: padAfter, dilation: d, rounding: rounding,
    axis: axis
  ).size
}

/// `slidingOutputSize` with the samples the rounding left unused and the unrounded size.
public func slidingWindow(
  input n: Int, kernel k: Int, stride s: Int = 1, padBefore: Int = 0, padAfter: Int = 0,
  dilation d: Int = 1, rounding: SizeRounding = .floor, axis: String = "width"
) throws -> SlidingSize {
  guard n > 0 else { throw ConvolveError.invalidArgument("input \(axis) is \(n); it must be at least 1") }
  guard k > 0 else { throw ConvolveError.invalidArgument("kernel \(axis) is \(k); it must be at least 1") }
  guard s > 0 else { throw ConvolveError.invalidArgument("stride is \(s); it must be at least 1") }
  guard d > 0 else { throw ConvolveError.invalidArgument("dilation is \(d); it must be at least 1") }
  guard padBefore >= 0, padAfter >= 0 else {
    throw ConvolveError.invalidArgument("padding is \(padBefore),\(padAfter); it must not be negative")
  }
  guard let extent = CheckedSize.product([d, k - 1]).flatMap({ CheckedSize.sum([$0, 1]) }) else {
    throw ConvolveError.tooLarge("dilated kernel \(axis) \(d)(\(k) - 1) + 1 is too large")
  }
  guard let padded = CheckedSize.sum([n, padBefore, padAfter]) else {
    throw ConvolveError.tooLarge("padded \(axis) \(n) + \(padBefore) + \(padAfter) is too large")
  }
  let span = padded - extent
  guard span >= 0 else {
    throw ConvolveError.shapeMismatch(
      "kernel \(axis) \(extent)\(d > 1 ? " (dilated)" : "") is larger than the padded input \(axis) \(padded)")
  }
  let exact = Double(span) / Double(s) + 1
  let floor = span / s + 1
  let leftover = span % s
  switch rounding {
  case .strict where leftover != 0:
    throw ConvolveError.shapeMismatch(
      "stride \(s) does not fit: (\(padded) - \(extent)) / \(s) + 1 = \(String(format: "%.2f", exact)) along the "
        + "\(axis); the last \(leftover) input samples would be unused (floor rounding gives \(floor); or change "
        + "padding or stride)")
  case .strict, .floor:
    return SlidingSize(size: floor, unusedInput: Swift.max(0, leftover - padAfter), exact: exact)
  case .ceil:
    // PyTorch: ceil((n + pads - extent) / s) + 1 windows, less the last one when it would start past the input
    // (in the bottom/right padding).
    let up = leftover == 0 ? floor : floor + 1
    let lastStart = CheckedSize.product([up - 1, s]) ?? .max
    let size = lastStart >= n + padBefore ? up - 1 : up
    return SlidingSize(size: size, unusedInput: size > floor ? 0 : Swift.max(0, leftover - padAfter), exact: exact)
  }
}

/// Rows and columns of an input that a strided window leaves unused, in words, or nil when none are:
/// "the last row (of 427) is unused", "the last 2 rows (of 7) and the last 2 columns (of 7) are unused".
public func unusedSamplesDescription(rows: Int, columns: Int, height: Int, width: Int) -> String? {
  func part(_ count: Int, _ noun: String, _ of: Int) -> String {
    count == 1 ? "the last \(noun) (of \(of))" : "the last \(count) \(noun)s (of \(of))"
  }
  switch (rows > 0, columns > 0) {
  case (false, false): return nil
  case (true, false): return part(rows, "row", height) + (rows == 1 ? " is" : " are") + " unused"
  case (false, true): return part(columns, "column", width) + (columns == 1 ? " is" : " are") + " unused"
  case (true, true): return part(rows, "row", height) + " and " + part(columns, "column", width) + " are unused"
  }
}
