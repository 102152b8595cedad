import ConvolveCNN
import ConvolveCore
import Foundation

// MARK: Numbers and matrices as text

/// A value as the lecture writes it: `4`, not `4.0`; otherwise at most 4 decimals, trailing zeros dropped.
func formatNumber(_ v: Float) -> String {
  if v.isNaN { return "nan" }
  if v.isInfinite { return v < 0 ? "-inf" : "inf" }
  if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
  var s = String(format: "%.4f", Double(v))
  while s.hasSuffix("0") { s.removeLast() }
  if s.hasSuffix(".") { s.removeLast() }
  return s == "-0" ? "0" : s
}

/// A factor inside a sum of products: negatives in parentheses, `156×(-1)`.
private func factor(_ v: Float) -> String {
  let s = formatNumber(v)
  return s.hasPrefix("-") ? "(\(s))" : s
}

/// Rows of numbers with right-aligned columns, two spaces apart; `…` marks rows or columns left out.
func formatRows(_ rows: [[Float]], indent: String = "", maxRows: Int = .max, maxColumns: Int = .max) -> String {
  let shown = rows.prefix(maxRows).map { Array($0.prefix(maxColumns)) }
  let cutColumns = rows.contains { $0.count > maxColumns }
  var cells = shown.map { $0.map(formatNumber) }
  if cutColumns { cells = cells.map { $0 + ["…"] } }
  let columns = cells.map(\.count).max() ?? 0
  let widths = (0 ..< columns).map { j in cells.map { j < $0.count ? $0[j].count : 0 }.max() ?? 0 }
  var lines = cells.map { row in
    indent + row.enumerated().map { j, cell in String(repeating: " ", count: widths[j] - cell.count) + cell }
      .joined(separator: "  ")
  }
  if rows.count > maxRows { lines.append(indent + "…") }
  return lines.joined(separator: "\n")
}

/// One channel of `t` as text, columns right-aligned (for `--print`).
public func formatMatrix(_ t: Tensor, channel: Int = 0) -> String {
  guard channel >= 0 && channel < t.channels else { return "" }
  return formatRows(t.rows(channel: channel))
}

/// A small matrix written inline: rows separated by `;` (or newlines), values by `,` or spaces,
/// channels by `|`. `"4,5,6;7,8,9"` is 2x3; `"1,2;3,4|5,6;7,8"` is two channels of 2x2.
public func parseMatrix(_ text: String) throws -> Tensor {
  let channelTexts = text.split(separator: "|", omittingEmptySubsequences: false)
  var planes: [[[Float]]] = []
  for (c, channelText) in channelTexts.enumerated() {
    let place = channelTexts.count > 1 ? "channel \(c + 1), " : ""
    let rows: [[Float]]
    switch parseNumberRows(channelText, newlineRows: true) {
    case .success(let parsed): rows = parsed
    case .failure(let error):
      switch error {
      case .emptyRow(let r): throw ConvolveError.invalidArgument("matrix \(place)row \(r) is empty in '\(text)'")
      case .emptyValue(let r, _, _, let rowText):
        throw ConvolveError.invalidArgument(
          "matrix \(place)row \(r) has an empty value between commas: '\(rowText.trimmingCharacters(in: .whitespaces))'")
      case .notANumber(let token, let r, let column, _):
        throw ConvolveError.invalidArgument("matrix \(place)row \(r), column \(column): '\(token)' is not a finite number")
      case .ragged(let r, let count, let first):
        throw ConvolveError.invalidArgument("matrix \(place)row \(r) has \(count) values, row 1 has \(first)")
      }
    }
    if let first = planes.first, first.count != rows.count || first[0].count != rows[0].count {
      throw ConvolveError.invalidArgument(
        "matrix channel \(c + 1) is \(rows.count)x\(rows[0].count), channel 1 is \(first.count)x\(first[0].count)")
    }
    planes.append(rows)
  }
  return Tensor(planes: planes)
}

// MARK: Explain one convolution

