import ConvolveTestSupport
import ConvolveCore
import Testing

import ConvolveCNN
@testable import ConvolveLecture

/// The printed lines of a report.
func lines(_ text: String) -> [String] { text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

/// The matrix printed under the first line equal to `header` (after trimming), read back as numbers.
private func matrix(after header: String, in text: String) -> [[Float]] {
  let all = lines(text)
  guard let start = all.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == header }) else { return [] }
  var rows: [[Float]] = []
  for line in all[(start + 1)...] {
    let cells = line.split(separator: " ").map { Float(String($0)) }
    guard line.hasPrefix("  "), !cells.isEmpty, cells.allSatisfy({ $0 != nil }) else { break }
    rows.append(cells.map { $0! })
  }
  return rows
}

private let lectureRGB: (input: Tensor, bank: [Kernel]) = (
  Tensor(planes: [LectureRGB.red, LectureRGB.green, LectureRGB.blue].map(LectureRGB.slideCorner)),
  try! LectureRGB.kernels.map { try Kernel(rows: $0) }
)

@Suite struct ExplainTests {
  // MARK: Numbers and inline matrices

  @Test func numbersPrintLikeTheLecture() {
    #expect(formatNumber(4) == "4")
    #expect(formatNumber(-498) == "-498")
    #expect(formatNumber(2.5) == "2.5")
    #expect(formatNumber(1.0 / 3) == "0.3333")
    #expect(formatNumber(-0.00001) == "0")
    #expect(formatNumber(123456) == "123456")
  }

  @Test func parseMatrixRowsColumnsAndChannels() throws {
    #expect(try parseMatrix("4,5,6;7,8,9") == Tensor(rows: [[4, 5, 6], [7, 8, 9]]))
    #expect(try parseMatrix(" 4 5 6 ; 7, 8 9 ") == Tensor(rows: [[4, 5, 6], [7, 8, 9]]))
    #expect(try parseMatrix("1;1;1") == Tensor(rows: [[1], [1], [1]]))
    #expect(try parseMatrix("-1.5,−2,0.25;") == Tensor(rows: [[-1.5, -2, 0.25]]))
    let two = try parseMatrix("1,2;3,4|5,6;7,8")
    #expect(two.channels == 2 && two.height == 2 && two.width == 2)
    #expect(two.rows(channel: 1) == [[5, 6], [7, 8]])
  }

  /// One rows syntax for kernels and matrices: what `--kernel` accepts, `explain --input` accepts too.
  @Test func parseMatrixTakesTheKernelSyntax() throws {
    #expect(try parseMatrix("1/2,1") == Tensor(rows: [[0.5, 1]]))
    #expect(try parseMatrix("1/16 2/16;1e-1,-0.5") == Tensor(rows: [[0.0625, 0.125], [0.1, -0.5]]))
    #expect(try parseMatrix("1\n2") == Tensor(rows: [[1], [2]]))
    #expect(throws: ConvolveError.self) { try parseMatrix("1/0") }
    #expect(throws: ConvolveError.self) { try parseMatrix("0x10") }
  }

  @Test func parseMatrixErrorsNameTheBadToken() {
    func message(_ text: String) -> String {
      do {
        _ = try parseMatrix(text)
        return "no error"
      } catch { return "\(error)" }
    }
    #expect(message("1,2;3,x") == "matrix row 2, column 2: 'x' is not a finite number")
    #expect(message("1,2;3") == "matrix row 2 has 1 values, row 1 has 2")
    #expect(message("1,,2") == "matrix row 1 has an empty value between commas: '1,,2'")
    #expect(message("1;;2") == "matrix row 2 is empty in '1;;2'")
    #expect(message("1,2|3") == "matrix channel 2 is 1x1, channel 1 is 1x2")
    #expect(message("1|2,nan") == "matrix channel 2, row 1, column 2: 'nan' is not a finite number")
    #expect(message("") == "matrix row 1 is empty in ''")
  }

