@testable import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

/// A photo prepared as torchvision prepares ImageNet photos (`Resize(n)`, `CenterCrop`), and the photo shown
/// under overlays cut to match.
@Suite struct ModelInputsTests {
  private static let fixtures = "model_input/"

  /// Against Pillow's bilinear resize (antialiased when shrinking: the triangle filter widened by the factor,
  /// taps past the edge left out) and torchvision's size and crop rules, on float images
  /// (`Tests/Fixtures/make_model_input_fixtures.py`): within float rounding (Pillow weighs in Double, from
  /// source coordinates in Double; here in Float).
  @Test func resizeAndCentreCropMatchPillowAndTorchvision() throws {
    let photo = try NPYArray.read(path: fixtureURL(Self.fixtures + "photo.npy").path).tensor()
    let cases: [(String, ModelInput)] = [
      ("shorter24_crop16", ModelInput(resizeShorter: 24, crop: (16, 16))),
      ("shorter20_crop12x17", ModelInput(resizeShorter: 20, crop: (12, 17))),
      ("shorter48_crop40", ModelInput(resizeShorter: 48, crop: (40, 40))),
      ("size19x29", ModelInput(size: (19, 29))),
    ]
    for (name, preparation) in cases {
      let reference = try NPYArray.read(path: fixtureURL(Self.fixtures + name + ".npy").path)
      let geometry = try preparation.geometry(photoHeight: 37, photoWidth: 53, declared: nil)
      let (input, _) = try preparation.tensor(from: photo, channels: 3, geometry: geometry)
      #expect(input.shape == [1] + reference.shape, "\(name)")
      let difference = maxDifference(input.floats, reference.data)
      #expect(difference < 1e-5, "\(name): \(difference)")
    }
    // The same shrink without antialiasing differs visibly: the fixture can tell the two apart.
    var plain = ModelInput(size: (19, 29))
    plain.antialias = false
    let (aliased, _) = try plain.tensor(from: photo, channels: 3, height: 19, width: 29)
    let reference = try NPYArray.read(path: fixtureURL(Self.fixtures + "size19x29.npy").path)
    #expect(maxDifference(aliased.floats, reference.data) > 0.05)
  }

  /// torchvision's rules: the longer side truncated, the crop's offset rounded half to even.
  @Test func sizesAndOffsetsFollowTorchvision() throws {
    let imagenet = ModelInput(resizeShorter: 256, crop: (224, 224))
    let g = try imagenet.geometry(photoHeight: 427, photoWidth: 640, declared: nil)
    #expect(g.resized == (256, 383) && g.window == (16, 80, 224, 224))  // 256 · 640 / 427 = 383.7; (383 − 224) / 2 = 79.5 → 80
    let tall = try imagenet.geometry(photoHeight: 640, photoWidth: 427, declared: nil)
    #expect(tall.resized == (383, 256) && tall.window == (80, 16, 224, 224))
    let odd = try ModelInput(resizeShorter: 20, crop: (12, 17)).geometry(photoHeight: 37, photoWidth: 53, declared: nil)
    #expect(odd.window == (4, 6, 12, 17))  // (28 − 17) / 2 = 5.5 → 6, (20 − 12) / 2 = 4
    #expect(imagenet.modelSize(photoHeight: 427, photoWidth: 640, declared: nil) == (224, 224))
    // A crop without a resize cuts the photo as it is; one larger than the resized photo is refused.
    let cut = try ModelInput(crop: (100, 100)).geometry(photoHeight: 427, photoWidth: 640, declared: nil)
    #expect(cut.resized == (427, 640) && cut.window == (164, 270, 100, 100))  // 163.5 → 164
    #expect(throws: ConvolveError.self) { try ModelInput(crop: (500, 500)).geometry(photoHeight: 427, photoWidth: 640, declared: nil) }
    // The photo's part: the window mapped back through the resize, in whole pixels.
    #expect(g.photoWindow.top == 27 && g.photoWindow.left == 134 && g.photoWindow.height == 373 && g.photoWindow.width == 374)
  }

  /// `modelInput` returns the part of the photo the model sees, so that overlays drawn on it line up: a
  /// model whose output is its input (a 1x1 convolution by 1) shows the crop of the photo's values.
  @Test func theShownPhotoIsTheCrop() throws {
    let graph = Graph(
      name: "same", nodes: [Node(name: "conv", opType: "Conv", inputs: ["x", "w"], outputs: ["y"])],
      initializers: ["w": GraphTensor(shape: [1, 1, 1, 1], floats: [1])],
      inputs: [ValueInfo(name: "x", shape: [.fixed(1), .fixed(1), .symbolic("h"), .symbolic("w")])],
      outputs: [ValueInfo(name: "y", shape: nil)])
    let runner = try ModelRunner(graph: graph, options: ModelRunOptions())
    var photo = Tensor(channels: 1, height: 30, width: 50)
    for y in 0 ..< 30 { for x in 0 ..< 50 { photo[0, y, x] = Float(y * 50 + x) / 1500 } }
    let image = LoadedImage(tensor: photo, info: ImageInfo(width: 50, height: 30, channels: 1, bitDepth: 8, format: .png))
    let (input, shown, notes) = try modelInput(
      "p.png", runner: runner, preprocessing: ModelInput(crop: (10, 20)), image: image, maxPixels: 1 << 20)
    let shownPhoto = try #require(shown)
    #expect(input.shape == [1, 1, 10, 20] && shownPhoto.height == 10 && shownPhoto.width == 20)
    #expect(shownPhoto[0, 0, 0] == photo[0, 10, 15] && shownPhoto[0, 9, 19] == photo[0, 19, 34])
    #expect(isApproximatelyEqual(input.floats, shownPhoto.data, tolerance: 1e-6))
    #expect(notes.contains { $0.hasPrefix("centre crop 20x10 (WxH)") }, "\(notes)")
  }
}
