import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

/// `--kernel` and `--kernel-file` in every peer's syntax, through the built binary.
@Suite struct KernelSyntaxCLITests {
  let camera = packageRoot.appendingPathComponent("SampleImages/camera.png").path

  /// The printed matrix as numbers.
  func numbers(_ text: String) -> [[Float]] {
    text.split(separator: "\n").map { $0.split(separator: " ").compactMap { Float($0) } }.filter { !$0.isEmpty }
  }

  @Test func aKernelStartingWithAMinusIsAValue() throws {
    let laplacian = "-1,-1,-1;-1,8,-1;-1,-1,-1"
    // Zero border: the centre is 8*5 - (1+2+3+4+6+7+8+9) = 0; the corner 8*1 - (2+4+5) = -3.
    let expected: [[Float]] = [[-3, -3, 11], [9, 0, 21], [39, 33, 53]]
    for arguments in [["--kernel", laplacian], ["--kernel=\(laplacian)"], ["--kernel", "3x3: -1,-1,-1,-1,8,-1,-1,-1,-1"]] {
      let r = try runConvolve(["filter", "--input", "1,2,3;4,5,6;7,8,9", "--print"] + arguments)
      #expect(r.status == 0, "\(arguments): \(r.stderr)")
      #expect(numbers(r.stdout) == expected, "\(arguments): \(r.stdout)")
    }
    // --input takes a leading minus too, and explain's --input and --kernel.
    let negative = try runConvolve(["filter", "--input", "-1,0;0,1", "--kernel", "-1", "--print"])
    #expect(negative.status == 0 && numbers(negative.stdout) == [[1, 0], [0, -1]], "\(negative.stderr)")
    let explain = try runConvolve(["explain", "--input", "-1,2,3", "--kernel", "-1,0,1", "--mode", "valid"])
    #expect(explain.status == 0, "\(explain.stderr)")
  }

  @Test func imageMagickAndRowsGiveTheSameImage() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let a = dir.appendingPathComponent("rows.png").path, b = dir.appendingPathComponent("im.png").path
    let rows = try runConvolve(["filter", camera, a, "--kernel", "-1,-1,-1;-1,8,-1;-1,-1,-1"])
    let im = try runConvolve(["filter", camera, b, "--kernel", "3: -1 -1 -1 -1 8 -1 -1 -1 -1"])
    #expect(rows.status == 0 && im.status == 0, "\(rows.stderr)\(im.stderr)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: a)) == Data(contentsOf: URL(fileURLWithPath: b)))
    // A sharpening-free edge map of a real photo is not blank.
    #expect(try loadImage(path: a).tensor.data.contains { $0 > 0.5 })
  }

  @Test func vipsMatrixScaleAndOffsetApplyToPhotos() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    // out = in * 1 / 2 + 64 (libvips units, 0...255 for an 8-bit photo).
    let mat = dir.appendingPathComponent("half.mat").path
    try Data("1 1 2 64\n1\n".utf8).write(to: URL(fileURLWithPath: mat))
    let out = dir.appendingPathComponent("half.png").path
    let r = try runConvolve(["filter", camera, out, "--kernel-file", mat, "--show-kernel"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("half.mat, other, output clip, then + 0.25098"), "\(r.stdout)")
    let input = try loadImage(path: camera).tensor.data, output = try loadImage(path: out).tensor.data
    var worst: Float = 0
    for (x, y) in zip(input, output) { worst = max(worst, abs((x * 255 / 2 + 64).rounded() - y * 255)) }
    #expect(worst <= 0.5, "largest difference \(worst) levels")
    // On an --input matrix the offset is in the matrix's own units.
    let m = try runConvolve(["filter", "--input", "2,4", "--kernel", mat, "--print"])
    #expect(m.status == 0 && numbers(m.stdout) == [[65, 66]], "\(m.stdout)\(m.stderr)")
  }

  @Test func npyAndTxtKernelFilesWhereverInputTakesThem() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let npy = dir.appendingPathComponent("diff.npy").path
    try NPYArray(shape: [1, 2], data: [1, -1]).write(path: npy)
    let txt = dir.appendingPathComponent("diff.txt").path
    try Data("1 -1\n".utf8).write(to: URL(fileURLWithPath: txt))
    for arguments in [["--kernel", npy], ["--kernel-file", npy], ["--kernel", txt], ["--kernel-file", txt]] {
      let r = try runConvolve(["filter", "--input", "1,4,9", "--mode", "valid", "--print"] + arguments)
      // Convolution flips the kernel: y[n] = x[n+1]*1... as [1,-1] flipped is [-1,1]: 4-1, 9-4.
      #expect(r.status == 0 && numbers(r.stdout) == [[3, 5]], "\(arguments): \(r.stdout)\(r.stderr)")
    }
  }

  @Test func unknownSyntaxIsAUsageErrorListingTheForms() throws {
    let r = try runConvolve(["filter", camera, "/tmp/never.png", "--kernel", "edges"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("kernel \"edges\" is in no syntax convolve reads"))
    #expect(r.stderr.contains("ImageMagick \"3x3: -1,-1,-1,-1,8,-1,-1,-1,-1\""))
    #expect(r.stderr.contains(".mat (libvips"))
    let old = try runConvolve(["filter", camera, "/tmp/never.png", "--kernel", "1,1,1,1,1,1,1,1,1"])
    #expect(old.status == 64 && old.stderr.contains("write \"3x3: 1,1,1,1,1,1,1,1,1\" for the square"))
    let missing = try runConvolve(["filter", camera, "/tmp/never.png", "--kernel-file", "/nonexistent/k.mat"])
    #expect(missing.status == 1 && missing.stderr.contains("/nonexistent/k.mat: cannot be read"))
    #expect(!FileManager.default.fileExists(atPath: "/tmp/never.png"))
  }

  @Test func batchTakesTheSameKernels() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: camera, toPath: input.appendingPathComponent("camera.png").path)
    let out = dir.appendingPathComponent("out")
    let r = try runConvolve(["batch", input.path, out.path, "--kernel", "-1,-1,-1;-1,8,-1;-1,-1,-1", "--quiet"])
    #expect(r.status == 0, "\(r.stderr)")
    let single = dir.appendingPathComponent("single.png").path
    _ = try runConvolve(["filter", camera, single, "--kernel", "3x3: -1,-1,-1,-1,8,-1,-1,-1,-1"])
    #expect(
      try Data(contentsOf: out.appendingPathComponent("camera.png")) == Data(contentsOf: URL(fileURLWithPath: single)))
  }
}