  @Test func formatMatrixRightAlignsColumns() throws {
    #expect(formatMatrix(Tensor(rows: [[4, 5, 6], [11, 13, 15]])) == " 4   5   6\n11  13  15")
    #expect(formatMatrix(try parseMatrix("1,-2.5;30,4|9,9;9,9"), channel: 0) == " 1  -2.5\n30     4")
    #expect(formatMatrix(try parseMatrix("1,-2.5;30,4|9,9;9,9"), channel: 1) == "9  9\n9  9")
  }

  // MARK: The lecture's convolution, 2x3 with a 3x1 column

  @Test func explainsTheFourByThreeExample() throws {
    let text = try explainConvolution(
      input: parseMatrix("4,5,6;7,8,9"), kernel: Kernel(rows: [[1], [1], [1]]), options: .init(mode: .full))
    let l = lines(text)
    #expect(l.contains("Step 2: pad x (zero border): 2 rows above and below, no columns left or right"))
    #expect(l.contains("  rows:    (2 + 2 + 2 - 1(3-1) - 1)/1 + 1 = 4"))
    #expect(l.contains("  columns: (3 + 0 + 0 - 1(1-1) - 1)/1 + 1 = 3"))
    #expect(l.contains("  (full: (2 + 3 - 1) x (3 + 1 - 1) = 4 x 3)"))
    #expect(matrix(after: "padded x =", in: text) == [[0, 0, 0], [0, 0, 0], [4, 5, 6], [7, 8, 9], [0, 0, 0], [0, 0, 0]])
    #expect(l.contains("  y(0,0) = 4×1 = 4"))
    #expect(l.contains("  y(0,1) = 5×1 = 5"))
    #expect(l.contains("  y(0,2) = 6×1 = 6"))
    #expect(l.contains("  y(1,2) = 6×1 + 9×1 = 15"))
    #expect(l.contains("  y(1,1) = 5×1 + 8×1 = 13"))
    #expect(l.contains("  y(3,2) = 9×1 = 9"))
    #expect(matrix(after: "y(m,n) =", in: text) == [[4, 5, 6], [11, 13, 15], [11, 13, 15], [7, 8, 9]])
    #expect(l.suffix(5) == ["y(m,n) =", "   4   5   6", "  11  13  15", "  11  13  15", "   7   8   9"])
  }

  @Test func convolutionFoldsColumnsThenRows() throws {
    let text = try explainConvolution(
      input: parseMatrix("1,2,3;4,5,6;7,8,9"), kernel: Kernel(rows: [[3, 4, 5]]), options: .init(mode: .full))
    #expect(matrix(after: "Step 1a: fold column wise, h(m,-n) =", in: text) == [[5, 4, 3]])
    #expect(matrix(after: "Step 1b: then fold row wise, h(-m,-n) =", in: text) == [[5, 4, 3]])
    #expect(lines(text).contains("  y(1,2) = 4×5 + 5×4 + 6×3 = 58"))
    #expect(matrix(after: "y(m,n) =", in: text) == [[3, 10, 22, 22, 15], [12, 31, 58, 49, 30], [21, 52, 94, 76, 45]])
  }

  @Test func maxPositionsShortensTheSteps() throws {
    let text = try explainConvolution(
      input: parseMatrix("4,5,6;7,8,9"), kernel: Kernel(rows: [[1], [1], [1]]), options: .init(mode: .full),
      maxPositions: 4)
    let steps = lines(text).filter { $0.hasPrefix("  y(") }
    #expect(steps == ["  y(0,0) = 4×1 = 4", "  y(0,1) = 5×1 = 5", "  y(0,2) = 6×1 = 6", "  y(1,0) = 4×1 + 7×1 = 11"])
    #expect(lines(text).contains("  … the other 8 values are only in the result"))
    #expect(matrix(after: "y(m,n) =", in: text) == [[4, 5, 6], [11, 13, 15], [11, 13, 15], [7, 8, 9]])
  }

