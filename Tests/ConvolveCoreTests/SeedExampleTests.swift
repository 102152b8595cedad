import ConvolveTestSupport
import Testing
@testable import ConvolveCore

/// Every worked example of the lecture (shared/seed-convolutions-and-cnns.txt), with its numbers.
@Suite struct SeedExampleTests {
  func full(_ x: [[Float]], _ h: [[Float]], correlate: Bool = false) throws -> [[Float]] {
    try convolve(Tensor(rows: x), with: Kernel(rows: h), options: .init(mode: .full, correlate: correlate)).rows()
  }

  @Test func columnKernelGivesFourByThree() throws {
    let y = try full([[4, 5, 6], [7, 8, 9]], [[1], [1], [1]])
    #expect(y == [[4, 5, 6], [11, 13, 15], [11, 13, 15], [7, 8, 9]])
  }

  /// The lecture prints row 4 as `1 24 28 15`; the correct value of y(3, 0) is 4 + 7 = 11.
  @Test func threeByThreeWithOnesThreeByTwo() throws {
    let y = try full([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 1], [1, 1], [1, 1]])
    #expect(y == [[1, 3, 5, 3], [5, 12, 16, 9], [12, 27, 33, 18], [11, 24, 28, 15], [7, 15, 17, 9]])
  }

  @Test func threeByThreeWithRowKernel() throws {
    let y = try full([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[3, 4, 5]])
    #expect(y == [[3, 10, 22, 22, 15], [12, 31, 58, 49, 30], [21, 52, 94, 76, 45]])
  }

  @Test func foldedKernelIsTheLecturesStepOne() throws {
    let x2 = try Kernel(rows: [[1, 5], [2, 3]])
    #expect(x2.flipped.rows == [[3, 2], [5, 1]])
  }

  @Test func correlationThroughTheFoldedKernel() throws {
    let expected: [[Float]] = [[9, 9, 2], [21, 24, 9], [10, 22, 4]]
    let x1: [[Float]] = [[3, 1], [2, 4]], x2: [[Float]] = [[1, 5], [2, 3]]
    #expect(try full(x1, x2, correlate: true) == expected)
    #expect(try full(x1, Kernel(rows: x2).flipped.rows) == expected)
  }

  @Test func blockToeplitzMatrixOfTheLecture() throws {
    let a = convolutionMatrix(kernel: try Kernel(rows: [[3, 1], [2, 4]]), inputHeight: 2, inputWidth: 2)
    let lecture: [[Float]] = [
      [3, 0, 0, 0], [1, 3, 0, 0], [0, 1, 0, 0], [2, 0, 3, 0], [4, 2, 1, 3],
      [0, 4, 0, 1], [0, 0, 2, 0], [0, 0, 4, 2], [0, 0, 0, 4],
    ]
    #expect(a.rows == 9 && a.columns == 4)
    #expect(a.data == lecture.flatMap { $0 })
    #expect(a.multiplied(by: [3, 2, 5, 1]) == [9, 9, 2, 21, 24, 9, 10, 22, 4])
  }

  @Test func toeplitzProductEqualsConvolutionOnRandomSizes() throws {
    var rng = SplitMix64(seed: 7)
    for _ in 0 ..< 20 {
      let (h, w, kh, kw) = (rng.int(1 ... 5), rng.int(1 ... 5), rng.int(1 ... 4), rng.int(1 ... 4))
      let x = Tensor(channels: 1, height: h, width: w, data: rng.floats(h * w))
      let k = Kernel(height: kh, width: kw, weights: rng.floats(kh * kw))
      let direct = try convolve(x, with: k, options: .init(mode: .full))
      let product = convolutionMatrix(kernel: k, inputHeight: h, inputWidth: w).multiplied(by: x.data)
      #expect(maxDifference(direct.data, product) < 1e-4)
    }
  }

  /// The lecture leaves these as exercises; the answers are `scipy.signal.correlate2d(x1, x2)`.
  @Test func correlationExercises() throws {
    #expect(try full([[1, 5], [2, 4]], [[3, 2], [4, 1]], correlate: true) == [[1, 9, 20], [4, 25, 31], [4, 14, 12]])
    let auto = try full([[3, 2], [1, 5]], [[3, 2], [1, 5]], correlate: true)
    #expect(auto == [[15, 13, 2], [11, 39, 11], [2, 13, 15]])
    #expect(auto[1][1] == 9 + 4 + 1 + 25)  // zero lag: the energy
  }

  @Test func strideTable() throws {
    #expect(try slidingOutputSize(input: 7, kernel: 3, stride: 1) == 5)
    #expect(try slidingOutputSize(input: 7, kernel: 3, stride: 2) == 3)
    // The lecture's "doesn't fit" is the `.strict` rule; the default rounds down as its last formula and PyTorch.
    let error = #expect(throws: ConvolveError.self) {
      try slidingOutputSize(input: 7, kernel: 3, stride: 3, rounding: .strict)
    }
    #expect(error?.description.contains("2.33") == true)
    #expect(error?.description.contains("stride 3 does not fit") == true)
    #expect(try slidingOutputSize(input: 7, kernel: 3, stride: 3) == 2)
    #expect(try slidingOutputSize(input: 7, kernel: 3, stride: 3, rounding: .ceil) == 3)
    let window = try slidingWindow(input: 7, kernel: 3, stride: 3)
    #expect(window == SlidingSize(size: 2, unusedInput: 1, exact: 4.0 / 3 + 1))
    let image = Tensor(channels: 1, height: 7, width: 7, repeating: 1)
    let box = try Kernel(rows: [[Float]](repeating: [1, 1, 1], count: 3))
    #expect(throws: ConvolveError.self) {
      try convolve(image, with: box, options: .init(mode: .valid, stride: 3, rounding: .strict))
    }
    let floored = try convolve(image, with: box, options: .init(mode: .valid, stride: 3))
    #expect(floored.height == 2 && floored.width == 2 && floored.data.allSatisfy { $0 == 9 })
    let strided = try convolve(image, with: box, options: .init(mode: .valid, stride: 2))
    #expect(strided.height == 3 && strided.width == 3 && strided.data.allSatisfy { $0 == 9 })
  }

  @Test func zeroPaddingOfHalfTheFilterKeepsTheSize() throws {
    for f in [3, 5, 7] {
      #expect(try slidingOutputSize(input: 7, kernel: f, padBefore: (f - 1) / 2, padAfter: (f - 1) / 2) == 7)
      let image = Tensor(channels: 1, height: 7, width: 7, repeating: 1)
      let k = Kernel(height: f, width: f, weights: [Float](repeating: 1, count: f * f))
      let y = try convolve(image, with: k, options: .init(mode: .valid, padding: Padding((f - 1) / 2)))
      #expect(y.height == 7 && y.width == 7)
      #expect(y[0, 0, 0] == Float(((f + 1) / 2) * ((f + 1) / 2)))  // corner: only the in-image part counts
      #expect(y[0, 3, 3] == Float(f * f))
    }
    #expect(try slidingOutputSize(input: 32, kernel: 5, padBefore: 2, padAfter: 2) == 32)
  }
}
