import ConvolveTestSupport
import Testing
@testable import ConvolveCore

/// Issue 12 part 4: a photo filtered strip by strip (`StripPlan`, `PhotoStrips`) gives exactly the whole image's
/// values, and the cases that need the whole image are refused.
@Suite struct StripFilterTests {
  func photo(_ rng: inout SplitMix64, channels: Int, height: Int, width: Int, opaque: Bool = false) -> Tensor {
    var t = Tensor(channels: channels, height: height, width: width, data: rng.floats(channels * height * width).map { ($0 + 1) / 2 })
    if opaque && (channels == 2 || channels == 4) {
      for i in 0 ..< t.planeSize { t.data[(channels - 1) * t.planeSize + i] = 1 }
    }
    return t
  }

  /// The mapped result of `strips` run as `filterInStrips` runs it: strips of `stripRows` output rows (rounded up
  /// to the plan's alignment), each from exactly the input rows it reads.
  func streamed(_ strips: PhotoStrips, _ photo: Tensor, stripRows: Int) throws -> Tensor {
    let a = strips.plan.rowAlignment
    let step = (stripRows + a - 1) / a * a
    var out: [[Float]] = Array(repeating: [], count: photo.channels)
    var y = 0
    while y < photo.height {
      let rows = y ..< min(photo.height, y + step)
      let inputRows = strips.plan.inputRows(for: rows)
      let part = try strips.apply(photo.rows(inputRows), inputRows: inputRows, rows: rows)
      #expect(part.height == rows.count && part.channels == photo.channels)
      for c in 0 ..< part.channels { out[c] += part.plane(c).data }
      y = rows.upperBound
    }
    return Tensor(channels: photo.channels, height: photo.height, width: photo.width, data: out.flatMap { $0 })
  }