/// The lecture's step-by-step solution of one convolution or correlation, as text.
///
/// Shows the kernel and its fold `h[-m,-n]` (column fold, then row fold), the padded input with its border
/// rule, the output size formula per axis, the products and sum at each output position (the first
/// `maxPositions` per channel; zero products skipped), and the result. With `toeplitz` (full linear
/// convolution only) it also shows the doubly block-Toeplitz matrix `A`, built as the lecture builds it
/// from the rows of the input, times the vectorised folded kernel.
public func explainConvolution(
  input: Tensor, kernel: Kernel, options: ConvolutionOptions, maxPositions: Int = 12, toeplitz: Bool = false
) throws -> String {
  guard input.channels > 0, input.height > 0, input.width > 0 else {
    throw ConvolveError.invalidArgument("input is empty (\(input.height)x\(input.width)x\(input.channels))")
  }
  let o = options
  if toeplitz {
    var problems: [String] = []
    if o.mode != .full { problems.append("mode is \(o.mode.rawValue)") }
    if o.padding != nil { problems.append("explicit padding is set") }
    if o.border != .zero { problems.append("border is \(o.border.rawValue)") }
    if o.strideY != 1 || o.strideX != 1 { problems.append("stride is not 1") }
    if o.dilationY != 1 || o.dilationX != 1 { problems.append("dilation is not 1") }
    if !problems.isEmpty {
      throw ConvolveError.invalidArgument(
        "the Toeplitz form is only for full linear convolution (mode full, zero border, stride 1, dilation 1, "
          + "no explicit padding); here " + problems.joined(separator: ", "))
    }
  }
  let (xs, hs) = o.correlate ? ("x1", "x2") : ("x", "h")
  let folded = kernel.flipped
  let slid = o.correlate ? kernel : folded
  let (outH, outW, pad) = try o.outputGeometry(
    inputHeight: input.height, inputWidth: input.width, kernelHeight: kernel.height, kernelWidth: kernel.width)
  // Every padded sample is written out: a worked example is small.
  let paddedSize = (input.height + pad.top + pad.bottom, input.width + pad.left + pad.right)
  try CheckedSize.checkPixels(
    height: paddedSize.0, width: paddedSize.1, limit: explainLimit, what: "the padded input",
    fix: "explain works small examples; use `convolve filter --input` for larger ones")
  let result = try convolve(input, with: kernel, options: o)

  var out: [String] = []
  func matrix(_ title: String, _ rows: [[Float]]) {
    out.append(title)
    out.append(formatRows(rows, indent: "  ", maxRows: 16, maxColumns: 16))
  }
  let what = o.correlate ? "Correlation" : "Convolution"
  let geometry = "mode \(o.mode.rawValue), stride \(strideText(o.strideY, o.strideX))"
    + (o.dilationY == 1 && o.dilationX == 1 ? "" : ", dilation \(strideText(o.dilationY, o.dilationX))")
  out.append("\(what) of \(xs)(m,n), \(input.height)x\(input.width)"
    + (input.channels > 1 ? "x\(input.channels)" : "") + ", with \(hs)(m,n), \(kernel.height)x\(kernel.width); \(geometry)")
  out.append("")
  if input.channels == 1 { matrix("\(xs)(m,n) =", input.rows()) }
  matrix("\(hs)(m,n) =", kernel.rows)
  out.append("")

  // Step 1: the fold.
  let columnFold = kernel.rows.map { Array($0.reversed()) }
  out.append("Step 1: fold \(hs)(m,n) to get \(hs)(-m,-n)")
  matrix("Step 1a: fold column wise, \(hs)(m,-n) =", columnFold)
  matrix("Step 1b: then fold row wise, \(hs)(-m,-n) =", folded.rows)
  if o.correlate {
    out.append("Correlation is convolution of \(xs) with \(hs)(-m,-n); that convolution folds it back, so")
    out.append("\(hs)(m,n) slides over \(xs) as it is given, not flipped: y(m,n) = Σ \(xs)(m+a,n+b) \(hs)(a,b).")
  } else {
    out.append("\(hs)(-m,-n) slides over \(xs): y(m,n) = Σ \(xs)(a,b) \(hs)(m-a,n-b).")
  }
  out.append("")

  // Step 2: padding and the output size.
  let rowMap = (0 ..< input.height + pad.top + pad.bottom).map { o.border.sourceIndex($0 - pad.top, count: input.height) }
  let colMap = (0 ..< input.width + pad.left + pad.right).map { o.border.sourceIndex($0 - pad.left, count: input.width) }
  let padText = pad == .zero
    ? "no padding"
    : "\(sidesText(pad.top, pad.bottom, "row", "above", "below")), \(sidesText(pad.left, pad.right, "column", "left", "right"))"
  out.append("Step 2: pad \(xs) (\(o.border.rawValue) border): \(padText)")
  out.append("Output size per axis: (n + pad_before + pad_after - d(k-1) - 1)/s + 1")
  out.append("  rows:    " + sizeFormula(input.height, pad.top, pad.bottom, o.dilationY, kernel.height, o.strideY, outH))
  out.append("  columns: " + sizeFormula(input.width, pad.left, pad.right, o.dilationX, kernel.width, o.strideX, outW))
  if o.mode == .full && o.padding == nil && o.dilationY == 1 && o.dilationX == 1 && o.strideY == 1 && o.strideX == 1 {
    out.append("  (full: (\(input.height) + \(kernel.height) - 1) x (\(input.width) + \(kernel.width) - 1) = \(outH) x \(outW))")
  }
  out.append("")

  for c in 0 ..< input.channels {
    if input.channels > 1 {
      out.append("Channel \(c + 1) of \(input.channels)")
      matrix("\(xs)(m,n) =", input.rows(channel: c))
    }
    let padded = rowMap.map { sy in colMap.map { sx in sy < 0 || sx < 0 ? 0 : input[c, sy, sx] } }
    matrix("padded \(xs) =", padded)
    out.append("")
    out.append("Step 3: at each output position multiply the overlapping values and add them")
    var shown = 0
    for oy in 0 ..< outH {
      for ox in 0 ..< outW {
        guard shown < maxPositions else { break }
        shown += 1
        var terms: [String] = []
        for i in 0 ..< slid.height {
          for j in 0 ..< slid.width {
            let py = oy * o.strideY + i * o.dilationY, px = ox * o.strideX + j * o.dilationX
            let v = padded[py][px], w = slid[i, j]
            if v != 0 && w != 0 { terms.append("\(factor(v))×\(factor(w))") }
          }
        }
        let sum = formatNumber(result[c, oy, ox])
        out.append("  y(\(oy),\(ox)) = " + (terms.isEmpty ? "0" : terms.joined(separator: " + ") + " = \(sum)"))
      }
    }
    if outH * outW > shown {
      out.append("  … the other \(outH * outW - shown) values are only in the result")
    }
    out.append("")
    matrix("y(m,n) =", result.rows(channel: c))
    if toeplitz {
      out.append("")
      out.append(contentsOf: toeplitzSteps(
        input.plane(c), folded: o.correlate ? folded : kernel, names: (xs, hs), correlate: o.correlate,
        result: result.plane(c)))
    }
    if c + 1 < input.channels { out.append("") }
  }
  return out.joined(separator: "\n")
}

