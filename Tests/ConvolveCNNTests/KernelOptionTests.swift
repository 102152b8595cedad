import ConvolveCore
import Testing
@testable import ConvolveCNN

/// ConvolveCore's general resizer against the bilinear upsample, and the options Pooling gained for ONNX.
/// (Both kernels live beside the graph code once the CNN engine moves into ConvolveCNN.)
@Suite struct ResizeAgainstUpsampleTests {
  @Test func linearHalfPixelMatchesTheExistingBilinearUpsample() throws {
    let t = Tensor(channels: 2, height: 3, width: 5, data: (0 ..< 30).map { Float($0 * $0 % 7) })
    let general = try t.resized(height: 6, width: 10, options: ResizeOptions(mode: .linear, coordinates: .halfPixel))
    let existing = try upsample(t, scale: 2, method: .bilinear)
    #expect(zip(general.data, existing.data).allSatisfy { abs($0 - $1) < 1e-5 })
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
