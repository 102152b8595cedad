import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

/// Issue 14, item 9, from the command line: `--linear` and `--alpha` in `filter` and `batch`.
@Suite struct LinearAlphaTests {
  /// 8-bit values of a saved image, channel by channel.
  func bytes(_ path: String) throws -> [[Float]] {
    let t = try loadImage(path: path).tensor
    return (0 ..< t.channels).map { t.plane($0).data.map { ($0 * 255).rounded() } }
  }

  @Test func filterInLinearLight() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let edge = dir.appendingPathComponent("edge.png").path
    try saveImage(Tensor(rows: [[0, 0, 0, 1, 1, 1]]), path: edge)
    let gamma = dir.appendingPathComponent("gamma.png").path, linear = dir.appendingPathComponent("linear.png").path
    let a = try runConvolve(["filter", edge, gamma, "--kernel", "1,1,1", "--normalize"])
    let b = try runConvolve(["filter", edge, linear, "--kernel", "1,1,1", "--normalize", "--linear"])
    #expect(a.status == 0 && b.status == 0, "\(a.stderr)\(b.stderr)")
    // 255 · 1/3 = 85; 255 · (1.055 · (1/3)^(1/2.4) − 0.055) = 156.19, and for 2/3: 170 and 213.18.
    #expect(try bytes(gamma) == [[0, 0, 85, 170, 255, 255]])
    #expect(try bytes(linear) == [[0, 0, 156, 213, 255, 255]])
  }

  /// An Adobe RGB photo is decoded with its profile's gamma (563/256): 255 · (1/3)^(256/563) = 154.74 and
  /// 255 · (2/3)^(256/563) = 212.07, where the sRGB curve gives 156 and 213.
  @Test func linearLightFollowsTheProfilesGamma() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let adobe = try loadImage(path: fixtureURL("metadata/adobe-rgb.png").path).metadata
    let edge = dir.appendingPathComponent("edge.png").path, out = dir.appendingPathComponent("out.png").path
    try saveImage(Tensor(planes: Array(repeating: [[0, 0, 0, 1, 1, 1]], count: 3)), path: edge, metadata: adobe)
    let r = try runConvolve(["filter", edge, out, "--kernel", "1,1,1", "--normalize", "--linear"])
    #expect(r.status == 0 && r.stderr.isEmpty, "\(r.stderr)")
    #expect(try bytes(out) == Array(repeating: [0, 0, 155, 212, 255, 255], count: 3))
  }

  @Test func batchBlursRGBAPremultipliedUnlessKeep() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
    // Transparent red on the left half, opaque blue on the right half.
    let red: [Float] = [1, 1, 1, 0, 0, 0], blue: [Float] = [0, 0, 0, 1, 1, 1]
    let logo = Tensor(planes: [[red, red], [[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]], [blue, blue], [blue, blue]])
    try saveImage(logo, path: input.appendingPathComponent("logo.png").path)
    let premultiplied = dir.appendingPathComponent("p").path, kept = dir.appendingPathComponent("k").path
    let p = try runConvolve(["batch", input.path, premultiplied, "--kernel", "1,1,1", "--normalize", "-q"])
    let k = try runConvolve(["batch", input.path, kept, "--kernel", "1,1,1", "--normalize", "--alpha", "keep", "-q"])
    #expect(p.status == 0 && k.status == 0, "\(p.stderr)\(k.stderr)")
    // Premultiplied: no red anywhere, the edge pure blue, alpha ramping 0, 85, 170, 255.
    let row = { (c: [[Float]]) in c.map { Array($0.prefix(6)) } }
    #expect(row(try bytes(premultiplied + "/logo.png")) == [
      [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 255, 255, 255, 255], [0, 0, 85, 170, 255, 255],
    ])
    // Colour alone: a third of the hidden red in the first opaque blue pixel, alpha as it was.
    #expect(row(try bytes(kept + "/logo.png")) == [
      [255, 255, 170, 85, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 85, 170, 255, 255], [0, 0, 0, 255, 255, 255],
    ])
  }
}