/// The lecture's matrix form: blocks `H_r` from the rows of `x`, `A = [H0 0; H1 H0; 0 H1]`, `y = A · vec(h)`.
private func toeplitzSteps(
  _ x: Tensor, folded h: Kernel, names: (x: String, h: String), correlate: Bool, result: Tensor
) -> [String] {
  var out: [String] = []
  let hName = correlate ? "\(names.h)(-m,-n)" : "\(names.h)(m,n)"
  let (m1, n1, m2, n2) = (x.height, x.width, h.height, h.width)
  let outW = n1 + n2 - 1
  out.append("Matrix form: y = A × vec(\(hName)), A doubly block Toeplitz built from the rows of \(names.x)")
  out.append("Step T1: \(names.x) has \(m1) row\(m1 == 1 ? "" : "s"), so \(m1) block matrices"
    + " H0\(m1 > 1 ? "…H\(m1 - 1)" : ""), each \(outW)x\(n2), column j holding row r of \(names.x) shifted down by j")
  for r in 0 ..< m1 {
    let row = x.rows()[r]
    let block = (0 ..< outW).map { i in (0 ..< n2).map { j in i - j >= 0 && i - j < n1 ? row[i - j] : Float(0) } }
    out.append("H\(r) (from row \(r) of \(names.x)) =")
    out.append(formatRows(block, indent: "  ", maxRows: 16, maxColumns: 16))
  }
  out.append("Step T2: \(names.h) has \(m2) row\(m2 == 1 ? "" : "s"), so each block column of A is H0…H\(m1 - 1)"
    + " shifted down one block, with \(m2 - 1) zero block\(m2 == 2 ? "" : "s") appended:")
  let names2 = (0 ..< m1 + m2 - 1).map { i in (0 ..< m2).map { j in i - j >= 0 && i - j < m1 ? "H\(i - j)" : "0" } }
  let nameWidth = names2.flatMap { $0 }.map(\.count).max() ?? 1
  for row in names2 {
    out.append("  " + row.map { $0.padding(toLength: nameWidth, withPad: " ", startingAt: 0) }.joined(separator: "  ")
      .trimmingCharacters(in: .whitespaces))
  }
  let xKernel = Kernel(height: m1, width: n1, weights: x.data)
  let a = convolutionMatrix(kernel: xKernel, inputHeight: m2, inputWidth: n2)
  let aRows = (0 ..< a.rows).map { r in (0 ..< a.columns).map { a[r, $0] } }
  out.append("A (\(a.rows)x\(a.columns)) =")
  out.append(formatRows(aRows, indent: "  ", maxRows: 64, maxColumns: 32))
  out.append("vec(\(hName)) = (\(h.weights.map(formatNumber).joined(separator: ", ")))ᵀ")
  let product = a.multiplied(by: h.weights)
  out.append("A × vec(\(hName)) = (\(product.map(formatNumber).joined(separator: ", ")))ᵀ")
  out.append("reshaped into \(result.height) rows of \(result.width), y(m,n) =")
  out.append(formatRows(
    (0 ..< result.height).map { Array(product[$0 * result.width ..< ($0 + 1) * result.width]) },
    indent: "  ", maxRows: 16, maxColumns: 16))
  return out
}

