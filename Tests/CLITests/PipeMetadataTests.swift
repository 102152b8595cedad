import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

/// `-` for standard input and output, and the ICC profile and EXIF carried to the output.
@Suite struct PipeMetadataTests {
  let adobe = fixtureURL("metadata/adobe-rgb.jpg").path
  let rotated = fixtureURL("metadata/rotated.jpg").path
  let camera = packageRoot.appendingPathComponent("SampleImages/camera.png").path
  var profile: [UInt8] { (try? [UInt8](Data(contentsOf: fixtureURL("metadata/adobe-rgb.icc")))) ?? [] }

  /// Runs a shell pipeline (bash -o pipefail) with `$C` set to the convolve binary.
  func pipeline(_ script: String, in dir: URL) throws -> RunResult {
    try runProcess("/bin/bash", ["-o", "pipefail", "-c", script], in: dir, extraEnvironment: ["C": convolveBinary.path])
  }

  @Test func anAdobeRGBPhotoKeepsItsProfileAndExifUnlessStripped() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    for name in ["blur.jpg", "blur.png"] {
      let out = dir.appendingPathComponent(name).path
      let r = try runConvolve(["filter", adobe, out, "--filter", "gaussian", "--sigma", "1"])
      #expect(r.status == 0, "\(r.stderr)")
      let written = try loadImage(path: out)
      #expect(written.metadata.iccProfile == profile, "\(name) lost the profile")
      #expect(String(decoding: written.metadata.exif ?? [], as: UTF8.self).contains("convolve test"))
      let stripped = dir.appendingPathComponent("strip-" + name).path
      let s = try runConvolve(["filter", adobe, stripped, "--filter", "gaussian", "--sigma", "1", "--strip"])
      #expect(s.status == 0, "\(s.stderr)")
      let bare = try loadImage(path: stripped)
      #expect(bare.metadata == .none)
      #expect(bare.tensor == written.tensor || name.hasSuffix(".jpg"))  // PNG: the same pixels either way
    }
    // pool and upsample keep it too.
    let pooled = dir.appendingPathComponent("pool.png").path
    let p = try runConvolve(["pool", adobe, pooled, "--size", "2"])
    #expect(p.status == 0, "\(p.stderr)")
    #expect(try loadImage(path: pooled).metadata.iccProfile == profile)
  }

  @Test func batchKeepsTheProfileAndResetsTheOrientation() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in"), output = dir.appendingPathComponent("out")
    try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
    for path in [adobe, rotated] {
      try FileManager.default.copyItem(atPath: path, toPath: input.appendingPathComponent(lastComponent(path)).path)
    }
    let r = try runConvolve(["batch", input.path, output.path, "--filter", "box3", "--quiet"])
    #expect(r.status == 0, "\(r.stderr)")
    for name in ["adobe-rgb.jpg", "rotated.jpg"] {
      let written = try loadImage(path: output.appendingPathComponent(name).path, autoOrient: false)
      #expect(written.metadata.iccProfile == profile && written.metadata.exifOrientation == 1, "\(name)")
    }
    #expect(try imageInfo(path: output.appendingPathComponent("rotated.jpg").path).width == 30)
  }

  @Test func orientationIsResetAfterAutoOrientAndKeptWithout() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let upright = dir.appendingPathComponent("upright.jpg").path
    let r = try runConvolve(["filter", rotated, upright, "--filter", "identity"])
    #expect(r.status == 0, "\(r.stderr)")
    let u = try imageInfo(path: upright)
    // Turned upright (30x40) and tagged 1, so a viewer shows it as the original displays.
    #expect(u.width == 30 && u.height == 40 && u.orientation == 1)
    let asStored = dir.appendingPathComponent("stored.jpg").path
    let s = try runConvolve(["filter", rotated, asStored, "--filter", "identity", "--no-auto-orient"])
    #expect(s.status == 0, "\(s.stderr)")
    let a = try imageInfo(path: asStored)
    // Pixels as stored (40x30) and the tag kept at 6: viewers still turn it, as they turn the input.
    #expect(a.width == 40 && a.height == 30 && a.orientation == 6)
    // Displayed, both are the same picture: the red block ends up top right.
    let shown = try loadImage(path: asStored).tensor, direct = try loadImage(path: upright).tensor
    #expect(shown.width == direct.width && shown[0, 1, 28] > 0.8 && direct[0, 1, 28] > 0.8)
  }

  @Test func aPipeRoundTripGivesWhatFilesGive() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    // file -> file
    let direct = try runConvolve(["filter", adobe, dir.appendingPathComponent("direct.png").path, "--filter", "box3"])
    #expect(direct.status == 0, "\(direct.stderr)")
    // stdin -> stdout -> stdin -> file, through two processes and a JPEG-free PNG in between.
    let piped = try pipeline(
      "cat '\(adobe)' | \"$C\" filter - - --filter box3 --format png | \"$C\" filter - piped.png --filter identity", in: dir)
    #expect(piped.status == 0, "\(piped.stderr)")
    let a = try loadImage(path: dir.appendingPathComponent("direct.png").path)
    let b = try loadImage(path: dir.appendingPathComponent("piped.png").path)
    #expect(a.tensor == b.tensor)
    #expect(b.metadata.iccProfile == profile && b.metadata == a.metadata)
    // pool and upsample read and write pipes too; --show-kernel goes to stderr when the image is on stdout.
    let chain = try pipeline(
      "\"$C\" upsample '\(camera)' - --scale 2 --format png | \"$C\" pool - - --size 2 --format jpg > small.jpg", in: dir)
    #expect(chain.status == 0, "\(chain.stderr)")
    let small = try imageInfo(path: dir.appendingPathComponent("small.jpg").path)
    #expect(small.format == .jpeg && small.width == 512 && small.height == 512)
    let shown = try pipeline("\"$C\" filter '\(camera)' - --filter box3 --format png --show-kernel > k.png", in: dir)
    #expect(shown.status == 0 && shown.stderr.contains("3x3 kernel") && shown.stdout.isEmpty, "\(shown.stderr)")
    #expect(try imageInfo(path: dir.appendingPathComponent("k.png").path).width == 512)
  }

  @Test func pipeMistakesAreUsageErrors() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let noFormat = try pipeline("\"$C\" filter '\(camera)' - --filter box3 > out", in: dir)
    #expect(noFormat.status == 64 && noFormat.stderr.contains("give its format with --format png, --format jpg, --format webp, --format tif or --format avif"))
    let both = try pipeline("\"$C\" filter '\(camera)' - --filter box3 --format png --print > out", in: dir)
    #expect(both.status == 64 && both.stderr.contains("--print and the output - both write to standard output"))
    let mismatch = try runConvolve(["filter", camera, dir.appendingPathComponent("x.png").path, "--filter", "box3", "--format", "jpg"])
    #expect(mismatch.status == 64 && mismatch.stderr.contains("--format jpg does not match the output"))
    let junk = try pipeline("echo hello | \"$C\" filter - out.png --filter box3", in: dir)
    #expect(junk.status == 1 && junk.stderr.contains("standard input: not a PNG, JPEG, WebP, TIFF, AVIF or HEIC file"))
    let empty = try pipeline("\"$C\" filter - out.png --filter box3 < /dev/null", in: dir)
    #expect(empty.status == 1 && empty.stderr.contains("standard input: is empty"))
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.png").path))
  }
}
