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

  @Test func linearAlignCornersKeepsTheCorners() throws {
    let y = try x.resized(height: 3, width: 3, options: ResizeOptions(mode: .linear, coordinates: .alignCorners))
    #expect(y.rows() == [[1, 1.5, 2], [2, 2.5, 3], [3, 3.5, 4]])
  }

  @Test func badSizesAreErrors() {
    #expect(throws: ConvolveError.self) { try x.resized(height: 0, width: 2, options: ResizeOptions(mode: .nearest)) }
    #expect(throws: ConvolveError.self) { try x.resized(height: 2, width: 2, scaleY: -1, options: ResizeOptions(mode: .nearest)) }
  }
}
