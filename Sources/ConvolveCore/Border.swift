/// How samples outside the input are invented. Diagrams show input `abcd` with three samples of padding:
///
///     zero       000|abcd|000
///     replicate  aaa|abcd|ddd
///     reflect    dcb|abcd|cba   (edge sample not repeated)
///     symmetric  cba|abcd|dcb   (edge sample repeated)
///     wrap       bcd|abcd|abc
///
/// Padding wider than the input keeps going by the same rule (reflect and symmetric bounce back and forth).
public enum Border: String, CaseIterable, Sendable {
  case zero, replicate, reflect, symmetric, wrap

  /// Other libraries' spellings and what they mean here. Note that SciPy's `reflect` and OpenCV's
  /// `BORDER_REFLECT` are `symmetric`; SciPy's `mirror`, NumPy's and PyTorch's `reflect` and
  /// OpenCV's `BORDER_REFLECT_101` are `reflect`.
  public static let aliases: [String: Border] = [
    "constant": .zero, "zeros": .zero, "fill": .zero, "border_constant": .zero, "grid-constant": .zero,
    "nearest": .replicate, "edge": .replicate, "clamp": .replicate, "copy": .replicate, "border_replicate": .replicate,
    "mirror": .reflect, "reflect101": .reflect, "reflect_101": .reflect, "border_reflect_101": .reflect,
    "border_reflect101": .reflect, "border_default": .reflect,
    "symm": .symmetric, "border_reflect": .symmetric, "half-sample-symmetric": .symmetric,
    "circular": .wrap, "periodic": .wrap, "grid-wrap": .wrap, "border_wrap": .wrap,
  ]

  /// Accepts our names and the aliases, case-insensitively.
  public init?(name: String) {
    let key = name.lowercased()
    guard let border = Border(rawValue: key) ?? Border.aliases[key] else { return nil }
    self = border
  }

  /// The input index that supplies padded position `i` along an axis of length `n`, or -1 for a zero sample.
  @inlinable
  public func sourceIndex(_ i: Int, count n: Int) -> Int {
    if i >= 0 && i < n { return i }
    switch self {
    case .zero: return -1
    case .replicate: return i < 0 ? 0 : n - 1
    case .wrap: return ((i % n) + n) % n
    case .reflect:
      if n == 1 { return 0 }
      let period = 2 * n - 2
      let m = ((i % period) + period) % period
      return m < n ? m : period - m
    case .symmetric:
      let period = 2 * n
      let m = ((i % period) + period) % period
      return m < n ? m : period - 1 - m
    }
  }

  /// `sourceIndex` for every position of an axis padded by `before` and `after`.
  func indexMap(count n: Int, before: Int, after: Int) -> [Int] {
    (0 ..< n + before + after).map { sourceIndex($0 - before, count: n) }
  }
}
