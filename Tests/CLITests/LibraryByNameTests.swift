import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

/// Issue 24 item 1: the library's layers and pipelines by name, from a folder outside the checkout; a path is a
/// path; a file that cannot be read says why and, when the library has its name, what to give instead.
@Suite struct LibraryByNameTests {
  let camera = packageRoot.appendingPathComponent("SampleImages/camera.png").path
  let library = packageRoot.appendingPathComponent("Filters").path

  /// A fresh folder outside the checkout holding `photo.png`, so that nothing of the checkout is found by walking
  /// up from it.
  func elsewhere() throws -> URL {
    let dir = try temporaryDirectory()
    try FileManager.default.copyItem(atPath: camera, toPath: dir.appendingPathComponent("photo.png").path)
    return dir
  }

  func files(_ folder: URL, _ name: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(name).path)) ?? []).sorted()
  }

  @Test func layersAndPipelinesAreFoundByNameFromAnyFolder() throws {
    let dir = try elsewhere()
    defer { try? FileManager.default.removeItem(at: dir) }
    let layer = try runConvolve(
      ["layer", "photo.png", "layer", "--weights", "edges", "--bias", "edges-bias", "--padding", "same", "--save-npy"],
      in: dir)
    #expect(layer.status == 0, "\(layer.stderr)")
    let maps = try NPYArray.read(path: dir.appendingPathComponent("layer/photo-conv.npy").path)
    #expect(maps.shape.suffix(3) == [10, 512, 512], "\(maps.shape)")

    let run = try runConvolve(["run", "edges", "photo.png", "maps"], in: dir)
    #expect(run.status == 0, "\(run.stderr)")
    #expect(files(dir, "maps").contains("06-structure-up.png"), "\(files(dir, "maps"))")
    // The output folder of the first run, named like the pipeline, does not hide the library's pipeline.
    let again = try runConvolve(["run", "edges", "photo.png", "edges"], in: dir)
    let twice = try runConvolve(["run", "edges", "photo.png", "edges"], in: dir)
    #expect(again.status == 0 && twice.status == 0, "\(twice.stderr)")

    try FileManager.default.createDirectory(at: dir.appendingPathComponent("photos"), withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      atPath: camera, toPath: dir.appendingPathComponent("photos/camera.png").path)
    let batch = try runConvolve(["batch", "photos", "batch", "--pipeline", "colour", "--quiet"], in: dir)
    #expect(batch.status == 0, "\(batch.stderr)")
    #expect(files(dir, "batch/camera").contains { $0.hasSuffix("-pool.png") }, "\(files(dir, "batch/camera"))")
    let top = try runConvolve(
      ["model", "top-patches", "--pipeline", "edges", "photos", "top", "--layer", "edges-relu", "--k", "2", "--quiet"], in: dir)
    #expect(top.status == 0, "\(top.stderr)")
    #expect(files(dir, "top").contains("index.html"))
    let shape = try runConvolve(["shape", "--pipeline", "edges", "64x64"], in: dir)
    #expect(shape.status == 0 && shape.stdout.contains("output: 32x32x8,"), "\(shape.stdout)\(shape.stderr)")
  }

  /// A local file wins over the library's of the same name; a path with a `/` is never looked up by name.
  @Test func aFileHereIsThatFile() throws {
    let dir = try elsewhere()
    defer { try? FileManager.default.removeItem(at: dir) }
    // One 3x3 filter over 3 channels, all ones: not the library's 10 filters.
    let one = try NPYArray(shape: [1, 3, 3, 3], data: [Float](repeating: 1, count: 27))
    try one.write(path: dir.appendingPathComponent("edges.npy").path)
    for argument in ["edges.npy", "./edges.npy", dir.appendingPathComponent("edges.npy").path] {
      let r = try runConvolve(["layer", "photo.png", "out-\(argument.count)", "--weights", argument, "--save-npy"], in: dir)
      #expect(r.status == 0, "\(r.stderr)")
      let maps = try NPYArray.read(path: dir.appendingPathComponent("out-\(argument.count)/photo-conv.npy").path)
      #expect(maps.shape.suffix(3) == [1, 510, 510], "\(argument): \(maps.shape)")
    }
    // A pipeline file of the user's names the library's layer by name in "weights".
    let pipeline = #"{"stages": [{"op": "conv", "weights": "edges-l2", "padding": "same"}]}"#
    try Data(pipeline.utf8).write(to: dir.appendingPathComponent("mine.json"))
    let shape = try runConvolve(["shape", "--pipeline", "mine.json", "10x16x16", "--chw"], in: dir)
    #expect(shape.status == 0 && shape.stdout.contains("8x16x16"), "\(shape.stdout)\(shape.stderr)")
  }

  @Test func whatCannotBeReadSaysWhyAndTheNameToGive() throws {
    let dir = try elsewhere()
    defer { try? FileManager.default.removeItem(at: dir) }
    // The README's old spelling, from a folder without Filters/.
    let path = try runConvolve(["layer", "photo.png", "out", "--weights", "Filters/layers/edges.npy"], in: dir)
    #expect(path.status == 1)
    let installed = (library as NSString).appendingPathComponent("layers/edges.npy")
    #expect(
      path.stderr == "Error: Filters/layers/edges.npy: cannot be read: No such file or directory; the library's layer "
        + "'edges' is \(installed): give '--weights edges'\n", "\(path.stderr)")
    let run = try runConvolve(["run", "Filters/pipelines/edges.json", "photo.png", "out"], in: dir)
    #expect(run.status == 1 && run.stderr.contains("No such file or directory") && run.stderr.contains("give 'edges'"), "\(run.stderr)")
    // A misspelled name: not a file, not in the library, the closest named.
    let typo = try runConvolve(["run", "edgs", "photo.png", "out"], in: dir)
    #expect(typo.status == 1, "\(typo.stderr)")
    #expect(typo.stderr.contains("edgs: cannot be read: No such file or directory, and the library ("), "\(typo.stderr)")
    #expect(typo.stderr.contains("has no pipeline 'edgs'; did you mean 'edges'?"), "\(typo.stderr)")
    // A folder is not a file.
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("weights"), withIntermediateDirectories: true)
    let folder = try runConvolve(["layer", "photo.png", "out", "--weights", "weights/"], in: dir)
    #expect(folder.status == 1 && folder.stderr.contains("weights/: cannot be read: it is a folder"), "\(folder.stderr)")
    // Other readers say why too.
    let kernel = try runConvolve(["filter", "photo.png", "k.png", "--kernel-file", "missing.json"], in: dir)
    #expect(kernel.stderr.contains("missing.json: cannot be read: No such file or directory"), "\(kernel.stderr)")
    let model = try runConvolve(["model", "info", "missing.onnx"], in: dir)
    #expect(model.status == 1 && model.stderr.contains("missing.onnx: cannot be read: No such file or directory"))
  }

  @Test func filtersListsTheLayersAndPipelines() throws {
    let r = try runConvolve(["filters"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("\nLayers (--weights NAME, --bias NAME) in \(library)/layers:\n"), "\(r.stdout)")
    #expect(r.stdout.contains("\n  edges                 10 filters of 3x9x9 (CxHxW)\n"), "\(r.stdout)")
    #expect(r.stdout.contains("\n  edges-bias            bias, 10 values\n"), "\(r.stdout)")
    #expect(r.stdout.contains("\nPipelines (convolve run NAME, --pipeline NAME) in \(library)/pipelines:\n"))
    #expect(r.stdout.contains("\n  colour                Colour-opponent centre-surround cells"), "\(r.stdout)")
    let one = try runConvolve(["filters", "edges-l2", "lecture"])
    #expect(one.status == 0, "\(one.stderr)")
    #expect(one.stdout.contains("layer edges-l2: 8 filters of 10x5x5 (CxHxW)\n  \(library)/layers/edges-l2.npy"))
    #expect(one.stdout.contains("pipeline lecture: "), "\(one.stdout)")
    let typo = try runConvolve(["filters", "edgess"])
    #expect(typo.status == 64 && typo.stderr.contains("did you mean 'edges'?"), "\(typo.stderr)")
  }
}

extension LibraryByNameTests {
  @Test func aLibraryFilterFileNotHereNamesTheFilter() throws {
    let dir = try elsewhere()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try runConvolve(["filter", "photo.png", "e.png", "--kernel-file", "Filters/emboss.json"], in: dir)
    #expect(r.status == 1)
    #expect(
      r.stderr == "Error: Filters/emboss.json: cannot be read: No such file or directory; the library's filter 'emboss' "
        + "is given as '--filter emboss'\n", "\(r.stderr)")
  }
}