  @Test func allZeroProductsPrintZeroAndBordersAreNamed() throws {
    let text = try explainConvolution(
      input: parseMatrix("0,0,1;0,0,2"), kernel: Kernel(rows: [[-1, 1]]),
      options: .init(mode: .same, border: .replicate))
    let l = lines(text)
    #expect(l.contains("Step 2: pad x (replicate border): no rows above or below, 1 column left, 0 columns right"))
    #expect(matrix(after: "padded x =", in: text) == [[0, 0, 0, 1], [0, 0, 0, 2]])
    #expect(l.contains("  y(0,0) = 0"))
    #expect(l.contains("  y(0,2) = 1×(-1) = -1"))  // h(-m,-n) = [1, -1]
    #expect(matrix(after: "y(m,n) =", in: text) == [[0, 0, -1], [0, 0, -2]])
  }

  // MARK: The lecture's correlation and its block-Toeplitz form

  @Test func correlationShowsTheFoldAndTheResult() throws {
    let text = try explainConvolution(
      input: parseMatrix("3,1;2,4"), kernel: Kernel(rows: [[1, 5], [2, 3]]), options: .init(mode: .full, correlate: true))
    #expect(matrix(after: "Step 1a: fold column wise, x2(m,-n) =", in: text) == [[5, 1], [3, 2]])
    #expect(matrix(after: "Step 1b: then fold row wise, x2(-m,-n) =", in: text) == [[3, 2], [5, 1]])
    #expect(text.contains("slides over x1 as it is given, not flipped"))
    #expect(lines(text).contains("  y(1,1) = 3×1 + 1×5 + 2×2 + 4×3 = 24"))
    #expect(matrix(after: "y(m,n) =", in: text) == [[9, 9, 2], [21, 24, 9], [10, 22, 4]])
  }

