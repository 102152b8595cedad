import ConvolveTestSupport
import Testing
import ConvolveCore
@testable import ConvolveCNN

@Suite struct PoolingTests {
  let lecture = Tensor(rows: [[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]])

  @Test func lectureMaxAverageMin() throws {
    #expect(try Pooling(.max, kernel: 3, stride: 1).apply(to: lecture).rows() == [[3, 3, 3], [3, 3, 3], [3, 2, 3]])
    let average = try Pooling(.average, kernel: 3, stride: 1).apply(to: lecture).rows()
    let expected: [[Float]] = [[15, 15, 15], [9, 11, 16], [10, 7, 12]].map { $0.map { $0 / 9 } }
    #expect(maxDifference(average.flatMap { $0 }, expected.flatMap { $0 }) < 1e-6)
    #expect(try Pooling(.min, kernel: 3, stride: 1).apply(to: lecture).rows() == [[0, 0, 0], [0, 0, 0], [0, 0, 0]])
  }

  @Test func parsesSpecs() throws {
    #expect(try Pooling(parsing: "max:2") == Pooling(.max, kernel: 2))
    #expect(try Pooling(parsing: "avg:3:1") == Pooling(.average, kernel: 3, stride: 1))
    #expect(try Pooling(parsing: "MIN:3x2:1:1") == Pooling(.min, kernelHeight: 3, kernelWidth: 2, strideY: 1, strideX: 1, padding: Padding(1)))
    #expect(try Pooling(parsing: "max:2").strideX == 2)
    #expect(thrownMessage { try Pooling(parsing: "median:3") }?.contains("median") == true)
    #expect(thrownMessage { try Pooling(parsing: "max:0") }?.contains("'0'") == true)
    #expect(thrownMessage { try Pooling(parsing: "max") } != nil)
  }

  @Test func roundingRules() throws {
    let x = Tensor(channels: 1, height: 5, width: 5, data: (0 ..< 25).map(Float.init))
    let message = thrownMessage { try Pooling(.max, kernel: 2, rounding: .strict).apply(to: x) }
    #expect(message?.contains("2.50") == true, "\(message ?? "no error")")
    #expect(try Pooling(.max, kernel: 2, rounding: .floor).apply(to: x).rows() == [[6, 8], [16, 18]])
    #expect(try Pooling(.max, kernel: 2).apply(to: x).rows() == [[6, 8], [16, 18]])  // floor is the default
    #expect(try Pooling(.max, kernel: 2).unusedSamples(inputHeight: 5, inputWidth: 5) == (1, 1))
    #expect(try Pooling(.max, kernel: 2, rounding: .ceil).unusedSamples(inputHeight: 5, inputWidth: 5) == (0, 0))
    // ceil_mode: the last window hangs over the edge and sees only the last row/column.
    #expect(try Pooling(.max, kernel: 2, rounding: .ceil).apply(to: x).rows() == [[6, 8, 9], [16, 18, 19], [21, 23, 24]])
    // PyTorch: avg_pool2d(ceil_mode=True) divides the edge windows by the samples inside the input.
    #expect(try Pooling(.average, kernel: 2, rounding: .ceil).apply(to: x).rows()[2] == [20.5, 22.5, 24])
    #expect(thrownMessage { try Pooling(.max, kernel: 3, padding: 2).apply(to: x) }?.contains("half") == true)
  }

  /// Padding never wins a max or min; average counts it as zeros (count_include_pad=True).
  @Test func paddingSemantics() throws {
    let negative = Tensor(rows: [[-1, -2], [-3, -4]])
    #expect(try Pooling(.max, kernel: 2, stride: 1, padding: 1).apply(to: negative).rows()
      == [[-1, -1, -2], [-1, -1, -2], [-3, -3, -4]])
    #expect(try Pooling(.min, kernel: 2, stride: 1, padding: 1).apply(to: negative.scaled(-1)).rows()
      == [[1, 1, 2], [1, 1, 2], [3, 3, 4]])
    #expect(try Pooling(.average, kernel: 2, stride: 1, padding: 1).apply(to: negative).rows()[0] == [-0.25, -0.75, -0.5])
  }

  struct PoolCase: Decodable {
    let name: String, input: FixtureArray, kind: String, kernel: [Int], stride: [Int], padding: Int, ceil: Bool
    let expected: FixtureArray
  }

  @Test func matchesNumPyFixtures() throws {
    let cases = try loadFixture("cnn_pooling.json", as: [PoolCase].self)
    #expect(cases.count == 15)
    for c in cases {
      let pool = Pooling(
        PoolingKind(rawValue: c.kind)!, kernelHeight: c.kernel[0], kernelWidth: c.kernel[1], strideY: c.stride[0],
        strideX: c.stride[1], padding: Padding(c.padding), rounding: c.ceil ? .ceil : .floor)
      let y = try pool.apply(to: c.input.tensor)
      #expect([y.channels, y.height, y.width] == c.expected.shape, "\(c.name)")
      #expect(maxDifference(y.data, c.expected.data) < 1e-5, "\(c.name)")
    }
  }

  @Test func globalAverage() {
    let x = Tensor(planes: [[[1, 2], [3, 4]], [[-1, -1], [-1, 5]]])
    let y = globalAveragePool(x)
    #expect([y.channels, y.height, y.width] == [2, 1, 1])
    #expect(y.data == [2.5, 0.5])
  }
}

extension Tensor {
  func scaled(_ factor: Float) -> Tensor {
    Tensor(channels: channels, height: height, width: width, data: data.map { $0 * factor })
  }
}
