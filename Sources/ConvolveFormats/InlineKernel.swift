import ConvolveCore
import Foundation



/// Parses an inline kernel such as `"1,2,1;2,4,2;1,2,1"`: rows separated by `;`, values by `,` or
/// whitespace; a value is a decimal number or a fraction `a/b` such as `1/16`. A trailing `;` is allowed.
public func parseInlineKernel(_ text: String) throws -> Kernel {
  try parseKernelRows(text) { ConvolveError.invalidArgument("kernel \"\(text)\": \($0)") }
}

/// The rows syntax, with `fail` wording the error (inline text or a file's path).
func parseKernelRows(_ text: String, fail: (String) -> ConvolveError) throws -> Kernel {
  var rowTexts = text.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
  if rowTexts.count > 1, rowTexts.last!.allSatisfy(\.isWhitespace) { rowTexts.removeLast() }
  guard !text.allSatisfy(\.isWhitespace) else { throw fail("is empty; write rows like 1,2,1;2,4,2;1,2,1") }
  var rows: [[Float]] = []
  for (r, rowText) in rowTexts.enumerated() {
    var row: [Float] = []
    let pieces = rowText.split(separator: ",", omittingEmptySubsequences: false)
    for (p, piece) in pieces.enumerated() {
      let tokens = piece.split(whereSeparator: \.isWhitespace)
      if tokens.isEmpty {
        if pieces.count == 1 { throw fail("row \(r + 1) is empty (two ';' in a row?)") }
        let what = p == pieces.count - 1 ? "a ',' at the end" : (p == 0 ? "a ',' at the start" : "two ',' in a row")
        throw fail("row \(r + 1) has an empty value after column \(row.count) (\(what)?)")
      }
      for token in tokens {
        guard let value = parseKernelNumber(String(token)) else {
          throw fail(
            "\"\(token)\" at row \(r + 1), column \(row.count + 1) is not a number "
              + "(write values like 2, -0.5 or 1/16; ',' or spaces between values, ';' between rows)")
        }
        guard value.isFinite else {
          throw fail("\"\(token)\" at row \(r + 1), column \(row.count + 1) is not finite (division by zero?)")
        }
        row.append(value)
      }
    }
    if let first = rows.first, first.count != row.count {
      throw fail("row \(r + 1) has \(row.count) values, row 1 has \(first.count)")
    }
    rows.append(row)
  }
  return try Kernel(rows: rows)
}

/// A plain decimal (`-1.5`, `2e-3`) or a fraction of two (`1/16`); nil for anything else, including
/// `nan`, `inf` and hexadecimal, which `Double.init` would accept.
func parseKernelNumber(_ token: String) -> Float? {
  let parts = token.split(separator: "/", omittingEmptySubsequences: false)
  guard parts.count <= 2 else { return nil }
  var values: [Double] = []
  for part in parts {
    guard !part.isEmpty, part.allSatisfy({ "0123456789.eE+-".contains($0) }), let v = Double(part) else { return nil }
    values.append(v)
  }
  return Float(values.count == 2 ? values[0] / values[1] : values[0])
}