  @Test func toeplitzFormIsTheLecturesMatrix() throws {
    let text = try explainConvolution(
      input: parseMatrix("3,1;2,4"), kernel: Kernel(rows: [[1, 5], [2, 3]]), options: .init(mode: .full, correlate: true),
      toeplitz: true)
    #expect(matrix(after: "H0 (from row 0 of x1) =", in: text) == [[3, 0], [1, 3], [0, 1]])
    #expect(matrix(after: "H1 (from row 1 of x1) =", in: text) == [[2, 0], [4, 2], [0, 4]])
    let l = lines(text)
    let layout = l.firstIndex { $0.hasPrefix("Step T2:") }.map { Array(l[($0 + 1) ... ($0 + 3)]) }
    #expect(layout == ["  H0  0", "  H1  H0", "  0   H1"])
    #expect(matrix(after: "A (9x4) =", in: text) == [
      [3, 0, 0, 0], [1, 3, 0, 0], [0, 1, 0, 0], [2, 0, 3, 0], [4, 2, 1, 3],
      [0, 4, 0, 1], [0, 0, 2, 0], [0, 0, 4, 2], [0, 0, 0, 4],
    ])
    #expect(l.contains("vec(x2(-m,-n)) = (3, 2, 5, 1)ᵀ"))
    #expect(l.contains("A × vec(x2(-m,-n)) = (9, 9, 2, 21, 24, 9, 10, 22, 4)ᵀ"))
    #expect(matrix(after: "reshaped into 3 rows of 3, y(m,n) =", in: text) == [[9, 9, 2], [21, 24, 9], [10, 22, 4]])
  }

  @Test func toeplitzOfAConvolutionMultipliesTheKernelAsGiven() throws {
    let text = try explainConvolution(
      input: parseMatrix("1,2,3;4,5,6;7,8,9"), kernel: Kernel(rows: [[1, 1], [1, 1], [1, 1]]),
      options: .init(mode: .full), toeplitz: true)
    #expect(lines(text).contains("vec(h(m,n)) = (1, 1, 1, 1, 1, 1)ᵀ"))
    let expected: [[Float]] = [[1, 3, 5, 3], [5, 12, 16, 9], [12, 27, 33, 18], [11, 24, 28, 15], [7, 15, 17, 9]]
    #expect(matrix(after: "reshaped into 5 rows of 4, y(m,n) =", in: text) == expected)
    #expect(matrix(after: "y(m,n) =", in: text) == expected)
  }

  @Test func toeplitzNeedsFullLinearConvolution() throws {
    let x = try parseMatrix("1,2;3,4"), h = try Kernel(rows: [[1, 1]])
    let error = #expect(throws: ConvolveError.self) {
      try explainConvolution(input: x, kernel: h, options: .init(mode: .same), toeplitz: true)
    }
    #expect(error?.description.contains("only for full linear convolution") == true)
    #expect(error?.description.contains("mode is same") == true)
    #expect(throws: ConvolveError.self) {
      try explainConvolution(input: x, kernel: h, options: .init(mode: .full, border: .wrap), toeplitz: true)
    }
  }

  @Test func explainRejectsAStrideThatDoesNotFitUnderExactRounding() throws {
    let x = Tensor(channels: 1, height: 7, width: 7, repeating: 1), h = try Kernel(rows: [[1, 1, 1]])
    let error = #expect(throws: ConvolveError.self) {
      try explainConvolution(input: x, kernel: h, options: .init(mode: .valid, stride: 3, rounding: .strict))
    }
    #expect(error?.description.contains("2.33") == true)
    // By default it rounds down and says so in the formula.
    let text = try explainConvolution(input: x, kernel: h, options: .init(mode: .valid, stride: 3))
    #expect(text.contains("  rows:    (7 + 0 + 0 - 1(1-1) - 1)/3 + 1 = 3"), "\(text)")
    #expect(text.contains("  columns: (7 + 0 + 0 - 1(3-1) - 1)/3 + 1 = 2.33, rounded down: 2 (the last 1 padded samples are unused)"), "\(text)")
  }

  @Test func explainRefusesAPaddedInputTooLargeToWriteOut() throws {
    let x = Tensor(channels: 1, height: 2, width: 2, repeating: 1), h = try Kernel(rows: [[1]])
    let message = thrownMessage {
      try explainConvolution(input: x, kernel: h, options: .init(mode: .valid, padding: Padding(100_000)))
    }
    #expect(message == "the padded input would be 200002x200002 (40000800004 pixels), more than the limit of 1000000; "
      + "explain works small examples; use `convolve filter --input` for larger ones")
    #expect(explainLayerPosition(input: x, bank: [h], bias: 0, y: 0, x: 0, padding: .max).hasPrefix("error: padding"))
  }

  // MARK: The lecture's RGB layer

  @Test func layerPositionGivesTheLecturesSums() {
    let text = explainLayerPosition(input: lectureRGB.input, bank: lectureRGB.bank, bias: 1, y: 0, x: 0, padding: 0)
    let l = lines(text)
    #expect(l.contains("  156×1 + 155×(-1) + 153×1 + 154×1 = 308"))
    #expect(l.contains("  167×(-1) + 166×(-1) + 165×(-1) = -498"))
    #expect(l.contains("  163×1 + 160×(-1) + 161×1 = 164"))
    #expect(l.last == "output(0,0) = 308 + (-498) + 164 + bias 1 = -25")
    #expect(matrix(after: "Input channel #1, window at (0,0):", in: text) == [[0, 0, 0], [0, 156, 155], [0, 153, 154]])
  }

  @Test func layerPositionPadsTheUnpaddedInput() {
    var inner = Tensor(channels: 3, height: 5, width: 5)
    for c in 0 ..< 3 { for y in 0 ..< 5 { for x in 0 ..< 5 { inner[c, y, x] = lectureRGB.input[c, y + 1, x + 1] } } }
    let text = explainLayerPosition(input: inner, bank: lectureRGB.bank, bias: 1, y: 0, x: 0, padding: 1)
    #expect(lines(text).last == "output(0,0) = 308 + (-498) + 164 + bias 1 = -25")
    #expect(explainLayerPosition(input: inner, bank: lectureRGB.bank, bias: 1, y: 5, x: 0, padding: 1).hasPrefix("error:"))
    #expect(explainLayerPosition(input: inner, bank: [lectureRGB.bank[0]], bias: 1, y: 0, x: 0, padding: 1).hasPrefix("error:"))
  }
}
