import ConvolveCore
import ConvolveTestSupport
import Testing

@testable import ConvolveCNN

@Suite struct ModelInputTests {
  /// `(v · scale − mean) / std` per channel on 8-bit values, in B, G, R order when asked.
  @Test func normalisesEachChannelAndSwapsToBGR() throws {
    let photo = Tensor(planes: [[[0, 1]], [[0.5, 0.5]], [[1, 0]]])
    let input = ModelInput(scale: 1 / 255, mean: [0.5], std: [0.5], bgr: true)
    let (t, notes) = try input.tensor(from: photo, channels: 3, height: 1, width: 2)
    #expect(t.shape == [1, 3, 1, 2])
    #expect(isApproximatelyEqual(t.floats, [1, -1, 0, 0, -1, 1], tolerance: 1e-6))
    #expect(notes == ["channels in B, G, R order"])
    let imagenet = ModelInput(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
    let (u, _) = try imagenet.tensor(from: photo, channels: 3, height: 1, width: 2)
    let expected: [Float] = [-0.485 / 0.229, 0.515 / 0.229, 0.044 / 0.224, 0.044 / 0.224, 0.594 / 0.225, -0.406 / 0.225]
    #expect(isApproximatelyEqual(u.floats, expected, tolerance: 1e-5))
    #expect(throws: ConvolveError.self) { try ModelInput(mean: [0, 0]).tensor(from: photo, channels: 3, height: 1, width: 2) }
  }

  @Test func grayIsRepeatedAlphaDroppedAndSizesChosen() throws {
    let gray = Tensor(planes: [[[0.2, 0.4], [0.6, 0.8]], [[1, 1], [1, 1]]])  // gray + alpha
    let (t, notes) = try ModelInput().tensor(from: gray, channels: 3, height: 4, width: 4)
    #expect(t.shape == [1, 3, 4, 4])
    #expect(notes.contains { $0.hasPrefix("gray photo") } && notes.contains("alpha channel dropped"))
    #expect(Array(t.floats[0 ..< 16]) == Array(t.floats[16 ..< 32]))
    let free: [TensorDimension] = [.symbolic("n"), .fixed(3), .symbolic("h"), .symbolic("w")]
    #expect(ModelInput().modelSize(photoHeight: 427, photoWidth: 640, declared: free) == (416, 640))
    #expect(ModelInput(fitMultiple: 100).modelSize(photoHeight: 427, photoWidth: 640, declared: free) == (400, 600))
    #expect(ModelInput(size: (48, 192)).modelSize(photoHeight: 427, photoWidth: 640, declared: free) == (48, 192))
    let fixed: [TensorDimension] = [.fixed(1), .fixed(3), .fixed(224), .fixed(224)]
    #expect(ModelInput().modelSize(photoHeight: 427, photoWidth: 640, declared: fixed) == (224, 224))
    #expect(ModelInput.channels(declared: [.fixed(1), .fixed(1), .fixed(28), .fixed(28)]) == 1)
  }
}