private func strideText(_ y: Int, _ x: Int) -> String { y == x ? "\(y)" : "\(y)x\(x)" }

private func sidesText(_ before: Int, _ after: Int, _ unit: String, _ first: String, _ second: String) -> String {
  let units = { (n: Int) in "\(n) \(unit)\(n == 1 ? "" : "s")" }
  if before == 0 && after == 0 { return "no \(unit)s \(first) or \(second)" }
  return before == after ? "\(units(before)) \(first) and \(second)" : "\(units(before)) \(first), \(units(after)) \(second)"
}

private func sizeFormula(_ n: Int, _ before: Int, _ after: Int, _ d: Int, _ k: Int, _ s: Int, _ result: Int) -> String {
  let span = n + before + after - d * (k - 1) - 1
  let text = "(\(n) + \(before) + \(after) - \(d)(\(k)-1) - 1)/\(s) + 1"
  guard span % s != 0 else { return "\(text) = \(result)" }
  let exact = String(format: "%.2f", Double(span) / Double(s) + 1)
  return "\(text) = \(exact), rounded down: \(result) (the last \(span % s) padded samples are unused)"
}

/// The most padded samples `explainConvolution` writes out.
let explainLimit = 1_000_000

// MARK: One output of a CNN layer

/// The lecture's RGB example: the output of a convolution layer at `(y, x)`, as the sum over input channels of
/// each channel's cross-correlation with its kernel (not flipped, as CNN layers compute), plus `bias`.
///
/// `bank` holds one kernel per input channel; `padding` zeros are added on every side. Arguments that do not
/// fit (wrong kernel count, kernels of different sizes, a position outside the output) give one line starting
/// with `error:` instead.
public func explainLayerPosition(input: Tensor, bank: [Kernel], bias: Float, y: Int, x: Int, padding: Int) -> String {
  guard bank.count == input.channels, let k0 = bank.first else {
    return "error: \(bank.count) kernels for \(input.channels) input channels; give one kernel per channel"
  }
  guard bank.allSatisfy({ $0.height == k0.height && $0.width == k0.width }) else {
    return "error: the kernels differ in size; a filter is \(k0.height)x\(k0.width) in every channel"
  }
  guard padding >= 0, padding <= 1 << 40 else {
    return "error: padding \(padding) must be from 0 to \(1 << 40)"
  }
  let outH = input.height + 2 * padding - k0.height + 1, outW = input.width + 2 * padding - k0.width + 1
  guard y >= 0, x >= 0, y < outH, x < outW else {
    return "error: position (\(y),\(x)) is outside the \(max(0, outH))x\(max(0, outW)) output"
      + " (input \(input.height)x\(input.width), kernel \(k0.height)x\(k0.width), padding \(padding))"
  }
  var out: [String] = []
  out.append("Output at (\(y),\(x)) of a layer with one \(k0.height)x\(k0.width)x\(input.channels) filter"
    + " (kernel W0…W\(bank.count - 1)), bias \(formatNumber(bias)), zero padding \(padding):")
  out.append("each channel's window is multiplied by its kernel as given (cross-correlation, as CNN layers compute)")
  var sums: [Float] = []
  for (c, k) in bank.enumerated() {
    let window = (0 ..< k.height).map { i in
      (0 ..< k.width).map { j -> Float in
        let sy = y + i - padding, sx = x + j - padding
        return sy >= 0 && sy < input.height && sx >= 0 && sx < input.width ? input[c, sy, sx] : 0
      }
    }
    var terms: [String] = []
    var sum: Double = 0
    for i in 0 ..< k.height {
      for j in 0 ..< k.width {
        sum += Double(window[i][j]) * Double(k[i, j])
        if window[i][j] != 0 && k[i, j] != 0 { terms.append("\(factor(window[i][j]))×\(factor(k[i, j]))") }
      }
    }
    sums.append(Float(sum))
    out.append("")
    out.append("Input channel #\(c + 1), window at (\(y),\(x)):")
    out.append(formatRows(window, indent: "  "))
    out.append("Kernel channel #\(c + 1), W\(c):")
    out.append(formatRows(k.rows, indent: "  "))
    out.append("  " + (terms.isEmpty ? "0" : terms.joined(separator: " + ")) + " = \(formatNumber(Float(sum)))")
  }
  let total = sums.reduce(Double(bias)) { $0 + Double($1) }
  out.append("")
  out.append("output(\(y),\(x)) = " + sums.map(factor).joined(separator: " + ")
    + " + bias \(factor(bias)) = \(formatNumber(Float(total)))")
  return out.joined(separator: "\n")
}
