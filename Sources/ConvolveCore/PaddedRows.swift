/// The rows of a map padded by a border rule, filled one at a time into scratch so that the plans'
/// inner loops read plain contiguous rows: the border is settled here, once per padded row, and never
/// tested inside a hot loop.
///
/// Padded row `p` is input row `sourceRow(p)` (or zeros), laid out as `left` edge samples, the input
/// row itself, then the right edge samples; edge sample `j` is input column `leftSources[j]`
/// (`rightSources[j]`), or zero where that is -1.
struct PaddedRows {
  /// The input map's size, and the padded one's.
  let height: Int, width: Int
  let paddedHeight: Int, paddedWidth: Int
  /// Padded columns before the input's first column.
  let left: Int
  /// The input row of each padded row, -1 for a row of zeros.
  let rowSources: [Int]
  /// The input column of each padded column left and right of the input, -1 for a zero.
  let leftSources: [Int], rightSources: [Int]

  init(border: Border, height: Int, width: Int, padding: Padding) {
    (self.height, self.width) = (height, width)
    paddedHeight = height + padding.top + padding.bottom
    paddedWidth = width + padding.left + padding.right
    left = padding.left
    rowSources = border.indexMap(count: height, before: padding.top, after: padding.bottom)
    let columns = border.indexMap(count: width, before: padding.left, after: padding.right)
    leftSources = Array(columns[..<left])
    rightSources = Array(columns[(left + width)...])
  }

  /// Padded rows `rows` of `full` over a strip of its input, rows `inputRows` (which must hold every input row
  /// they read): the same columns, and the same rows of zeros, so a plan computes the same values.
  init(strip full: PaddedRows, rows: Range<Int>, inputRows: Range<Int>) {
    (height, width) = (inputRows.count, full.width)
    (paddedHeight, paddedWidth) = (rows.count, full.paddedWidth)
    left = full.left
    let inside = rows.clamped(to: 0 ..< full.paddedHeight)
    rowSources =
      full.rowSources[inside].map { $0 < 0 ? -1 : $0 - inputRows.lowerBound }
      + [Int](repeating: -1, count: rows.count - inside.count)
    (leftSources, rightSources) = (full.leftSources, full.rightSources)
  }

  /// The input row behind padded row `p`; -1 when it is zeros, as are rows at or past `paddedHeight`.
  @inline(__always)
  func sourceRow(_ p: Int) -> Int { p < paddedHeight ? rowSources[p] : -1 }

  /// Writes the padded columns `columns` (all of them by default) of padded row `p` of `plane`, a
  /// `height x width` map, into `line`: `line[0]` is column `columns.lowerBound`. Columns at or past
  /// `paddedWidth` are zero, as are the rows `sourceRow` calls zero.
  @inline(__always)
  func fill(_ line: UnsafeMutablePointer<Float>, row p: Int, of plane: UnsafePointer<Float>, columns: Range<Int>? = nil) {
    let columns = columns ?? 0 ..< paddedWidth
    let r = sourceRow(p)
    guard r >= 0 else {
      line.initialize(repeating: 0, count: columns.count)
      return
    }
    let source = plane + r * width
    let c0 = columns.lowerBound, c1 = columns.upperBound
    let inner = max(c0, left) ..< max(c0, left, min(c1, left + width))
    if !inner.isEmpty { (line + (inner.lowerBound - c0)).update(from: source + (inner.lowerBound - left), count: inner.count) }
    fillEdges(line, from: source, columns: columns)
    if c1 > paddedWidth {
      let zeros = max(c0, paddedWidth)
      (line + (zeros - c0)).initialize(repeating: 0, count: c1 - zeros)
    }
  }

  /// Fills the edge samples of a whole padded `line` whose input part (`line + left`, `width` samples) is in place.
  @inline(__always)
  func extendEdges(_ line: UnsafeMutablePointer<Float>) { fillEdges(line, from: line + left, columns: 0 ..< paddedWidth) }

  /// The edge samples among padded columns `columns`, from the input row `source`, into `line` (starting at column
  /// `columns.lowerBound`).
  @inline(__always)
  private func fillEdges(_ line: UnsafeMutablePointer<Float>, from source: UnsafePointer<Float>, columns: Range<Int>) {
    let c0 = columns.lowerBound, c1 = columns.upperBound, rightStart = left + width
    leftSources.withUnsafeBufferPointer { sources in
      for c in c0 ..< max(c0, min(c1, left)) {
        let s = sources[c]
        line[c - c0] = s < 0 ? 0 : source[s]
      }
    }
    rightSources.withUnsafeBufferPointer { sources in
      for c in max(c0, rightStart) ..< max(c0, rightStart, min(c1, paddedWidth)) {
        let s = sources[c - rightStart]
        line[c - c0] = s < 0 ? 0 : source[s]
      }
    }
  }
}
