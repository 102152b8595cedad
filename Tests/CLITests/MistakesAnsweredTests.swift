import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

/// Issue 24 items 5 and 7: mistakes get a usage error that names the option and the closest right value; sizes
/// are written one way (pictures width x height, tensors with their letters).
@Suite struct MistakesAnsweredTests {
  let camera = packageRoot.appendingPathComponent("SampleImages/camera.png").path
  let chelsea = packageRoot.appendingPathComponent("SampleImages/chelsea.jpg").path  // 451 x 300
  let classifier = fixtureURL("onnx/net_classifier.onnx").path  // input 1x3x16x16, nodes Conv, ..., Gemm, Softmax

  @Test func layersPatternsThatMatchNothingSuggestTheClosest() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try runConvolve(["model", "run", classifier, camera, dir.path, "--layers", "Conv,Gemmm"])
    #expect(r.status == 64, "\(r.stderr)")
    #expect(
      r.stderr.hasPrefix(
        "Error: --layers Gemmm: net_classifier.onnx has no node, value or op type that matches it; did you mean 'Gemm'?"),
      "\(r.stderr)")
    #expect(r.stderr.contains("Usage: convolve model run"))
    let good = try runConvolve(["model", "run", classifier, camera, dir.path, "--layers", "Conv*,all"])
    #expect(good.status == 0, "\(good.stderr)")
    let batch = try runConvolve(["batch", packageRoot.appendingPathComponent("SampleImages").path, dir.appendingPathComponent("b").path,
      "--model", classifier, "--layers", "Relux"])
    #expect(batch.status == 64 && batch.stderr.contains("--layers Relux: net_classifier.onnx has no node"), "\(batch.stderr)")
  }

  @Test func aMeanOrStdForTheWrongChannelCountIsAUsageError() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try runConvolve(["model", "run", classifier, camera, dir.path, "--mean", "0.5,0.5"])
    #expect(r.status == 64, "\(r.stderr)")
    #expect(r.stderr.hasPrefix("Error: --mean has 2 values; the model takes 3 channels: give 1 value or 3\n"), "\(r.stderr)")
    let std = try runConvolve(["model", "run", classifier, camera, dir.path, "--std", "1,1,1,1"])
    #expect(std.status == 64 && std.stderr.contains("--std has 4 values"), "\(std.stderr)")
    // batch --model: refused before any photo.
    let batch = try runConvolve(["batch", packageRoot.appendingPathComponent("SampleImages").path, dir.appendingPathComponent("b").path,
                                 "--model", classifier, "--mean", "0.5,0.5"])
    #expect(batch.status == 64 && batch.stderr.contains("--mean has 2 values"), "\(batch.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("b").path))
    // A crop larger than the photo it is cut from (no resize given): a usage error too, not the model's.
    let crop = try runConvolve(["model", "run", classifier, camera, dir.path, "--crop", "4000"])
    #expect(crop.status == 64 && crop.stderr.contains("--crop 4000x4000 is larger than the 512x512 (WxH) photo"), "\(crop.stderr)")
  }

  @Test func helpOfAMisspelledCommandSuggestsTheCommand() throws {
    let r = try runConvolve(["help", "filtr"])
    #expect(r.status == 64)
    #expect(r.stderr.hasPrefix("Error: unknown command 'filtr'; did you mean 'filter'?"), "\(r.stderr)")
    let model = try runConvolve(["help", "model", "rnu"])
    #expect(model.status == 64 && model.stderr.contains("unknown command 'rnu'; did you mean 'run'?"), "\(model.stderr)")
    let good = try runConvolve(["help", "filter"])
    #expect(good.status == 0 && good.stdout.contains("USAGE: convolve filter"), "\(good.stdout)")
  }

  /// Only the default rounding notes the unused rows and columns; `--floor` asks for it, so it says nothing.
  @Test func anExplicitFloorPrintsNoNote() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("p.png").path
    let commands: [[String]] = [
      ["pool", chelsea, out, "--size", "2"],
      ["filter", chelsea, out, "--filter", "box3", "--mode", "valid", "--stride", "2"],
      ["layer", chelsea, dir.appendingPathComponent("l").path, "--filters", "sobel-x", "--pool", "max:2"],
      ["run", "edges", chelsea, dir.appendingPathComponent("r").path],
      ["batch", packageRoot.appendingPathComponent("SampleImages").path, dir.appendingPathComponent("b").path,
       "--filter", "box3", "--mode", "valid", "--stride", "2"],
    ]
    for command in commands {
      let implicit = try runConvolve(command)
      #expect(implicit.status == 0 && implicit.stderr.contains("note: "), "\(command[0]): \(implicit.stderr)")
      let explicit = try runConvolve(command + ["--floor"])
      #expect(explicit.status == 0 && !explicit.stderr.contains("note: "), "\(command[0]) --floor: \(explicit.stderr)")
    }
  }

  /// Library filters of different sizes in one layer are zero-padded to the largest, centred: each map is the
  /// one the filter gives alone (in the middle, where the smaller filter's zero padding reads no border).
  @Test func layerFiltersOfDifferentSizesArePaddedToTheLargest() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    func maps(_ filters: String, _ name: String) throws -> (RunResult, NPYArray?) {
      let out = dir.appendingPathComponent(name).path
      let r = try runConvolve(["layer", camera, out, "--filters", filters, "--padding", "same", "--save-npy"])
      return (r, try? NPYArray.read(path: out + "/camera-conv.npy"))
    }
    let (mixed, both) = try maps("sobel-x,gaussian5", "mixed")
    #expect(mixed.status == 0, "\(mixed.stderr)")
    #expect(
      mixed.stderr == "note: zero-padded to 5x5 (HxW), centred, to match the largest filter: sobel-x (3x3)\n",
      "\(mixed.stderr)")
    let (_, sobel) = try maps("sobel-x", "sobel")
    let (_, gaussian) = try maps("gaussian5", "gaussian")
    let b = try #require(both), s = try #require(sobel), g = try #require(gaussian)
    let plane = 512 * 512
    #expect(b.data.count == 2 * plane && s.data.count == plane && g.data.count == plane)
    #expect(zip(b.data[plane...], g.data).map { abs($0 - $1) }.max()! < 1e-6)
    var largest: Float = 0
    for y in 2 ..< 510 {
      for x in 2 ..< 510 { largest = max(largest, abs(b.data[y * 512 + x] - s.data[y * 512 + x])) }
    }
    #expect(largest < 1e-6, "\(largest)")
    #expect(s.data.contains { abs($0) > 0.1 })
  }

  @Test func numpyListsAreKernelsAndMatrices() throws {
    let rows = try runConvolve(["filter", "--input", "1,2,3;4,5,6;7,8,9", "--kernel", "1,2,1;2,4,2;1,2,1", "--print"])
    #expect(rows.status == 0, "\(rows.stderr)")
    for (input, kernel) in [
      ("[[1,2,3],[4,5,6],[7,8,9]]", "[[1,2,1],[2,4,2],[1,2,1]]"),
      ("[[1, 2, 3], [4, 5, 6], [7, 8, 9]]", "[[1 2 1]\n [2 4 2]\n [1 2 1]]"),
    ] {
      let numpy = try runConvolve(["filter", "--input", input, "--kernel", kernel, "--print"])
      #expect(numpy.status == 0 && numpy.stdout == rows.stdout, "\(kernel): \(numpy.stdout)\(numpy.stderr)")
    }
    // One row in brackets is one row, even with 9 values (no ImageMagick square).
    let row = try runConvolve(["filter", "--input", "[1,2,3,4,5,6,7,8,9,10]", "--kernel", "[1,1,1,1,1,1,1,1,1]", "--print", "--mode", "valid"])
    #expect(row.status == 0 && row.stdout.contains("45") && row.stdout.contains("54"), "\(row.stdout)\(row.stderr)")
    let explainRows = try runConvolve(["explain", "--input", "4,5,6;7,8,9", "--kernel", "1;1;1", "--mode", "full"])
    let explainNumpy = try runConvolve(["explain", "--input", "[[4,5,6],[7,8,9]]", "--kernel", "[[1],[1],[1]]", "--mode", "full"])
    #expect(explainNumpy.status == 0 && explainNumpy.stdout == explainRows.stdout, "\(explainNumpy.stderr)")
    let broken = try runConvolve(["filter", "--input", "1,2;3,4", "--kernel", "[[1,2],[3,4]", "--print"])
    #expect(broken.status == 64, "\(broken.stderr)")
  }

  /// Item 7: pictures are width x height in every message (as `info` prints them), tensors CxHxW with the letters.
  @Test func sizesAreWrittenOneWay() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let info = try runConvolve(["info", chelsea])
    #expect(info.stdout.contains(" 451x300, "), "\(info.stdout)")
    let pool = try runConvolve(["pool", chelsea, dir.appendingPathComponent("p.png").path, "--size", "2"])
    #expect(pool.stderr.contains("the output is 225x150 ("), "\(pool.stderr)")
    let model = try runConvolve(["model", "run", classifier, chelsea, dir.appendingPathComponent("m").path])
    #expect(model.status == 0, "\(model.stderr)")
    #expect(model.stdout.contains("note: resized from 451x300 (WxH) to the model's 3x16x16 (CxHxW), bilinear"), "\(model.stdout)")
    let layer = try runConvolve(["layer", chelsea, dir.appendingPathComponent("l").path, "--filters", "sobel-x"])
    #expect(layer.stdout.contains("conv: 1x298x449 (CxHxW) -> "), "\(layer.stdout)")
  }
}
