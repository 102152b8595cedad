import ConvolveCore
import Foundation



/// Parses an inline kernel such as `"1,2,1;2,4,2;1,2,1"`: rows separated by `;`, values by `,` or
/// whitespace; a value is a decimal number or a fraction `a/b` such as `1/16`. A trailing `;` is allowed.
public func parseInlineKernel(_ text: String) throws -> Kernel {
  try parseKernelRows(text) { ConvolveError.invalidArgument("kernel \"\(text)\": \($0)") }
}

/// The rows syntax (`parseNumberRows`), with `fail` wording the error (inline text or a file's path).
func parseKernelRows(_ text: String, fail: (String) -> ConvolveError) throws -> Kernel {
  guard !text.allSatisfy(\.isWhitespace) else { throw fail("is empty; write rows like 1,2,1;2,4,2;1,2,1") }
  switch parseNumberRows(Substring(text)) {
  case .success(let rows): return try Kernel(rows: rows)
  case .failure(let error):
    switch error {
    case .emptyRow(let r): throw fail("row \(r) is empty (two ';' in a row?)")
    case .emptyValue(let r, let column, let position, _):
      let what = position == .end ? "a ',' at the end" : (position == .start ? "a ',' at the start" : "two ',' in a row")
      throw fail("row \(r) has an empty value after column \(column) (\(what)?)")
    case .notANumber(let token, let r, let column, false):
      throw fail(
        "\"\(token)\" at row \(r), column \(column) is not a number "
          + "(write values like 2, -0.5 or 1/16; ',' or spaces between values, ';' between rows)")
    case .notANumber(let token, let r, let column, true):
      throw fail("\"\(token)\" at row \(r), column \(column) is not finite (division by zero?)")
    case .ragged(let r, let count, let first): throw fail("row \(r) has \(count) values, row 1 has \(first)")
    }
  }
}