  func filters() throws -> [ResolvedFilter] {
    var rng = SplitMix64(seed: 7)
    let dense = Kernel(height: 3, width: 3, weights: rng.floats(9))
    let sobelX = try Kernel(rows: [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    return [
      ResolvedFilter(name: "dense3", kernels: [dense]),
      ResolvedFilter(name: "gauss2", kernels: [try .gaussian(sigma: 2)]),
      ResolvedFilter(name: "gauss10", kernels: [try .gaussian(sigma: 10)]),
      ResolvedFilter(name: "box3", kernels: [try .box(size: 3)]),
      ResolvedFilter(name: "box11", kernels: [try .box(size: 11)]),
      ResolvedFilter(name: "sobel", kernels: [sobelX, try Kernel(rows: [[-1, -2, -1], [0, 0, 0], [1, 2, 1]])], combine: .magnitude, output: .abs),
      // The identity plan: the window itself, and rows copied out of a window with another kernel's halo.
      ResolvedFilter(name: "identity1", kernels: [try Kernel(rows: [[1]])]),
      ResolvedFilter(name: "identity1+sobel", kernels: [try Kernel(rows: [[1]]), sobelX], combine: .magnitude),
    ]
  }

  @Test func stripsGiveTheWholeImagesValues() throws {
    var rng = SplitMix64(seed: 12)
    for filter in try filters() {
      for border in [Border.zero, .replicate, .reflect, .symmetric] {
        for (channels, height, width) in [(1, 1, 37), (3, 2, 5), (4, 29, 33), (2, 70, 9), (3, 131, 40)] {
          let options = ConvolutionOptions(border: border)
          for opaque in channels % 2 == 0 ? [false, true] : [false] {
            let x = photo(&rng, channels: channels, height: height, width: width, opaque: opaque)
            for settings in [PhotoFilterOptions(), PhotoFilterOptions(linear: .srgb, alpha: .keep)] {
              let whole = try filter.applyToPhoto(x, options: options, photoOptions: settings)
              guard case .success(let strips) = try PhotoStrips.make(
                filter: filter, options: options, outputRange: nil, photoOptions: settings, channels: channels,
                height: height, width: width, alphaIsOpaque: opaque || channels % 2 == 1)
              else {
                Issue.record("\(filter.name) \(border) refused")
                continue
              }
              for stripRows in [1, 3, 7, 16, 64, 200] {
                let got = try streamed(strips, x, stripRows: stripRows)
                #expect(
                  got.data == whole.mapped.data,
                  "\(filter.name) \(border) \(channels)x\(height)x\(width) opaque \(opaque) strips of \(stripRows)")
              }
            }
          }
        }
      }
    }
  }

  /// The strips are checked against the definition as well, not only against the whole-image path.
  @Test func stripsMatchTheNaiveConvolution() throws {
    var rng = SplitMix64(seed: 3)
    let x = Tensor(channels: 1, height: 45, width: 23, data: rng.floats(45 * 23))
    for kernel in [Kernel(height: 5, width: 3, weights: rng.floats(15)), try .gaussian(sigma: 2), try .box(size: 9)] {
      for border in [Border.zero, .replicate, .reflect, .symmetric] {
        let options = ConvolutionOptions(border: border)
        let filter = ResolvedFilter(name: "k", kernels: [kernel])
        guard case .success(let plan) = try StripPlan.make(filter: filter, options: options, channels: 1, height: 45, width: 23)
        else {
          Issue.record("refused")
          continue
        }
        let expected = try naiveConvolve(x, kernel, options)
        var y = 0
        while y < 45 {
          let rows = y ..< min(45, y + 5 * plan.rowAlignment)
          let inputRows = plan.inputRows(for: rows)
          let part = try plan.apply(x.rows(inputRows), inputRows: inputRows, rows: rows)
          let want = Array(expected.data[rows.lowerBound * 23 ..< rows.upperBound * 23])
          #expect(isApproximatelyEqual(part.data, want, tolerance: 1e-4), "\(border) rows \(rows)")
          y = rows.upperBound
        }
      }
    }
  }

  @Test func theWholeImageIsNeededWhereStripsCannotGiveItsResult() throws {
    let gauss = ResolvedFilter(name: "g", kernels: [try .gaussian(sigma: 2)])
    func refusal(_ filter: ResolvedFilter = gauss, options: ConvolutionOptions = .init(), range: OutputMapping? = nil,
                 settings: PhotoFilterOptions = .init(), channels: Int = 3, opaque: Bool? = true, size: Int = 100) throws -> String? {
      if case .failure(let r) = try PhotoStrips.make(
        filter: filter, options: options, outputRange: range, photoOptions: settings, channels: channels,
        height: size, width: size, alphaIsOpaque: opaque)
      {
        return r.reason
      }
      return nil
    }
    #expect(try refusal() == nil)
    #expect(try refusal(options: ConvolutionOptions(border: .wrap))?.contains("wrap") == true)
    #expect(try refusal(options: ConvolutionOptions(stride: 2))?.contains("size") == true)
    #expect(try refusal(options: ConvolutionOptions(mode: .valid))?.contains("size") == true)
    #expect(try refusal(range: .normalize)?.contains("normalize") == true)
    #expect(try refusal(ResolvedFilter(name: "s", kernels: [try Kernel(rows: [[1, 0, -1]])], output: .normalize)) != nil)
    #expect(try refusal(channels: 4, opaque: nil)?.contains("alpha") == true)
    #expect(try refusal(settings: PhotoFilterOptions(alpha: .keep), channels: 4, opaque: nil) == nil)
    // A large dense kernel runs on the FFT path, whose tiles span the image.
    var rng = SplitMix64(seed: 1)
    let big = Kernel(height: 41, width: 41, weights: rng.floats(41 * 41))
    #expect(convolutionPath(kernel: big, separable: false, channels: 3, output: (400, 400), stride: (1, 1), dilation: (1, 1)) == .fft)
    #expect(try refusal(ResolvedFilter(name: "big", kernels: [big]), size: 400)?.contains("FFT") == true)
  }
}
