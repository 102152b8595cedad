import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

/// WebP, TIFF, HEIC and AVIF through the commands: written and read by `filter`, `info` and `batch`, float TIFF filtered without
/// a change to its bits, `--page`, `--lossless`, `--format` for standard output, bad files refused in one line.
@Suite struct FormatsCLITests {
  let camera = packageRoot.appendingPathComponent("SampleImages/camera.png").path
  let chelsea = packageRoot.appendingPathComponent("SampleImages/chelsea.jpg").path

  @discardableResult
  func run(_ arguments: [String]) throws -> RunResult {
    let result = try runConvolve(arguments)
    #expect(result.status == 0, "\(arguments.joined(separator: " ")): \(result.stderr)")
    return result
  }

  @Test func webpLosslessAndLossyRoundTripThroughFilter() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let exact = dir.appendingPathComponent("cat.webp").path
    try run(["filter", chelsea, exact, "--kernel", "1", "--lossless"])
    #expect(try loadImage(path: exact).tensor == loadImage(path: chelsea).tensor)
    let soft = dir.appendingPathComponent("soft.webp").path
    try run(["filter", exact, soft, "--filter", "gaussian", "--sigma", "2", "--quality", "80"])
    #expect(try imageInfo(path: soft) == ImageInfo(width: 451, height: 300, channels: 3, bitDepth: 8, format: .webp))
    let softBytes = try Data(contentsOf: URL(fileURLWithPath: soft)).count
    #expect(try softBytes < Data(contentsOf: URL(fileURLWithPath: exact)).count)
    let info = try run(["info", soft, exact])
    #expect(info.stdout.contains("soft.webp: webp 451x300, 3 channels (RGB), 8-bit"))
  }

  /// A float TIFF through an identity kernel comes back bit for bit, streamed in strips, at 32 bits by default.
  @Test func floatTIFFThroughAnIdentityFilterIsExact() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var generator = SplitMix64(seed: 21)
    let values = Tensor(channels: 3, height: 37, width: 29, data: (0 ..< 3 * 37 * 29).map { _ in Float.random(in: 0 ... 1, using: &generator) })
    let input = dir.appendingPathComponent("in.tif").path, output = dir.appendingPathComponent("out.tiff").path
    try saveImage(values, path: input, bitDepth: 32)
    let r = try run(["filter", input, output, "--kernel", "1", "--alpha", "keep", "-v"])
    #expect(r.stderr.contains("streamed in strips"))
    let back = try loadImage(path: output)
    #expect(back.info.bitDepth == 32)
    #expect(back.tensor.data.map(\.bitPattern) == values.data.map(\.bitPattern))
    #expect(try run(["info", output]).stdout == "\(output): tiff 29x37, 3 channels (RGB), 32-bit float\n")
    let sixteen = dir.appendingPathComponent("16.tif").path
    try run(["filter", input, sixteen, "--kernel", "1", "--depth", "16"])
    #expect(try imageInfo(path: sixteen).bitDepth == 16)
  }

  @Test func pagesAndStandardOutput() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let pages = fixtureURL("tiff/two-pages.tif").path
    let second = dir.appendingPathComponent("p1.png").path
    try run(["filter", pages, second, "--kernel", "1", "--page", "1"])
    #expect(try imageInfo(path: second) == ImageInfo(width: 4, height: 2, channels: 1, bitDepth: 16, format: .png))
    let missing = try runConvolve(["filter", pages, second, "--kernel", "1", "--page", "2"])
    #expect(missing.status == 1 && missing.stderr == "Error: \(pages): TIFF has 2 images; there is no page 2 (pages count from 0)\n")
    let piped = try runProcess(
      "/bin/bash", ["-o", "pipefail", "-c", "\"$C\" filter \"$1\" - --kernel 1 --format tif > \"$2\"", "-", camera, dir.appendingPathComponent("piped.tif").path],
      extraEnvironment: ["C": convolveBinary.path])
    #expect(piped.status == 0, "\(piped.stderr)")
    #expect(try loadImage(path: dir.appendingPathComponent("piped.tif").path).tensor == loadImage(path: camera).tensor)
  }

  @Test func batchTakesWebPAndTIFFByDefault() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in"), output = dir.appendingPathComponent("out")
    try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
    let image = try loadImage(path: camera).tensor
    for name in ["a.webp", "b.tif", "c.TIFF", "d.png"] { try saveImage(image, path: input.appendingPathComponent(name).path) }
    try run(["batch", input.path, output.path, "--filter", "box3"])
    let written = try FileManager.default.contentsOfDirectory(atPath: output.path).filter { !$0.hasPrefix(".") }.sorted()
    #expect(written == ["a.webp", "b.tif", "c.TIFF", "d.png"])
    #expect(try imageInfo(path: output.appendingPathComponent("a.webp").path).format == .webp)
  }

  /// The issue's first example, on a file pillow-heif wrote; AVIF written and read back; a folder of phone photos
  /// with a HEIC gives a JPEG for it.
  @Test func heicAndAVIFThroughFilterAndBatch() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let photo = fixtureURL("heif/rgb.heic").path
    let soft = dir.appendingPathComponent("soft.webp").path
    try run(["filter", photo, soft, "--filter", "gaussian"])
    #expect(try imageInfo(path: soft) == ImageInfo(width: 24, height: 32, channels: 3, bitDepth: 8, format: .webp))
    #expect(try loadImage(path: soft).metadata.exifOrientation == 1)
    let avif = dir.appendingPathComponent("cat.avif").path
    try run(["filter", chelsea, avif, "--filter", "box3", "--quality", "70"])
    #expect(try imageInfo(path: avif) == ImageInfo(width: 451, height: 300, channels: 3, bitDepth: 8, format: .avif))
    let input = dir.appendingPathComponent("phone"), output = dir.appendingPathComponent("out")
    try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: photo, toPath: input.appendingPathComponent("IMG_0001.HEIC").path)
    try FileManager.default.copyItem(atPath: avif, toPath: input.appendingPathComponent("b.avif").path)
    try run(["batch", input.path, output.path, "--filter", "box3"])
    let written = try FileManager.default.contentsOfDirectory(atPath: output.path).filter { !$0.hasPrefix(".") }.sorted()
    #expect(written == ["IMG_0001.jpg", "b.avif"])
    let heicOut = try runConvolve(["filter", photo, dir.appendingPathComponent("x.heic").path, "--filter", "box3"])
    #expect(heicOut.status == 64 && heicOut.stderr.contains("unsupported extension '.heic'"))
  }

  /// `--to-srgb` converts an Adobe RGB PNG as ImageCms does and tags the output sRGB, streamed or whole.
  @Test func toSRGBConvertsAndTags() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let adobe = fixtureURL("color/adobe.png").path
    let reference = try loadImage(path: fixtureURL("color/adobe-to-srgb.png").path).tensor
    for (name, extra) in [("streamed.png", [String]()), ("whole.png", ["--strip-rows", "0"]), ("c.webp", ["--lossless"])] {
      let out = dir.appendingPathComponent(name).path
      try run(["filter", adobe, out, "--kernel", "1", "--to-srgb"] + extra)
      let written = try loadImage(path: out)
      #expect(zip(written.tensor.data, reference.data).map { abs($0 - $1) * 255 }.max()! <= 1.0001, "\(name)")
      #expect(try written.metadata.iccProfile == loadImage(path: adobe, toSRGB: true).metadata.iccProfile, "\(name)")
    }
  }

  /// `batch phone-photos/ out/ --to-srgb --format jpg` with no filter converts each photo only: a Display P3 (nclx)
  /// AVIF comes out as the P3 → sRGB matrices give; with nothing to convert to, the usage error says how.
  @Test func batchConvertsPhotosWithNoFilter() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let phone = dir.appendingPathComponent("phone")
    try FileManager.default.createDirectory(at: phone, withIntermediateDirectories: true)
    for name in ["p3-nclx.avif", "rgb.heic"] {
      try FileManager.default.copyItem(at: fixtureURL("heif/" + name), to: phone.appendingPathComponent(name))
    }
    try run(["batch", phone.path, dir.appendingPathComponent("jpg").path, "--to-srgb", "--format", "jpg", "--quiet"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("jpg").path).sorted() == ["p3-nclx.jpg", "rgb.jpg"])
    try run(["batch", phone.path, dir.appendingPathComponent("png").path, "--to-srgb", "--format", "png", "--quiet"])
    let converted = try loadImage(path: dir.appendingPathComponent("png/p3-nclx.png").path).tensor
    let reference = try loadImage(path: fixtureURL("heif/p3-nclx.avif.srgb.png").path).tensor
    #expect(zip(converted.data, reference.data).map { abs($0 - $1) * 255 }.max()! <= 1.0001)
    let nothing = try runConvolve(["batch", phone.path, dir.appendingPathComponent("none").path])
    #expect(nothing.status == 64 && nothing.stderr.contains("--to-srgb or --depth to convert the photos"))
  }

  /// `layer ... --save-tiff` on a 16-bit TIFF scan: each map as a float TIFF holding the .npy's values bit for bit.
  @Test func layerSavesFloatTIFFMaps() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let scan = dir.appendingPathComponent("scan.tif").path
    try saveImage(try loadImage(path: chelsea).tensor, path: scan, bitDepth: 16)
    let maps = dir.appendingPathComponent("maps").path
    try run(["layer", scan, maps, "--filters", "sobel-x,sobel-y", "--save-tiff", "--save-npy"])
    let raw = try NPYArray.read(path: maps + "/scan-conv.npy").tensor()
    #expect(raw.channels == 2)
    for c in 0 ..< 2 {
      let map = try loadImage(path: maps + "/scan-conv-map0\(c).tif")
      #expect(map.info.bitDepth == 32 && map.info.channels == 1)
      #expect(map.tensor.data.map(\.bitPattern) == raw.plane(c).data.map(\.bitPattern), "map \(c)")
      #expect(map.tensor.minimum < 0, "signed responses are kept, not clamped")
    }
  }

  @Test func badFilesExitOneWithOneLine() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let whole = try encodeImage(try loadImage(path: chelsea).tensor, format: .webp)
    let cut = dir.appendingPathComponent("cut.webp")
    try whole.prefix(whole.count / 2).write(to: cut)
    let tiff = try encodeImage(try loadImage(path: chelsea).tensor, format: .tiff)
    let cutTIFF = dir.appendingPathComponent("cut.tif")
    try tiff.prefix(tiff.count / 2).write(to: cutTIFF)
    // A TIFF header claiming 100000 x 100000 gray pixels, and a WebP one claiming 16384 x 16384.
    let huge = dir.appendingPathComponent("huge.tif"), big = dir.appendingPathComponent("big.webp")
    try handMadeTIFFBytes(width: 100_000, height: 100_000).write(to: huge)
    try webpHeaderBytes(side: 16384).write(to: big)
    for (file, expected) in [(cut, "truncated"), (cutTIFF, "corrupt or truncated TIFF"), (huge, "raise --max-pixels"), (big, "raise --max-pixels")] {
      let r = try runConvolve(["filter", file.path, dir.appendingPathComponent("o.png").path, "--filter", "box3"])
      #expect(r.status == 1, "\(file.lastPathComponent)")
      #expect(r.stderr.hasPrefix("Error: \(file.path): ") && r.stderr.filter { $0 == "\n" }.count == 1, "\(r.stderr)")
      #expect(r.stderr.contains(expected), "\(r.stderr)")
    }
  }

  /// A little-endian gray TIFF header of one IFD claiming `width` x `height` pixels, with 16 bytes of data.
  func handMadeTIFFBytes(width: UInt32, height: UInt32) -> Data {
    func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
    func le32(_ v: UInt32) -> [UInt8] { (0 ..< 4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
    let entries: [(UInt16, UInt16, UInt32)] = [(256, 4, width), (257, 4, height), (258, 3, 8), (259, 3, 1), (262, 3, 1),
                                               (273, 4, 122), (277, 3, 1), (278, 4, height), (279, 4, 16)]
    var bytes = Array("II".utf8) + le16(42) + le32(8) + le16(UInt16(entries.count))
    for (tag, type, value) in entries { bytes += le16(tag) + le16(type) + le32(1) + (type == 3 ? le16(UInt16(value)) + [0, 0] : le32(value)) }
    return Data(bytes + le32(0) + [UInt8](repeating: 0, count: 16))
  }

  /// A lossless WebP header claiming `side` x `side` pixels, its chunk sizes consistent.
  func webpHeaderBytes(side: Int) -> Data {
    let bits = UInt32(side - 1) | UInt32(side - 1) << 14
    let payload: [UInt8] = [0x2f] + (0 ..< 4).map { UInt8(truncatingIfNeeded: bits >> (8 * $0)) } + [UInt8](repeating: 0, count: 15)
    func le32(_ v: Int) -> [UInt8] { (0 ..< 4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    let chunk = Array("VP8L".utf8) + le32(payload.count) + payload
    return Data(Array("RIFF".utf8) + le32(4 + chunk.count) + Array("WEBP".utf8) + chunk)
  }
}
