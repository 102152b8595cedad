import ConvolveTestSupport
import ConvolveFormats
import ConvolveCore
import Foundation
import Testing

/// The built `convolve` binary, run as a user would.
@Suite struct CLITests {
  let astronaut = packageRoot.appendingPathComponent("SampleImages/astronaut.png").path
  let camera = packageRoot.appendingPathComponent("SampleImages/camera.png").path
  let chelsea = packageRoot.appendingPathComponent("SampleImages/chelsea.jpg").path

  @Test func filterWritesADecodableImageOfTheInputSize() throws {
    let dir = try temporaryDirectory()
    let out = dir.appendingPathComponent("blur.png").path
    let r = try runConvolve(["filter", chelsea, out, "--filter", "gaussian", "--sigma", "2"])
    #expect(r.status == 0, "\(r.stderr)")
    let image = try loadImage(path: out)
    #expect(image.info.width == 451 && image.info.height == 300 && image.info.channels == 3)
    let original = try loadImage(path: chelsea).tensor
    // A blur keeps the mean brightness and lowers the variation between neighbours.
    #expect(abs(mean(image.tensor.data) - mean(original.data)) < 0.01)
    #expect(roughness(image.tensor) < roughness(original) * 0.6)
  }

  @Test func inlineKernelValidModeAndStrideGiveTheFormulaSize() throws {
    let dir = try temporaryDirectory()
    let out = dir.appendingPathComponent("small.jpg").path
    let r = try runConvolve([
      "filter", camera, out, "--kernel", "1,2,1;2,4,2;1,2,1", "--normalize", "--mode", "valid", "--stride", "3",
      "--floor",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let info = try imageInfo(path: out)
    #expect(info.width == (512 - 3) / 3 + 1 && info.height == (512 - 3) / 3 + 1 && info.channels == 1)
  }

  @Test func identityFilterReproducesTheInputExactly() throws {
    let dir = try temporaryDirectory()
    let out = dir.appendingPathComponent("same.png").path
    let r = try runConvolve(["filter", astronaut, out, "--filter", "identity"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try loadImage(path: out).tensor == loadImage(path: astronaut).tensor)
  }

  @Test func strideThatDoesNotFitIsRejectedWithTheComputedSizeUnderStrict() throws {
    let dir = try temporaryDirectory()
    let out = dir.appendingPathComponent("x.png").path
    let r = try runConvolve(["filter", camera, out, "--filter", "box3", "--mode", "valid", "--stride", "4", "--strict"])
    #expect(r.status != 0)
    #expect(r.stderr.contains("stride 4 does not fit: (512 - 3) / 4 + 1 = 128.25"))
    #expect(!FileManager.default.fileExists(atPath: out))
  }

  @Test func badInputsGiveOneLineErrorsAndNoOutput() throws {
    let dir = try temporaryDirectory()
    let out = dir.appendingPathComponent("x.png").path
    let typo = try runConvolve(["filter", camera, out, "--kernel", "1,2;3,x"])
    #expect(typo.status != 0 && typo.stderr.contains("\"x\" at row 2, column 2 is not a number"))
    let unknown = try runConvolve(["filter", camera, out, "--filter", "sobelx"])
    #expect(unknown.status != 0 && unknown.stderr.contains("did you mean 'sobel-x'?"))
    let truncated = dir.appendingPathComponent("cut.png").path
    let bytes = try Data(contentsOf: URL(fileURLWithPath: astronaut))
    try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
    let cut = try runConvolve(["filter", truncated, out, "--filter", "box3"])
    #expect(cut.status != 0 && cut.stderr.contains("cut.png"))
    #expect(cut.stderr.split(separator: "\n").count <= 2)
    let overwrite = try runConvolve(["filter", truncated, truncated, "--filter", "box3"])
    #expect(overwrite.status != 0 && overwrite.stderr.contains("--in-place"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["cut.png"])
  }

  @Test func filtersListsTheLibraryAndInfoReadsHeaders() throws {
    let list = try runConvolve(["filters"])
    #expect(list.status == 0)
    for name in ["sobel", "sobel-x", "gaussian", "laplacian8", "unsharp", "emboss", "prewitt", "box5"] {
      #expect(list.stdout.contains("  \(name) "), "\(name) missing")
    }
    let info = try runConvolve(["info", chelsea])
    #expect(info.stdout.contains("451x300, 3 channels (RGB), 8-bit"))
    let cpu = try runConvolve(["info", "--cpu"])
    #expect(cpu.status == 0 && cpu.stdout.hasPrefix("SIMD: "), "\(cpu.stdout)\(cpu.stderr)")
    #expect(["portable", "avx2", "avx512"].contains { cpu.stdout.hasPrefix("SIMD: \($0)") }, "\(cpu.stdout)")
    #expect(cpu.stdout.split(separator: "\n").dropFirst().first?.hasPrefix("BLAS: ") == true, "\(cpu.stdout)")
    let lowered = try runConvolve(["info", "--cpu"], environment: ["CONVOLVE_SIMD": "portable"])
    #expect(lowered.stdout.hasPrefix("SIMD: portable"), "\(lowered.stdout)")
  }

  @Test func layerWritesAMontageOfEveryMap() throws {
    let dir = try temporaryDirectory()
    let r = try runConvolve([
      "layer", camera, dir.path, "--filters", "sobel-x,sobel-y,laplacian4", "--padding", "same",
      "--activation", "relu", "--pool", "max:2", "--save-npy",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    // Three 512x512 maps in 2 columns with 2 pixel gaps. Labels at 4 pixels per glyph pixel (512 / 128): a
    // title line (4 · 7) and a 2 pixel gap above, two label lines under each row (name, range: 4 · 13), a
    // colour bar below (4 · 7 + 2 · 4).
    let conv = try imageInfo(path: dir.appendingPathComponent("camera-conv.png").path)
    #expect(conv.width == 2 * 512 + 2 && conv.height == 28 + 2 + 2 * (512 + 52) + 2 + 36)
    let pool = try imageInfo(path: dir.appendingPathComponent("camera-pool.png").path)
    #expect(pool.width == 2 * 256 + 2)
    let raw = try NPYArray.read(path: dir.appendingPathComponent("camera-pool.npy").path)
    #expect(raw.shape == [3, 256, 256])
    #expect(raw.data.allSatisfy { $0 >= 0 })  // after ReLU
  }
}

private func mean(_ v: [Float]) -> Float { v.reduce(0, +) / Float(v.count) }

/// Mean absolute difference between horizontal neighbours.
private func roughness(_ t: Tensor) -> Float {
  var total: Float = 0
  for c in 0 ..< t.channels {
    for y in 0 ..< t.height {
      for x in 1 ..< t.width { total += abs(t[c, y, x] - t[c, y, x - 1]) }
    }
  }
  return total / Float(t.count)
}

/// The lecture's examples from the command line (README: "Learn convolution with convolve").
@Suite struct LearnCommandTests {
  @Test func filterPrintsTheLecturesFullConvolution() throws {
    let r = try runConvolve(["filter", "--input", "1,2,3;4,5,6;7,8,9", "--kernel", "1,1;1,1;1,1", "--mode", "full", "--print"])
    #expect(r.status == 0, "\(r.stderr)")
    let numbers = r.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
    #expect(numbers == [1, 3, 5, 3, 5, 12, 16, 9, 12, 27, 33, 18, 11, 24, 28, 15, 7, 15, 17, 9])
  }

  @Test func explainShowsTheSumsAndTheToeplitzProduct() throws {
    let r = try runConvolve(["explain", "--input", "3,1;2,4", "--kernel", "1,5;2,3", "--mode", "full", "--correlate", "--toeplitz"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("A × vec(x2(-m,-n)) = (9, 9, 2, 21, 24, 9, 10, 22, 4)ᵀ"))
    let rgb = try runConvolve(["explain", "--rgb-example"])
    #expect(rgb.stdout.contains("output(0,0) = 308 + (-498) + 164 + bias 1 = -25"))
  }

  @Test func shapeReproducesTheLecturesRules() throws {
    let r = try runConvolve(["shape", "32x32x3", "conv:10:5:s=1:p=2"])
    #expect(r.stdout.contains("output: 32x32x10") && r.stdout.contains("5*5*3*10 + 10 = 760"))
    let six = try runConvolve(["shape", "32x32x3", "conv:6:5"])
    #expect(six.stdout.contains("output: 28x28x6"))
    let misfit = try runConvolve(["shape", "7x7x1", "conv:1:3:s=3", "--strict"])
    #expect(misfit.status != 0 && misfit.stderr.contains("2.33") && misfit.stderr.contains("pad 1 on each side"))
    // By default the lecture's explanation is a note and the size is rounded down, as PyTorch.
    let floored = try runConvolve(["shape", "7x7x1", "conv:1:3:s=3"])
    #expect(floored.status == 0, "\(floored.stderr)")
    #expect(floored.stdout.contains("   note: 2.33 doesn't fit: cannot apply a 3x3 filter on a 7x7 input with stride 3; "
      + "rounding down (as PyTorch) leaves the last row and column unused; pad 1 on each side"))
    #expect(floored.stdout.contains("Output: 2x2x1"))
  }
}
