import ConvolveTestSupport
import ConvolveCore
import Foundation
import Testing
import ConvolveCNN
@testable import ConvolveFormats

@Suite struct InlineKernelTests {
  @Test func parsesRowsValuesAndFractions() throws {
    #expect(try parseInlineKernel("1,2,1;2,4,2;1,2,1").rows == [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    #expect(try parseInlineKernel(" 1 2 1 ; 2 4 2 ;1,2,1; ").rows == [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    #expect(try parseInlineKernel("1/16, 1/8, 1/16; -0.5, 2e-1, +3").rows == [[0.0625, 0.125, 0.0625], [-0.5, 0.2, 3]])
    #expect(try parseInlineKernel("1, -1").rows == [[1, -1]])
    #expect(try parseInlineKernel("1;-1").rows == [[1], [-1]])
    #expect(try parseInlineKernel("-1/4").rows == [[-0.25]])
  }

  @Test func badStringsNameTheTokenAndPosition() {
    let hint = "(write values like 2, -0.5 or 1/16; ',' or spaces between values, ';' between rows)"
    let cases: [(String, String)] = [
      ("1,2,x;1,2,1", "\"x\" at row 1, column 3 is not a number \(hint)"),
      ("1,2,1;2,4,2;1,2,l", "\"l\" at row 3, column 3 is not a number \(hint)"),
      ("1 2 1;2 4;1 2 1", "row 2 has 2 values, row 1 has 3"),
      ("1,,2", "row 1 has an empty value after column 1 (two ',' in a row?)"),
      ("1,2,", "row 1 has an empty value after column 2 (a ',' at the end?)"),
      (",1,2", "row 1 has an empty value after column 0 (a ',' at the start?)"),
      ("1,2;;3,4", "row 2 is empty (two ';' in a row?)"),
      ("1/0", "\"1/0\" at row 1, column 1 is not finite (division by zero?)"),
      ("1,nan", "\"nan\" at row 1, column 2 is not a number \(hint)"),
      ("1,inf", "\"inf\" at row 1, column 2 is not a number \(hint)"),
      ("1/2/3", "\"1/2/3\" at row 1, column 1 is not a number \(hint)"),
      ("0x10", "\"0x10\" at row 1, column 1 is not a number \(hint)"),
      ("  ", "is empty; write rows like 1,2,1;2,4,2;1,2,1"),
    ]
    for (text, message) in cases {
      #expect(throws: ConvolveError.invalidArgument("kernel \"\(text)\": \(message)")) { try parseInlineKernel(text) }
    }
  }
}
