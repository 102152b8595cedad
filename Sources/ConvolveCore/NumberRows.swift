import Foundation

/// Where rows of numbers written as text (`1,2,1;2,4,2`, `1/16 2/16`) went wrong; callers word the message.
public enum NumberRowsError: Error, Equatable {
  /// Row `row` (from 1) holds nothing.
  case emptyRow(row: Int)
  /// An empty value between separators in `row`, after `column` values; `position` says where the comma was.
  case emptyValue(row: Int, column: Int, position: EmptyValuePosition, rowText: String)
  /// `token` at `row`, `column` (from 1) is not a number; `notFinite` when it is one but not finite.
  case notANumber(token: String, row: Int, column: Int, notFinite: Bool)
  /// Row `row` has `count` values where row 1 has `first`.
  case ragged(row: Int, count: Int, first: Int)

  public enum EmptyValuePosition: Equatable, Sendable { case start, end, middle }
}

/// Rows of numbers: rows split by `;` (and by newlines with `newlineRows`), values by `,` or whitespace, a
/// trailing `;` allowed; or NumPy's and Python's nested lists, `[[1,2,1],[2,4,2]]` (`[1,2,1]` for one row,
/// `[[1 2 1]\n [2 4 2]]` as NumPy prints). A value is a plain decimal (`-1.5`, `2e-3`, a Unicode minus `−` too) or
/// a fraction `a/b` such as `1/16`. Every row the same length; every value finite.
public func parseNumberRows(_ text: Substring, newlineRows: Bool = false) -> Result<[[Float]], NumberRowsError> {
  if let rows = nestedListRows(text) { return parseNumberRows(Substring(rows)) }
  var rowTexts = text.split(omittingEmptySubsequences: false) { $0 == ";" || (newlineRows && $0 == "\n") }
  if rowTexts.count > 1, rowTexts.last!.allSatisfy(\.isWhitespace) { rowTexts.removeLast() }
  var rows: [[Float]] = []
  for (r, rowText) in rowTexts.enumerated() {
    var row: [Float] = []
    let pieces = rowText.split(separator: ",", omittingEmptySubsequences: false)
    for (p, piece) in pieces.enumerated() {
      let tokens = piece.split(whereSeparator: \.isWhitespace)
      if tokens.isEmpty {
        if pieces.count == 1 { return .failure(.emptyRow(row: r + 1)) }
        let position: NumberRowsError.EmptyValuePosition = p == pieces.count - 1 ? .end : p == 0 ? .start : .middle
        return .failure(.emptyValue(row: r + 1, column: row.count, position: position, rowText: String(rowText)))
      }
      for token in tokens {
        guard let value = parseNumber(String(token)) else {
          return .failure(.notANumber(token: String(token), row: r + 1, column: row.count + 1, notFinite: false))
        }
        guard value.isFinite else {
          return .failure(.notANumber(token: String(token), row: r + 1, column: row.count + 1, notFinite: true))
        }
        row.append(value)
      }
    }
    if let first = rows.first, first.count != row.count { return .failure(.ragged(row: r + 1, count: row.count, first: first.count)) }
    rows.append(row)
  }
  return .success(rows)
}

/// A plain decimal (`-1.5`, `2e-3`, `−2` with a Unicode minus) or a fraction of two (`1/16`); nil for anything
/// else, including `nan`, `inf` and hexadecimal, which `Double.init` would accept.
public func parseNumber(_ token: String) -> Float? {
  let parts = String(token.map { $0 == "−" ? "-" : $0 }).split(separator: "/", omittingEmptySubsequences: false)
  guard parts.count <= 2 else { return nil }
  var values: [Double] = []
  for part in parts {
    guard !part.isEmpty, part.allSatisfy({ "0123456789.eE+-".contains($0) }), let v = Double(part) else { return nil }
    values.append(v)
  }
  return Float(values.count == 2 ? values[0] / values[1] : values[0])
}

/// `[[a,b],[c,d]]` (rows in brackets, separated by commas or whitespace) or `[a,b]` as `a,b;c,d` or `a,b`; nil
/// when `text` is not a list of one or two levels.
private func nestedListRows(_ text: Substring) -> String? {
  let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
  guard trimmed.hasPrefix("["), trimmed.hasSuffix("]"), trimmed.count >= 2 else { return nil }
  let inner = trimmed.dropFirst().dropLast()
  if !inner.contains("[") { return inner.contains("]") ? nil : String(inner) }
  var rows: [String] = []
  var row: String?
  for c in inner {
    switch c {
    case "[":
      guard row == nil else { return nil }
      row = ""
    case "]":
      guard let finished = row else { return nil }
      rows.append(finished)
      row = nil
    default:
      if row != nil {
        row!.append(c)
      } else if !(c == "," || c.isWhitespace) {
        return nil
      }
    }
  }
  return row == nil && !rows.isEmpty ? rows.joined(separator: ";") : nil
}
