import ConvolveTestSupport
import ConvolveCore
import ConvolveFormats
import Foundation
import Testing

/// `convolve batch`, run as a user or a cluster job would.
@Suite struct BatchTests {
  let samples = packageRoot.appendingPathComponent("SampleImages")
  let fm = FileManager.default

  /// Photos only in subfolders: a usage error that counts them and names --recursive, nothing written; a folder
  /// with no photo at all: a note, and success.
  @Test func aBatchThatFindsNothingSaysWhy() throws {
    let dir = try temporaryDirectory()
    let input = dir.appendingPathComponent("in"), output = dir.appendingPathComponent("out")
    try copySample("chelsea.jpg", to: input, as: "sub/chelsea.jpg")
    try copySample("camera.png", to: input, as: "sub/deeper/camera.png")
    let r = try runConvolve(["batch", input.path, output.path, "--filter", "gaussian"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("no image at the top level of \(input.path), but 2 in its subfolders; add --recursive"))
    #expect(!fm.fileExists(atPath: output.path))
    let empty = dir.appendingPathComponent("empty")
    try fm.createDirectory(at: empty, withIntermediateDirectories: true)
    let e = try runConvolve(["batch", empty.path, output.path, "--filter", "gaussian"])
    #expect(e.status == 0, "\(e.stderr)")
    #expect(e.stderr.contains("note: no file in \(empty.path) matches *.png"))
  }

  /// Issue 24, item 3: `batch --model` spells the model input as `model run` does (`--size`, `--labels`,
  /// `--top`, `--resize-shorter`, `--crop`); `--model-size` is still read; `--size` stays the box filter's
  /// size with `--filter`.
  @Test func aModelBatchTakesModelRunsOptions() throws {
    let dir = try temporaryDirectory()
    defer { try? fm.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    try copySample("chelsea.jpg", to: input, as: "chelsea.jpg")
    try copySample("camera.png", to: input, as: "camera.png")
    let labels = dir.appendingPathComponent("labels.txt")
    try Data("cat\ndog\ncar\ntree\nsky\n".utf8).write(to: labels)
    let model = fixtureURL("onnx/net_classifier.onnx").path
    func listed(_ options: [String], _ name: String) throws -> [String] {
      let out = dir.appendingPathComponent(name)
      let r = try runConvolve(["batch", input.path, out.path, "--model", model, "--quiet"] + options)
      #expect(r.status == 0, "\(r.stderr)")
      let text = try String(contentsOf: out.appendingPathComponent("chelsea/probabilities.txt"), encoding: .utf8)
      return text.split(separator: "\n").map(String.init)
    }
    let ranked = try listed(["--size", "16x16", "--labels", labels.path, "--top", "2"], "sized")
    #expect(ranked.count == 3 && ranked[0].contains("top 2"), "\(ranked)")
    #expect(["cat", "dog", "car", "tree", "sky"].contains { ranked[1].hasPrefix("  1. \($0) (class ") }, "\(ranked)")
    #expect(try listed(["--model-size", "16x16", "--labels", labels.path, "--top", "2"], "old") == ranked)
    let cropped = try listed(["--resize-shorter", "20", "--crop", "16", "--top", "1"], "cropped")
    #expect(cropped.count == 2 && cropped[1].hasPrefix("  1. (class "), "\(cropped)")
    let both = try runConvolve(["batch", input.path, dir.appendingPathComponent("x").path, "--model", model, "--size", "16x16", "--model-size", "16x16"])
    #expect(both.status == 64, "\(both.stderr)")
    let box = try runConvolve(["batch", input.path, dir.appendingPathComponent("box").path, "--filter", "box", "--size", "3", "--quiet"])
    #expect(box.status == 0, "\(box.stderr)")
    let notBox = try runConvolve(["batch", input.path, dir.appendingPathComponent("nb").path, "--filter", "box", "--size", "3x3"])
    #expect(notBox.status == 64 && notBox.stderr.contains("--size 3x3"), "\(notBox.stderr)")
  }

  @Test func goodFilesAreWrittenInTheMirroredTreeAndBadOnesReported() throws {
    let dir = try temporaryDirectory()
    let input = dir.appendingPathComponent("in"), output = dir.appendingPathComponent("out")
    try copySample("astronaut.png", to: input, as: "astronaut.png")
    try copySample("chelsea.jpg", to: input, as: "sub/chelsea.jpg")
    try copySample("camera.png", to: input, as: "sub/deeper/camera.PNG")
    try writeTinyImage(input.appendingPathComponent("sub/tiny.png"), width: 7, height: 5, seed: 1)
    try writeTinyImage(input.appendingPathComponent("sub/tiny.jpg"), width: 9, height: 4, seed: 2)
    let bytes = try Data(contentsOf: samples.appendingPathComponent("camera.png"))
    try bytes.prefix(bytes.count / 2).write(to: input.appendingPathComponent("sub/cut.png"))
    try Data("not a photo\n".utf8).write(to: input.appendingPathComponent("photo.png"))
    try Data("read me\n".utf8).write(to: input.appendingPathComponent("README.txt"))
    let report = dir.appendingPathComponent("report.json")

    let r = try runConvolve([
      "batch", input.path, output.path, "--filter", "gaussian", "--sigma", "2", "--recursive", "--jobs", "2",
      "--report", report.path,
    ])
    #expect(r.status == 1, "\(r.stderr)")
    let good = ["astronaut.png", "sub/chelsea.jpg", "sub/deeper/camera.PNG", "sub/tiny.png", "sub/tiny.jpg"]
    for relative in good {
      let made = try imageInfo(path: output.appendingPathComponent(relative).path)
      let original = try imageInfo(path: input.appendingPathComponent(relative).path)
      #expect(made.width == original.width && made.height == original.height, "\(relative)")
      #expect(made.format == original.format, "\(relative)")
    }
    #expect(try files(under: output) == good.sorted())
    #expect(r.stderr.contains("FAILED \(input.path)/photo.png: not a PNG, JPEG, WebP, TIFF, AVIF or HEIC file"))
    #expect(r.stderr.contains("FAILED \(input.path)/sub/cut.png:"))
    #expect(r.stderr.contains("done 5, skipped 0, failed 2 in "))
    #expect(!r.stderr.contains("README"))

    let json = try reportFiles(report)
    #expect(json.map { $0["relativePath"] as? String } == (good + ["photo.png", "sub/cut.png"]).sorted().map(Optional.some))
    let failed = json.filter { $0["status"] as? String == "failed" }
    #expect(failed.compactMap { $0["relativePath"] as? String } == ["photo.png", "sub/cut.png"])
    #expect(failed.allSatisfy { !(($0["error"] as? String) ?? "").isEmpty })
    let ok = json.first { $0["relativePath"] as? String == "sub/chelsea.jpg" }
    #expect(ok?["outputs"] as? [String] == [output.appendingPathComponent("sub/chelsea.jpg").path])
    #expect((ok?["milliseconds"] as? Double ?? 0) > 0)
    let totals = try reportTotals(report)
    #expect(totals["done"] as? Int == 5 && totals["failed"] as? Int == 2 && totals["skipped"] as? Int == 0)
  }

  @Test func formatAndNameTemplateConvert() throws {
    let dir = try temporaryDirectory()
    let input = dir.appendingPathComponent("in"), output = dir.appendingPathComponent("out")
    try writeTinyImage(input.appendingPathComponent("a.png"), width: 6, height: 6, seed: 3)
    try writeTinyImage(input.appendingPathComponent("b.jpeg"), width: 6, height: 6, seed: 4)
    let r = try runConvolve([
      "batch", input.path, output.path, "--filter", "sobel", "--format", "jpg", "--name", "{stem}-{filter}{ext}",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try files(under: output) == ["a-sobel.jpg", "b-sobel.jpg"])
    #expect(try imageInfo(path: output.appendingPathComponent("a-sobel.jpg").path).format == .jpeg)
    // a.png and a.jpg would both become a.png: refused before any work.
    try writeTinyImage(input.appendingPathComponent("a.jpg"), width: 6, height: 6, seed: 5)
    let clash = try runConvolve(["batch", input.path, dir.appendingPathComponent("o2").path, "--filter", "box3", "--format", "png"])
    #expect(clash.status == 64 && clash.stderr.contains("would both be written to"))
    #expect(!fm.fileExists(atPath: dir.appendingPathComponent("o2").path))
  }

  @Test func skipExistingRedoesOnlyTheMissingOutputs() throws {
    let dir = try temporaryDirectory()
    let input = dir.appendingPathComponent("in"), output = dir.appendingPathComponent("out")
    let names = (1 ... 6).map { "p\($0).png" }
    for (i, name) in names.enumerated() {
      try writeTinyImage(input.appendingPathComponent(name), width: 20 + i, height: 12, seed: UInt64(i))
    }
    let first = try runConvolve(["batch", input.path, output.path, "--filter", "box3"])
    #expect(first.status == 0, "\(first.stderr)")
    let old = Date(timeIntervalSince1970: 1_000_000_000)
    for name in names {
      try fm.setAttributes([.modificationDate: old], ofItemAtPath: output.appendingPathComponent(name).path)
    }
    for name in ["p2.png", "p5.png"] { try fm.removeItem(at: output.appendingPathComponent(name)) }

    let report = dir.appendingPathComponent("resume.json")
    let again = try runConvolve(["batch", input.path, output.path, "--filter", "box3", "--skip-existing", "--report", report.path])
    #expect(again.status == 0, "\(again.stderr)")
    let lines = again.stderr.split(separator: "\n")
    #expect(lines.filter { $0.hasPrefix("ok ") }.count == 2)
    #expect(lines.filter { $0.hasPrefix("skipped ") }.count == 4)
    #expect(again.stderr.contains("done 2, skipped 4, failed 0"))
    let statuses = try reportFiles(report).map { ($0["relativePath"] as? String ?? "", $0["status"] as? String ?? "") }
    #expect(statuses.filter { $0.1 == "ok" }.map(\.0) == ["p2.png", "p5.png"])
    for name in names {
      let modified = try fm.attributesOfItem(atPath: output.appendingPathComponent(name).path)[.modificationDate] as? Date
      #expect((modified == old) == !["p2.png", "p5.png"].contains(name), "\(name)")
    }
  }

  @Test func shardsCoverEveryFileExactlyOnce() throws {
    let dir = try temporaryDirectory()
    let input = dir.appendingPathComponent("in")
    // A dry run reads no pixels, so empty files do.
    var all = (0 ..< 40).map { "f\($0).png" } + (0 ..< 10).map { "sub/g\($0).jpg" }
    for name in all { try write(Data(), to: input.appendingPathComponent(name)) }
    all.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    func listed(_ extra: [String]) throws -> [String] {
      let r = try runConvolve(["batch", input.path, dir.appendingPathComponent("out").path, "--filter", "box3", "-r", "--dry-run"] + extra)
      #expect(r.status == 0, "\(r.stderr)")
      return r.stdout.split(separator: "\n").map { line in
        String(line.split(separator: " ")[0].dropFirst(input.path.count + 1))
      }
    }
    #expect(try listed([]) == all)
    for n in [1, 3, 4] {
      var union: [String] = []
      for i in 1 ... n {
        let slice = try listed(["--shard", "\(i)/\(n)"])
        #expect(try listed(["--shard-index", "\(i - 1)", "--shard-count", "\(n)"]) == slice)
        if n > 1 { #expect(slice.count < all.count) }
        union += slice
      }
      #expect(union.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } == all, "N = \(n)")
    }
    // A file keeps its shard when others are added.
    let before = try listed(["--shard", "2/3"])
    for i in 0 ..< 10 { try write(Data(), to: input.appendingPathComponent("new\(i).png")) }
    let after = try listed(["--shard", "2/3"])
    #expect(after.filter { !$0.hasPrefix("new") } == before)

    let zero = try runConvolve(["batch", input.path, "out", "--filter", "box3", "--shard", "0/4"])
    #expect(zero.status == 64 && zero.stderr.contains("--shard-index 0 --shard-count 4"))
    let over = try runConvolve(["batch", input.path, "out", "--filter", "box3", "--shard", "5/4"])
    #expect(over.status == 64 && over.stderr.contains("between 1 and 4"))
    let index = try runConvolve(["batch", input.path, "out", "--filter", "box3", "--shard-index", "4", "--shard-count", "4"])
    #expect(index.status == 64 && index.stderr.contains("from 0 to 3"))
  }

  @Test func outputsAreTheSameForAnyNumberOfJobs() throws {
    let dir = try temporaryDirectory()
    let input = dir.appendingPathComponent("in")
    for name in ["astronaut.png", "camera.png", "chelsea.jpg", "rocket.jpg"] {
      try copySample(name, to: input, as: name)
      try copySample(name, to: input, as: "copy/" + name)
    }
    for jobs in ["1", "4"] {
      let r = try runConvolve([
        "batch", input.path, dir.appendingPathComponent("out\(jobs)").path, "--filter", "unsharp-mask", "-r", "--jobs", jobs,
        "--report", dir.appendingPathComponent("r\(jobs).json").path,
      ])
      #expect(r.status == 0, "\(r.stderr)")
    }
    let names = try files(under: dir.appendingPathComponent("out1"))
    #expect(names.count == 8)
    #expect(try files(under: dir.appendingPathComponent("out4")) == names)
    for name in names {
      let one = try Data(contentsOf: dir.appendingPathComponent("out1/" + name))
      let four = try Data(contentsOf: dir.appendingPathComponent("out4/" + name))
      #expect(one == four, "\(name)")
    }
    // The report lists the files in the same order.
    let order1 = try reportFiles(dir.appendingPathComponent("r1.json")).map { $0["relativePath"] as? String }
    let order4 = try reportFiles(dir.appendingPathComponent("r4.json")).map { $0["relativePath"] as? String }
    #expect(order1 == order4)
  }

  @Test func dryRunWritesNothingAndInputsAreNeverOverwritten() throws {
    let dir = try temporaryDirectory()
    let input = dir.appendingPathComponent("in")
    try writeTinyImage(input.appendingPathComponent("a.png"), width: 5, height: 5, seed: 7)
    try writeTinyImage(input.appendingPathComponent("sub/b.jpg"), width: 5, height: 5, seed: 8)
    let output = dir.appendingPathComponent("out")
    let dry = try runConvolve(["batch", input.path, output.path, "--filter", "sobel", "-r", "--dry-run", "--report", dir.appendingPathComponent("r.json").path])
    #expect(dry.status == 0, "\(dry.stderr)")
    #expect(dry.stdout.contains("\(input.path)/sub/b.jpg -> \(output.path)/sub/b.jpg"))
    #expect(!fm.fileExists(atPath: output.path) && !fm.fileExists(atPath: dir.appendingPathComponent("r.json").path))

    let before = try Data(contentsOf: input.appendingPathComponent("a.png"))
    let same = try runConvolve(["batch", input.path, input.path, "--filter", "sobel", "-r"])
    #expect(same.status == 64 && same.stderr.contains("would replace the input file"))
    #expect(try Data(contentsOf: input.appendingPathComponent("a.png")) == before)
    // Another spelling of the same folder: the same refusal.
    let spelled = try runConvolve(["batch", input.path, input.path + "/sub/..", "--filter", "sobel", "-r"])
    #expect(spelled.status == 64 && spelled.stderr.contains("would replace the input file"))
    // An output folder inside the input folder is left out of the scan: a rerun does not take its files as inputs.
    for _ in 0 ..< 2 {
      let inside = try runConvolve(["batch", input.path, input.path + "/edges", "--filter", "sobel", "-r"])
      #expect(inside.status == 0 && inside.stderr.contains("done 2, skipped 0, failed 0"), "\(inside.stderr)")
    }
    try fm.removeItem(at: input.appendingPathComponent("edges"))
    // A name that does not collide is fine, in the same folder.
    let renamed = try runConvolve(["batch", input.path, input.path, "--filter", "sobel", "--name", "{stem}-edges.png"])
    #expect(renamed.status == 0, "\(renamed.stderr)")
    #expect(try files(under: input) == ["a-edges.png", "a.png", "sub/b.jpg"])
    #expect(try Data(contentsOf: input.appendingPathComponent("a.png")) == before)
    // ... and a rerun would take a-edges.png as an input and write over it: refused.
    let rerun = try runConvolve(["batch", input.path, input.path, "--filter", "sobel", "--name", "{stem}-edges.png"])
    #expect(rerun.status == 64 && rerun.stderr.contains("--exclude"))

    let usage = try runConvolve(["batch", input.path, output.path])
    #expect(usage.status == 64 && usage.stderr.contains("--pipeline"))
  }

  @Test func pipelineWritesAFolderOfStagesPerPhoto() throws {
    let dir = try temporaryDirectory()
    let input = dir.appendingPathComponent("in"), output = dir.appendingPathComponent("out")
    try writeTinyImage(input.appendingPathComponent("a.png"), width: 8, height: 6, seed: 9)
    try writeTinyImage(input.appendingPathComponent("sub/b.jpg"), width: 10, height: 4, seed: 10)
    let pipeline = dir.appendingPathComponent("p.json")
    try Data(
      """
      {"name": "tiny", "stages": [
        {"op": "pool", "name": "pool", "kind": "max", "size": 2},
        {"op": "upsample", "name": "up", "method": "nearest", "scale": 2}]}
      """.utf8
    ).write(to: pipeline)
    let r = try runConvolve(["batch", input.path, output.path, "--pipeline", pipeline.path, "-r"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try files(under: output) == ["a/01-pool.png", "a/02-up.png", "sub/b/01-pool.png", "sub/b/02-up.png"])
    let up = try imageInfo(path: output.appendingPathComponent("sub/b/02-up.png").path)
    #expect(up.width == 10 && up.height == 4)
    // Resuming skips photos whose folder exists.
    let again = try runConvolve(["batch", input.path, output.path, "--pipeline", pipeline.path, "-r", "--skip-existing"])
    #expect(again.stderr.contains("done 0, skipped 2, failed 0"))
  }

  @Test func interruptStopsCleanlyAndSkipExistingFinishesTheRest() throws {
    let dir = try temporaryDirectory()
    let input = dir.appendingPathComponent("in"), output = dir.appendingPathComponent("out")
    for i in 0 ..< 24 { try copySample("camera.png", to: input, as: String(format: "c%02d.png", i)) }
    let arguments = ["batch", input.path, output.path, "--filter", "gaussian", "--sigma", "3", "--jobs", "2"]
    let process = Process()
    process.executableURL = convolveBinary
    process.arguments = arguments
    let err = Pipe()
    process.standardError = err
    process.standardOutput = Pipe()
    try process.run()
    // Interrupt once the first file is done, as Ctrl-C would.
    var text = ""
    while !text.contains("ok ") {
      let chunk = err.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      text += String(decoding: chunk, as: UTF8.self)
    }
    process.interrupt()
    text += String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 130, "\(text)")
    #expect(text.contains("interrupted (SIGINT): done "))
    let written = try files(under: output)
    #expect(!written.isEmpty && written.count < 24 && written.allSatisfy { !$0.hasPrefix(".") })
    for name in written { #expect(try imageInfo(path: output.appendingPathComponent(name).path).width == 512) }

    let rest = try runConvolve(arguments + ["--skip-existing"])
    #expect(rest.status == 0, "\(rest.stderr)")
    #expect(rest.stderr.contains("done \(24 - written.count), skipped \(written.count), failed 0"))
    #expect(try files(under: output).count == 24)
  }

  // MARK: Helpers

  private func copySample(_ name: String, to folder: URL, as relative: String) throws {
    let target = folder.appendingPathComponent(relative)
    try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
    try fm.copyItem(at: samples.appendingPathComponent(name), to: target)
  }

  private func write(_ data: Data, to url: URL) throws {
    try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try data.write(to: url)
  }

  /// A small RGB image of pseudo-random pixels.
  private func writeTinyImage(_ url: URL, width: Int, height: Int, seed: UInt64) throws {
    try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    var state = seed &+ 0x9E37_79B9_7F4A_7C15
    let data = (0 ..< 3 * width * height).map { _ -> Float in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Float(state >> 40) / Float(1 << 24)
    }
    try saveImage(Tensor(channels: 3, height: height, width: width, data: data), path: url.path)
  }

  /// Every file under `folder`, hidden ones included, as sorted relative paths.
  private func files(under folder: URL) throws -> [String] {
    let root = folder.resolvingSymlinksInPath().path
    var found: [String] = []
    let enumerator = fm.enumerator(atPath: root)
    while let relative = enumerator?.nextObject() as? String {
      var isFolder: ObjCBool = false
      if fm.fileExists(atPath: root + "/" + relative, isDirectory: &isFolder), !isFolder.boolValue {
        found.append(relative)
      }
    }
    return found.sorted()
  }

  private func reportFiles(_ url: URL) throws -> [[String: Any]] {
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
    return object?["files"] as? [[String: Any]] ?? []
  }

  private func reportTotals(_ url: URL) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
    return object?["totals"] as? [String: Any] ?? [:]
  }
}
