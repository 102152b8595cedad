import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

/// Issue 12 part 4: `filter` and `batch` stream photos in strips, write the same files as the whole-image path,
/// and say which path ran.
@Suite struct FilterStripsTests {
  let samples = packageRoot.appendingPathComponent("SampleImages")
  let rotated = fixtureURL("metadata/rotated.jpg").path

  func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

  @Test func streamedFilesAreTheWholeImagesFiles() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cases: [[String]] = [
      ["--filter", "gaussian", "--sigma", "2"],
      ["--filter", "box", "--size", "11", "--border", "reflect"],
      ["--kernel", "1,2,1;2,4,2;1,2,1", "--normalize", "--border", "zero"],
      ["--filter", "sobel", "--output-range", "abs", "--border", "symmetric"],
      ["--filter", "unsharp-mask", "--linear"],
    ]
    for input in ["camera.png", "chelsea.jpg", "astronaut.png"] {
      for args in cases {
        for ext in ["png", "jpg"] {
          let path = samples.appendingPathComponent(input).path
          let streamed = dir.appendingPathComponent("s.\(ext)").path, whole = dir.appendingPathComponent("w.\(ext)").path
          let s = try runConvolve(["filter", path, streamed, "--strip-rows", "13", "--verbose"] + args)
          let w = try runConvolve(["filter", path, whole, "--strip-rows", "0", "--verbose"] + args)
          #expect(s.status == 0 && w.status == 0, "\(s.stderr) \(w.stderr)")
          #expect(s.stderr.contains("streamed in strips of"), "\(input) \(args): \(s.stderr)")
          #expect(w.stderr.contains("whole image: --strip-rows 0"))
          let (sb, wb) = (try bytes(streamed), try bytes(whole))
          #expect(sb == wb, "\(input) \(args) \(ext)")
        }
      }
    }
  }

  @Test func theVerboseLineSaysWhyTheWholeImageRan() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let camera = samples.appendingPathComponent("camera.png").path, out = dir.appendingPathComponent("o.png").path
    let whole: [([String], String)] = [
      ([camera, out, "--filter", "box3", "--border", "wrap"], "whole image: the wrap border"),
      ([camera, out, "--filter", "sobel"], "whole image: --output-range normalize"),
      ([camera, out, "--filter", "box3", "--stride", "2"], "whole image: the output is"),
      ([rotated, out, "--filter", "box3"], "whole image: EXIF orientation 6"),
    ]
    for (args, expected) in whole {
      let r = try runConvolve(["filter"] + args + ["--verbose"])
      #expect(r.status == 0 && r.stderr.contains(expected), "\(args): \(r.stderr)")
    }
    let kept = try runConvolve(["filter", rotated, out, "--filter", "box3", "--no-auto-orient", "--verbose"])
    #expect(kept.stderr.contains("streamed in strips"), "\(kept.stderr)")
    // An explicit --max-pixels holds for streamed photos too.
    let limited = try runConvolve(["filter", camera, out, "--filter", "box3", "--max-pixels", "1000"])
    #expect(limited.status == 1 && limited.stderr.contains("more than the limit of 1000 (raise --max-pixels)"), "\(limited.stderr)")
  }

  @Test func batchStreamsTheSameFilesWithAnyJobs() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let (one, two, whole) = (dir.appendingPathComponent("one").path, dir.appendingPathComponent("two").path, dir.appendingPathComponent("whole").path)
    for (out, extra) in [(one, ["--jobs", "1"]), (two, ["--jobs", "2"]), (whole, ["--jobs", "2", "--strip-rows", "0"])] {
      let r = try runConvolve(["batch", samples.path, out, "--filter", "gaussian", "--sigma", "2", "--quiet"] + extra)
      #expect(r.status == 0, "\(r.stderr)")
    }
    let names = try FileManager.default.contentsOfDirectory(atPath: one).sorted()
    #expect(names == ["astronaut.png", "camera.png", "chelsea.jpg", "rocket.jpg"])
    for name in names {
      let a = try bytes(one + "/" + name)
      let (b, c) = (try bytes(two + "/" + name), try bytes(whole + "/" + name))
      #expect(a == b && a == c, "\(name)")
    }
  }
}


