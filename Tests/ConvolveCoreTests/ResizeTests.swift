import Testing
@testable import ConvolveCore

/// `Tensor.resized`, the general resizer behind ONNX Resize.
@Suite struct ResizeTests {
  let x = Tensor(rows: [[1, 2], [3, 4]])

  @Test func nearestAsymmetricFloorRepeatsSamples() throws {
    let y = try x.resized(height: 4, width: 4, options: ResizeOptions(mode: .nearest, coordinates: .asymmetric, nearest: .floor))
    #expect(y.rows() == [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])
  }

  @Test func everyCoordinateMappingByHand() {
    let m = 4, n = 2, s: Float = 2
    #expect((0 ..< m).map { CoordinateTransformation.halfPixel.source($0, scale: s, inputLength: n, outputLength: m) } == [-0.25, 0.25, 0.75, 1.25])
    #expect((0 ..< m).map { CoordinateTransformation.asymmetric.source($0, scale: s, inputLength: n, outputLength: m) } == [0, 0.5, 1, 1.5])
    #expect((0 ..< m).map { CoordinateTransformation.tfHalfPixelForNN.source($0, scale: s, inputLength: n, outputLength: m) } == [0.25, 0.75, 1.25, 1.75])
    #expect(CoordinateTransformation.alignCorners.source(3, scale: s, inputLength: n, outputLength: m) == 1)
    #expect(CoordinateTransformation.pytorchHalfPixel.source(0, scale: 0.5, inputLength: 2, outputLength: 1) == 0)
    #expect(CoordinateTransformation.halfPixel.source(0, scale: 0.5, inputLength: 2, outputLength: 1) == 0.5)
  }

  @Test func nearestRoundingRules() {
    #expect(NearestRounding.roundPreferFloor.index(1.5, downsampling: false) == 1)
    #expect(NearestRounding.roundPreferCeil.index(1.5, downsampling: false) == 2)
    #expect(NearestRounding.roundPreferFloor.index(1.6, downsampling: false) == 2)
    #expect(NearestRounding.floor.index(1.9, downsampling: false) == 1)
    #expect(NearestRounding.ceil.index(1.1, downsampling: false) == 2)
    #expect(NearestRounding.simple.index(1.1, downsampling: true) == 2)
    #expect(NearestRounding.simple.index(1.9, downsampling: false) == 1)
  }

  @Test func linearHalfPixelMatchesTheExistingBilinearUpsample() throws {
    let t = Tensor(channels: 2, height: 3, width: 5, data: (0 ..< 30).map { Float($0 * $0 % 7) })
    let general = try t.resized(height: 6, width: 10, options: ResizeOptions(mode: .linear, coordinates: .halfPixel))
    let existing = try upsample(t, scale: 2, method: .bilinear)
    #expect(zip(general.data, existing.data).allSatisfy { abs($0 - $1) < 1e-5 })
  }

  @Test func linearAlignCornersKeepsTheCorners() throws {
    let y = try x.resized(height: 3, width: 3, options: ResizeOptions(mode: .linear, coordinates: .alignCorners))
    #expect(y.rows() == [[1, 1.5, 2], [2, 2.5, 3], [3, 3.5, 4]])
  }

  @Test func badSizesAreErrors() {
    #expect(throws: ConvolveError.self) { try x.resized(height: 0, width: 2, options: ResizeOptions(mode: .nearest)) }
    #expect(throws: ConvolveError.self) { try x.resized(height: 2, width: 2, scaleY: -1, options: ResizeOptions(mode: .nearest)) }
  }
}

/// The options Pooling gained for ONNX: dilations, count_include_pad=0, padding up to kernel - 1.
@Suite struct PoolingONNXOptionsTests {
  let x = Tensor(rows: [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]])

  @Test func averageWithoutPaddingCountsOnlyInputSamples() throws {
    var p = Pooling(.average, kernel: 2, stride: 2, padding: 1)
    #expect(try p.apply(to: x).rows() == [[0.25, 1.25, 1], [3.5, 8.5, 5], [3.25, 7.25, 4]])
    p.countIncludesPadding = false
    #expect(try p.apply(to: x).rows() == [[1, 2.5, 4], [7, 8.5, 10], [13, 14.5, 16]])
  }

  @Test func dilatedMaxPooling() throws {
    var p = Pooling(.max, kernel: 2, stride: 1)
    p.dilationY = 2
    p.dilationX = 2
    #expect(try p.outputSize(inputHeight: 4, inputWidth: 4) == (2, 2))
    #expect(try p.apply(to: x).rows() == [[11, 12], [15, 16]])
  }

  @Test func paddingBelowTheKernelOnlyWhenAllowed() throws {
    var p = Pooling(.max, kernelHeight: 3, kernelWidth: 3, strideY: 1, strideX: 1, padding: Padding(top: 0, bottom: 2, left: 0, right: 0), rounding: .floor)
    #expect(throws: ConvolveError.self) { try p.apply(to: x) }
    p.allowsPaddingBelowKernel = true
    #expect(try p.apply(to: x).rows() == [[11, 12], [15, 16], [15, 16], [15, 16]])
  }
}
