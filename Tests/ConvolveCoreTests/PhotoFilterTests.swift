import ConvolveCore
import ConvolveTestSupport
import Foundation
import Testing

/// Issue 14, item 9: filtering in linear light, and alpha premultiplied.
@Suite struct PhotoFilterTests {
  /// A 1x3 box blur, each weight 1/3, with replicated borders.
  let box = ResolvedFilter(name: "box", kernels: [Kernel(height: 1, width: 3, weights: [1, 1, 1].map { $0 / 3 })])
  let replicate = ConvolutionOptions(border: .replicate)

  @Test func toneCurvesRoundTripAndMatchTheirDefinitions() {
    let srgb = ToneCurve.srgb
    #expect(srgb.decode(0) == 0 && srgb.decode(1) == 1 && abs(srgb.encode(1) - 1) < 1e-6)
    #expect(abs(srgb.decode(0.04045) - 0.04045 / 12.92) < 1e-7)
    #expect(abs(srgb.decode(0.5) - 0.214_041_14) < 1e-6)  // ((0.5 + 0.055) / 1.055)^2.4
    #expect(abs(srgb.encode(0.214_041_14) - 0.5) < 1e-6)
    #expect(srgb.encode(-0.25) == -srgb.encode(0.25))
    #expect(abs(ToneCurve.gamma(2.2).decode(0.5) - 0.217_637_64) < 1e-6)  // 0.5^2.2
    // sRGB written as an ICC parametric curve of type 3 is sRGB.
    let parametric = ToneCurve.parametric(g: 2.4, a: 1 / 1.055, b: 0.055 / 1.055, c: 1 / 12.92, d: 0.04045)
    for curve in [srgb, .gamma(2.2), .gamma(1.8), parametric] {
      for v in stride(from: Float(0), through: 1, by: 1 / 64) {
        #expect(abs(curve.encode(curve.decode(v)) - v) < 3e-6, "\(curve) at \(v)")
        #expect(abs(parametric.decode(v) - srgb.decode(v)) < 1e-6)
      }
    }
  }

  /// Black beside white, blurred: gamma-encoded averaging gives 1/3 and 2/3 (85 and 170 in 8 bits), too dark
  /// to the eye; in linear light the same blur gives encode(1/3) = 0.612501 and encode(2/3) = 0.836007
  /// (156 and 213), the brightness an optical blur has.
  @Test func linearLightBrightensTheBlurredEdge() throws {
    let edge = Tensor(rows: [[0, 0, 0, 1, 1, 1]])
    let gamma = try box.applyToPhoto(edge, options: replicate).result
    #expect(isApproximatelyEqual(gamma.data, [0, 0, 1.0 / 3, 2.0 / 3, 1, 1], tolerance: 1e-6))
    let linear = try box.applyToPhoto(edge, options: replicate, photoOptions: PhotoFilterOptions(linear: .srgb)).result
    #expect(isApproximatelyEqual(linear.data, [0, 0, 0.612_501, 0.836_007, 1, 1], tolerance: 2e-6))
    #expect(linear.data.map { ($0 * 255).rounded() } == [0, 0, 156, 213, 255, 255])
    #expect(gamma.data.map { ($0 * 255).rounded() } == [0, 0, 85, 170, 255, 255])
  }

  /// Transparent red (alpha 0) beside opaque blue, blurred: premultiplied, the hidden red has weight 0 and the
  /// blue edge stays pure blue while alpha ramps 0, 1/3, 2/3, 1; filtering the colour alone (`keep`) bleeds
  /// a third of the red into the first opaque blue pixel.
  @Test func premultipliedAlphaKeepsHiddenColourOutOfTheEdge() throws {
    let (clear, opaque): ([Float], [Float]) = ([1, 0, 0, 0], [0, 0, 1, 1])  // RGBA
    let pixels = [clear, clear, clear, opaque, opaque, opaque]
    let photo = Tensor(planes: (0 ..< 4).map { c in [pixels.map { $0[c] }] })
    let (_, mapped) = try box.applyToPhoto(photo, options: replicate)
    #expect(mapped.channels == 4)
    #expect(mapped.plane(0).data == [0, 0, 0, 0, 0, 0])  // no red anywhere
    #expect(mapped.plane(1).data == [0, 0, 0, 0, 0, 0])
    #expect(isApproximatelyEqual(mapped.plane(2).data, [0, 0, 1, 1, 1, 1], tolerance: 1e-6))
    #expect(isApproximatelyEqual(mapped.plane(3).data, [0, 0, 1.0 / 3, 2.0 / 3, 1, 1], tolerance: 1e-6))

    let (_, kept) = try box.applyToPhoto(photo, options: replicate, photoOptions: PhotoFilterOptions(alpha: .keep))
    #expect(isApproximatelyEqual(kept.plane(0).data, [1, 1, 2.0 / 3, 1.0 / 3, 0, 0], tolerance: 1e-6))
    #expect(kept.plane(3).data == [0, 0, 0, 1, 1, 1])
  }

  @Test func opaqueAlphaFiltersExactlyAsBeforeAndAlphaFollowsTheSize() throws {
    var rng = SplitMix64(seed: 14)
    let color = (0 ..< 3).map { _ in (0 ..< 5).map { _ in (0 ..< 7).map { _ in Float.random(in: 0 ... 1, using: &rng) } } }
    let opaque = Tensor(planes: color + [Array(repeating: Array(repeating: 1, count: 7), count: 5)])
    let a = try box.applyToPhoto(opaque, options: replicate).mapped
    let b = try box.applyToPhoto(opaque, options: replicate, photoOptions: PhotoFilterOptions(alpha: .keep)).mapped
    #expect(a == b)

    // With a stride the size changes: premultiplied, alpha is filtered with the colour and kept; `keep` drops it.
    var translucent = opaque
    for i in 0 ..< 35 { translucent.data[105 + i] = Float(i % 5) / 4 }
    let strided = ConvolutionOptions(mode: .valid, border: .replicate, stride: 2)
    let small = try box.applyToPhoto(translucent, options: strided).mapped
    #expect((small.channels, small.height, small.width) == (4, 3, 3))
    let expectedAlpha = try box.apply(to: translucent.plane(3), options: strided)
    #expect(isApproximatelyEqual(small.plane(3).data, expectedAlpha.data, tolerance: 1e-6))
    let dropped = try box.applyToPhoto(translucent, options: strided, photoOptions: PhotoFilterOptions(alpha: .keep)).mapped
    #expect(dropped.channels == 3)
  }

  /// An edge detector (weights summing to 0) sees the colour over black and keeps the alpha as it is.
  @Test func edgeDetectorsSeePremultipliedColourAndKeepAlpha() throws {
    let gradient = ResolvedFilter(name: "dx", kernels: [Kernel(height: 1, width: 3, weights: [1, 0, -1])], output: .abs)
    let photo = Tensor(planes: [[[0.5, 0.5, 0.5, 0.5]], [[0, 0, 1, 1]]])  // grey + alpha
    let (result, mapped) = try gradient.applyToPhoto(photo, options: replicate)
    // Premultiplied grey: 0, 0, 0.5, 0.5; convolved with [1, 0, -1] (flipped): x[n+1] - x[n-1].
    #expect(result.data == [0, 0.5, 0.5, 0])
    #expect(mapped.plane(1).data == [0, 0, 1, 1])
  }
}
