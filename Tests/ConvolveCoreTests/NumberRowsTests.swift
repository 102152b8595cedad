import ConvolveCore
import Testing

/// The one parser of rows of numbers (`--kernel`, `--input`, `explain`): convolve's rows and NumPy's lists.
@Suite struct NumberRowsTests {
  func rows(_ text: String) -> [[Float]]? { try? parseNumberRows(Substring(text)).get() }

  @Test func numpyListsAreRows() {
    let expected: [[Float]] = [[1, 2, 1], [2, 4, 2]]
    #expect(rows("1,2,1;2,4,2") == expected)
    #expect(rows("[[1,2,1],[2,4,2]]") == expected)
    #expect(rows(" [ [1, 2, 1] , [2, 4, 2] ] ") == expected)
    #expect(rows("[[1 2 1]\n [2 4 2]]") == expected)  // as NumPy prints an array
    #expect(rows("[[1/2,-1e-1]]") == [[0.5, -0.1]])
    #expect(rows("[1,2,1]") == [[1, 2, 1]])
    #expect(rows("[[1],[2]]") == [[1], [2]])
  }

  @Test func brokenListsAreErrors() {
    for text in ["[[1,2],[3,4]", "[[1,2],3]", "[[[1]]]", "[[1,2],[3]]", "[[]]", "[1,2]]", "[]"] {
      #expect(rows(text) == nil, "\(text)")
    }
  }
}
