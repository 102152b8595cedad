import ConvolveTestSupport
import ConvolveCore
import Testing

import ConvolveCNN
@testable import ConvolveLecture

/// The printed lines of a report.
private func lines(_ text: String) -> [String] { text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

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

  @Test func explainRejectsAStrideThatDoesNotFit() throws {
    let x = Tensor(channels: 1, height: 7, width: 7, repeating: 1), h = try Kernel(rows: [[1, 1, 1]])
    let error = #expect(throws: ConvolveError.self) {
      try explainConvolution(input: x, kernel: h, options: .init(mode: .valid, stride: 3))
    }
    #expect(error?.description.contains("2.33") == true)
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

// MARK: Shape calculator

@Suite struct ExplainShapeTests {
  /// `pool:max:3x2` strides 3 down and 2 across, as `Pooling` (and `convolve pool --size 3,2`) does: 4x6, not 4x4.
  @Test func rectangularPoolMatchesThePoolItself() throws {
    let l = lines(try shapeReport(input: (12, 12, 1), stages: ["pool:max:3x2"]))
    #expect(l.last(where: { $0.hasPrefix("Output:") }) == "Output: 4x6x1")
    let pooled = try Pooling(.max, kernelHeight: 3, kernelWidth: 2, strideY: 3, strideX: 2)
      .apply(to: Tensor(channels: 1, height: 12, width: 12))
    #expect((pooled.height, pooled.width) == (4, 6))
  }

  /// On random stages, the size `shape` prints is the size the layers produce.
  @Test func sizesAgreeWithTheExecutorsOnRandomStages() throws {
    var rng = SplitMix64(seed: 21)
    for _ in 0 ..< 200 {
      let (h, w) = (rng.int(6 ... 30), rng.int(6 ... 30))
      let (kh, kw, s, d) = (rng.int(1 ... 4), rng.int(1 ... 4), rng.int(1 ... 3), rng.int(1 ... 2))
      let x = Tensor(channels: 1, height: h, width: w)
      let spec: String
      let actual: Tensor
      switch rng.int(0 ... 2) {
      case 0:
        let p = rng.int(0 ... 2)
        spec = "conv:1:\(kh)x\(kw):s=\(s):p=\(p):d=\(d)"
        let bank = try FilterBank(
          outChannels: 1, inChannelsPerGroup: 1, kernelHeight: kh, kernelWidth: kw, weights: [Float](repeating: 1, count: kh * kw))
        actual = try convolutionLayer(x, bank, LayerGeometry(stride: (s, s), padding: .uniform(p), dilation: (d, d), groups: 1, floor: true))
      case 1:
        spec = "pool:avg:\(kh)x\(kw)"
        actual = try Pooling(.average, kernelHeight: kh, kernelWidth: kw, strideY: kh, strideX: kw, rounding: .floor).apply(to: x)
      default:
        let p = rng.int(0 ... 1)
        spec = "convT:1:\(kh)x\(kw):s=\(s):p=\(p)"
        let bank = try FilterBank(
          outChannels: 1, inChannelsPerGroup: 1, kernelHeight: kh, kernelWidth: kw, weights: [Float](repeating: 1, count: kh * kw))
        guard let y = try? transposedConvolution(x, bank, TransposedGeometry(stride: s, padding: p)) else { continue }
        actual = y
      }
      let l = lines(try shapeReport(input: (h, w, 1), stages: [spec], floor: true))
      #expect(l.last(where: { $0.hasPrefix("Output:") }) == "Output: \(actual.height)x\(actual.width)x1", "\(h)x\(w) \(spec)")
    }
  }

  @Test func sixFiveByFiveFiltersGiveTwentyEightByTwentyEightBySix() throws {
    let l = lines(try shapeReport(input: (32, 32, 3), stages: ["conv:6:5"]))
    #expect(l.contains("   H, W: (N + 2P - F)/S + 1 = (32 - 5)/1 + 1 = 28"))
    #expect(l.contains("   output: 28x28x6"))
    #expect(l.contains("Output: 28x28x6"))
  }

  @Test func tenFiltersPadTwoKeepThirtyTwoAndHave760Parameters() throws {
    let l = lines(try shapeReport(input: (32, 32, 3), stages: ["conv:10:5:s=1:p=2"]))
    #expect(l.contains("   H, W: (N + 2P - F)/S + 1 = (32 + 2*2 - 5)/1 + 1 = 32"))
    #expect(l.contains("   output: 32x32x10"))
    #expect(l.contains("   parameters: 5*5*3*10 + 10 = 760 (each filter 5*5*3 + 1 = 76, 76*10 = 760)"))
    #expect(l.last == "Total parameters: 760")
  }

  @Test func strideTableOfTheLecture() throws {
    let one = lines(try shapeReport(input: (7, 7, 1), stages: ["conv:1:3"]))
    #expect(one.contains("   H, W: (N + 2P - F)/S + 1 = (7 - 3)/1 + 1 = 5"))
    #expect(one.contains("Output: 5x5x1"))
    let two = lines(try shapeReport(input: (7, 7, 1), stages: ["conv:1:3:s=2"]))
    #expect(two.contains("   H, W: (N + 2P - F)/S + 1 = (7 - 3)/2 + 1 = 3"))
    #expect(two.contains("Output: 3x3x1"))
    let error = #expect(throws: ConvolveError.self) { try shapeReport(input: (7, 7, 1), stages: ["conv:1:3:s=3"]) }
    #expect(error == .shapeMismatch(
      "stage 1 conv:1:3:s=3: (N + 2P - F)/S + 1 = (7 - 3)/3 + 1 = 2.33 doesn't fit: cannot apply a 3x3 filter on a "
        + "7x7 input with stride 3; pad 1 on each side: (7 + 2*1 - 3)/3 + 1 = 3 (or use floor rounding to get 2)"))
    #expect(try shapeReport(input: (7, 7, 1), stages: ["conv:1:3:s=3:p=1"]).contains("Output: 3x3x1"))
  }

  @Test func floorReportsTheMisfitAndContinues() throws {
    let l = lines(try shapeReport(input: (7, 7, 1), stages: ["conv:1:3:s=3", "upsample:2"], floor: true))
    #expect(l.contains(
      "   H, W: (N + 2P - F)/S + 1 = (7 - 3)/3 + 1 = 2.33 doesn't fit; floor drops the last 1 input sample: 2"
        + "   [pad 1 on each side: (7 + 2*1 - 3)/3 + 1 = 3]"))
    #expect(l.contains("   H, W: N*F = 2*2 = 4"))
    #expect(l.contains("Output: 4x4x1"))
  }

  @Test func poolingTransposedConvolutionAndTotals() throws {
    let text = try shapeReport(
      input: (32, 32, 3), stages: ["conv:6:5", "pool:max:2", "conv:16:3x5:p=same", "convT:8:3:s=2:p=1:op=1"])
    let l = lines(text)
    #expect(l.contains("   H, W: (N + 2P - F)/S + 1 = (28 - 2)/2 + 1 = 14"))
    #expect(l.contains("   output: 14x14x6"))
    #expect(l.contains("   H: (N + 2P - F)/S + 1 = (14 + 2*1 - 3)/1 + 1 = 14"))
    #expect(l.contains("   W: (N + 2P - F)/S + 1 = (14 + 2*2 - 5)/1 + 1 = 14"))
    #expect(l.contains("   parameters: 3*5*6*16 + 16 = 1456 (each filter 3*5*6 + 1 = 91, 91*16 = 1456)"))
    #expect(l.contains("   H, W: S(N-1) + D(K-1) + 1 - 2P + OP = 2*(14-1) + 1*(3-1) + 1 - 2*1 + 1 = 28"))
    #expect(l.contains("   parameters: 3*3*16*8 + 8 = 1160 (each filter 3*3*16 + 1 = 145, 145*8 = 1160)"))
    #expect(l.suffix(2) == ["Output: 28x28x8", "Total parameters: \(456 + 1456 + 1160)"])
  }

  @Test func evenStrideSuggestsAsymmetricPadding() {
    let error = #expect(throws: ConvolveError.self) { try shapeReport(input: (8, 7, 2), stages: ["pool:avg:2"]) }
    #expect(error?.description.contains("(7 - 2)/2 + 1 = 3.5 doesn't fit") == true)
    #expect(error?.description.contains("along the width") == true)
    #expect(error?.description.contains("pad 0 before and 1 after: (7 + 0 + 1 - 2)/2 + 1 = 4") == true)
  }

  @Test func parseErrorsNameTheSpecAndTheGrammar() {
    func message(_ spec: String) -> String {
      do {
        _ = try shapeReport(input: (7, 7, 1), stages: [spec])
        return "no error"
      } catch { return "\(error)" }
    }
    #expect(message("conv:6") == "stage 'conv:6': conv needs a filter count N and a kernel size K; expected conv:N:K[xK2][:s=S][:p=P|same][:d=D]")
    #expect(message("conv:6:5:q=1") == "stage 'conv:6:5:q=1': option 'q=1' is not one of s=, p=, d=; expected conv:N:K[xK2][:s=S][:p=P|same][:d=D]")
    #expect(message("pool:mean:2") == "stage 'pool:mean:2': pooling 'mean' is not max, avg or min; expected pool:max|avg|min:K[xK2][:s=S]")
    #expect(message("upsample:0") == "stage 'upsample:0': factor '0' is not a whole number >= 1; expected upsample:F")
    #expect(message("dense:10").hasPrefix("stage 'dense:10': unknown stage 'dense'; allowed: conv:N:K"))
    #expect(message("convT:2:3:op=2").contains("output padding 2 must be smaller than the stride or the dilation"))
    #expect(message("conv:1:9").contains("larger than the padded input 7"))
  }
}
