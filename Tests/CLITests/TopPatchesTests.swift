import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

/// `convolve model top-patches` and `merge-top` as a user runs them, on a tiny model of fixed edge detectors
/// (`Tests/Fixtures/make_edge_detector.py`) and photos made here with known edges.
@Suite struct TopPatchesTests {
  static let model = fixtureURL("top-patches/edge_detector.onnx").path

  /// A photo `height × width` (not multiples of 32: the model input is resized): a vertical step from dark to
  /// bright of `contrast` at column `edge`, a stronger step from bright to black at column `width - 30` (the
  /// wrong polarity for channel 0), a black band over the top 8 rows (horizontal edges), and a gentle ramp back
  /// to grey over the last 20 columns, so that the model's zero padding (grey, with --mean 0.5) makes no edge.
  static func photo(contrast: Float, edge: Int, height: Int = 70, width: Int = 90) -> Tensor {
    var t = Tensor(channels: 3, height: height, width: width)
    for c in 0 ..< 3 {
      for y in 0 ..< height {
        for x in 0 ..< width {
          var v: Float = x < edge ? 0.5 - contrast / 2 : 0.5 + contrast / 2
          if x >= width - 30 || y < 8 { v = 0 }
          if x >= width - 20 { v = 0.5 * Float(x - (width - 20)) / 20 }
          t[c, y, x] = v
        }
      }
    }
    return t
  }

  /// Contrast and edge column of each test photo, by name.
  static let photos: [(name: String, contrast: Float, edge: Int)] = [
    ("a.png", 0.3, 30), ("b.png", 0.9, 22), ("c.png", 0.5, 40), ("d.png", 0.7, 35), ("e.png", 0.2, 25),
    ("f.png", 0.6, 28), ("g.png", 0.4, 44),
  ]

  static func makePhotos(in folder: URL, only names: Set<String>? = nil) throws {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for p in photos where names?.contains(p.name) ?? true {
      try saveImage(photo(contrast: p.contrast, edge: p.edge), path: folder.appendingPathComponent(p.name).path)
    }
  }

  /// The model's arguments: grey as 0, so the zero padding at the photo's edges is no edge.
  static let modelOptions = ["--mean", "0.5"]

  static func entries(_ folder: URL) throws -> [[[String: Any]]] {
    let data = try Data(contentsOf: folder.appendingPathComponent("top-k.json"))
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    return try #require(object["entries"] as? [[[String: Any]]])
  }

  /// Channel 0 detects dark-to-bright vertical edges: its top patches are the photos with the strongest such
  /// edges, strongest first, each patch centred on the edge (not on the stronger bright-to-dark one).
  @Test func theEdgeDetectorsTopPatchesAreTheStrongestEdges() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let photosDir = dir.appendingPathComponent("photos"), out = dir.appendingPathComponent("top")
    try Self.makePhotos(in: photosDir)
    let r = try runConvolve(
      ["model", "top-patches", Self.model, photosDir.path, out.path, "--layer", "pool", "--k", "4", "--jobs", "2"]
        + Self.modelOptions)
    #expect(r.status == 0, "\(r.stderr)")
    let all = try Self.entries(out)
    #expect(all.count == 4)
    let channel0 = all[0]
    let expected = Self.photos.sorted { $0.contrast > $1.contrast }.prefix(4)
    #expect(channel0.map { $0["photo"] as? String } == expected.map(\.name))
    for (entry, photo) in zip(channel0, expected) {
      let box = try #require(entry["box"] as? [Double])
      // The field is 4 model pixels (3x3 conv, 2x2 pool); the photo is 90 wide, the model 96: ~3.75 photo pixels.
      #expect(box[3] - box[1] > 3 && box[3] - box[1] < 4.5, "\(box)")
      #expect(box[1] < Double(photo.edge) && box[3] > Double(photo.edge), "\(photo.name): edge at \(photo.edge), box \(box)")
      // 4 · contrast for a clean step, give or take the resize's blur.
      let value = try #require(entry["value"] as? Double)
      #expect(abs(value - 4 * Double(photo.contrast)) < 0.5 * Double(photo.contrast) + 0.05, "\(photo.name): \(value)")
    }
    // Values descend; every selected channel has a grid; the page links them all.
    let values = channel0.compactMap { $0["value"] as? Double }
    #expect(values == values.sorted(by: >))
    for c in 0 ..< 4 { #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("channel-00\(c).png").path)) }
    let page = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
    #expect(page.contains("channel-000.png") && page.contains("channel-003.png") && page.contains("sortBy('peak'"))
    #expect(!page.contains("http://") && !page.contains("https://"))
  }

  /// One run, three shards merged, and a run resumed with --skip-existing give the same files, byte for byte.
  @Test func shardsMergedAndResumedRunsEqualOneRun() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let photosDir = dir.appendingPathComponent("photos")
    try Self.makePhotos(in: photosDir)
    for sample in ["camera.png", "chelsea.jpg"] {
      try FileManager.default.copyItem(
        at: packageRoot.appendingPathComponent("SampleImages/\(sample)"), to: photosDir.appendingPathComponent(sample))
    }
    let common = ["--layer", "edges_relu", "--k", "5", "--per-photo", "2", "--tile", "24"] + Self.modelOptions
    let whole = dir.appendingPathComponent("whole")
    let one = try runConvolve(["model", "top-patches", Self.model, photosDir.path, whole.path] + common)
    #expect(one.status == 0, "\(one.stderr)")
    var shards: [String] = []
    for i in 1 ... 3 {
      let shard = dir.appendingPathComponent("shard-\(i)")
      let r = try runConvolve(["model", "top-patches", Self.model, photosDir.path, shard.path, "--shard", "\(i)/3"] + common)
      #expect(r.status == 0, "\(r.stderr)")
      #expect(!FileManager.default.fileExists(atPath: shard.appendingPathComponent("index.html").path))
      shards.append(shard.path)
    }
    let merged = dir.appendingPathComponent("merged")
    let m = try runConvolve(["model", "merge-top", merged.path] + shards)
    #expect(m.status == 0, "\(m.stderr)")

    // Resume: a run over some photos, then over all with --skip-existing.
    let resumed = dir.appendingPathComponent("resumed")
    let first = try runConvolve(
      ["model", "top-patches", Self.model, photosDir.path, resumed.path, "--exclude", "[a-c].png", "--exclude", "*.jpg"] + common)
    #expect(first.status == 0, "\(first.stderr)")
    let second = try runConvolve(["model", "top-patches", Self.model, photosDir.path, resumed.path, "--skip-existing"] + common)
    #expect(second.status == 0, "\(second.stderr)")
    #expect(second.stderr.contains("done 4, skipped 5"), "\(second.stderr)")

    let files = try FileManager.default.contentsOfDirectory(atPath: whole.path).filter { !$0.hasPrefix(".") }.sorted()
    #expect(files.contains("index.html") && files.contains("top-k.json") && files.filter { $0.hasPrefix("channel-") }.count == 4)
    for name in files {
      let a = try Data(contentsOf: whole.appendingPathComponent(name))
      #expect(a == (try Data(contentsOf: merged.appendingPathComponent(name))), "merged \(name) differs")
      #expect(a == (try Data(contentsOf: resumed.appendingPathComponent(name))), "resumed \(name) differs")
    }
    // Every photo gave at most two entries to a channel.
    for list in try Self.entries(whole) {
      let counts = Dictionary(grouping: list, by: { $0["photo"] as? String ?? "" }).mapValues(\.count)
      #expect(counts.values.allSatisfy { $0 <= 2 } && list.count == 5, "\(counts)")
    }

    // Shards of another run are refused.
    let other = dir.appendingPathComponent("other")
    let k3 = try runConvolve(
      ["model", "top-patches", Self.model, photosDir.path, other.path, "--shard", "1/3"] + common + ["--k", "3"])
    #expect(k3.status == 0, "\(k3.stderr)")
    let mixed = try runConvolve(["model", "merge-top", dir.appendingPathComponent("mixed").path, shards[1], other.path])
    #expect(mixed.status == 1 && mixed.stderr.contains("--k: 5 vs 3") && mixed.stderr.contains(other.path), "\(mixed.stderr)")
    let twice = try runConvolve(["model", "merge-top", dir.appendingPathComponent("twice").path, shards[0], shards[0]])
    #expect(twice.status == 1 && twice.stderr.contains("merge each shard once"), "\(twice.stderr)")
  }

  /// A pipeline file `edges.json` in `dir`: the library's sobel-x over 3 channels, zero-padded to the same size, then ReLU.
  static func sobelPipeline(in dir: URL) throws -> URL {
    let pipeline = dir.appendingPathComponent("edges.json")
    try Data(
      """
      {"name": "edges", "stages": [
        {"op": "conv", "name": "sobel", "filters": ["sobel-x"], "channels": 3, "padding": "same"},
        {"op": "activation", "name": "relu", "function": "relu"}]}
      """.utf8
    ).write(to: pipeline)
    return pipeline
  }

  /// A pipeline file works as a model does: its conv stage of the library's sobel-x finds the same photo first.
  @Test func aPipelineStageWorksLikeAModelLayer() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let photosDir = dir.appendingPathComponent("photos"), out = dir.appendingPathComponent("top")
    try Self.makePhotos(in: photosDir)
    let pipeline = try Self.sobelPipeline(in: dir)
    let r = try runConvolve(["model", "top-patches", "--pipeline", pipeline.path, photosDir.path, out.path, "--layer", "relu", "--k", "2"])
    #expect(r.status == 0, "\(r.stderr)")
    let first = try Self.entries(out)[0].map { $0["photo"] as? String }
    #expect(first.count == 2 && first[0] == "b.png", "\(first)")
  }

  /// Issue 24, item 9: a pipeline that pads with zeros sees its strongest "edges" at the photo's border (a
  /// bright photo against the zeros); by default those positions are skipped, so every patch lies inside the
  /// photo and the grids show the real edge; --no-exclude-border brings the border patches back.
  @Test func zeroPaddingDoesNotFillTheGrids() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let photosDir = dir.appendingPathComponent("photos")
    try FileManager.default.createDirectory(at: photosDir, withIntermediateDirectories: true)
    for (name, edge) in [("a.png", 20), ("b.png", 30), ("c.png", 40)] {
      var t = Tensor(channels: 3, height: 40, width: 60, repeating: 0.8)
      for c in 0 ..< 3 { for y in 0 ..< 40 { for x in edge ..< 60 { t[c, y, x] = 0.9 } } }
      try saveImage(t, path: photosDir.appendingPathComponent(name).path)
    }
    let pipeline = try Self.sobelPipeline(in: dir)
    func boxes(_ extra: [String], _ name: String) throws -> (RunResult, [[Double]]) {
      let out = dir.appendingPathComponent(name)
      let r = try runConvolve(
        ["model", "top-patches", "--pipeline", pipeline.path, photosDir.path, out.path, "--layer", "relu", "--k", "3"] + extra)
      #expect(r.status == 0, "\(r.stderr)")
      return (r, try Self.entries(out)[0].map { try #require($0["box"] as? [Double]) })
    }
    let (r, inside) = try boxes([], "default")
    #expect(r.stderr.contains("--no-exclude-border"), "\(r.stderr)")
    #expect(inside.count == 3)
    for b in inside { #expect(b[0] >= 0 && b[1] >= 0 && b[2] <= 40 && b[3] <= 60, "\(b)") }
    // The interior edges, at columns 20, 30 and 40: each field is 3 wide around one of them.
    #expect(Set(inside.map { Int(($0[1] + $0[3]) / 2) }).isSubset(of: [19, 20, 21, 29, 30, 31, 39, 40, 41]), "\(inside)")
    let (_, border) = try boxes(["--no-exclude-border"], "all")
    #expect(border.contains { $0[0] < 0 || $0[1] < 0 || $0[2] > 40 || $0[3] > 60 }, "\(border)")
  }

  static let detector = sharedFolder.appendingPathComponent("models/ppocr/ch_PP-OCRv4_det_infer.onnx").path

  /// The PP-OCRv4 detector's backbone at p2o.Conv.12 sees 59x59 pixels 16 apart, in `model info` and in the
  /// partial file; its grids are drawn from the sample photos.
  @Test(
    .enabled(
      if: FileManager.default.fileExists(atPath: detector), "the PP-OCR detector is not in ../shared/models/ppocr (see its README)"))
  func theDetectorsBackbone() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let info = try runConvolve(["model", "info", Self.detector, "--size", "640x640"])
    let row = info.stdout.split(separator: "\n").first { $0.contains(" p2o.Conv.12 ") }.map { $0.split(separator: " ") }
    #expect(row?[3] == "1x192x40x40" && row?[6] == "59" && row?[7] == "16", "\(row ?? [])")
    let r = try runConvolve([
      "model", "top-patches", Self.detector, packageRoot.appendingPathComponent("SampleImages").path, dir.path,
      "--layer", "p2o.Conv.12", "--bgr", "--mean", "0.5", "--std", "0.5", "--channels", "2,6", "--per-photo", "3",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let data = try Data(contentsOf: dir.appendingPathComponent("top-k.json"))
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let field = try #require(object["field"] as? [String: [Double]])
    #expect(field["size"] == [59, 59] && field["jump"] == [16, 16])
    #expect((object["photos"] as? [String])?.count == 4)
    let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    #expect(files == ["channel-002.png", "channel-006.png", "index.html", "top-k.json"])
  }

  @Test func badArgumentsExitWithTheRightStatus() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let photosDir = dir.appendingPathComponent("photos"), out = dir.appendingPathComponent("top").path
    try Self.makePhotos(in: photosDir, only: ["a.png"])
    func run(_ extra: [String], photos: String? = nil) throws -> RunResult {
      try runConvolve(["model", "top-patches", Self.model, photos ?? photosDir.path, out] + extra)
    }
    let layer = try run(["--layer", "edges_rel"])
    #expect(layer.status == 64 && layer.stderr.contains("did you mean 'edges_relu'?"), "\(layer.stderr)")
    let syntax = try run(["--layer", "pool", "--channels", "3-1"])
    #expect(syntax.status == 64 && syntax.stderr.contains("--channels 3-1"), "\(syntax.stderr)")
    let past = try run(["--layer", "pool", "--channels", "0-7"])
    #expect(past.status == 64 && past.stderr.contains("the layer has 4 channels"), "\(past.stderr)")
    let k = try run(["--layer", "pool", "--k", "0"])
    #expect(k.status == 64, "\(k.stderr)")
    let missing = try run(["--layer", "pool"], photos: dir.appendingPathComponent("nowhere").path)
    #expect(missing.status == 1 && missing.stderr.contains("nowhere") && missing.stderr.split(separator: "\n").count == 1, "\(missing.stderr)")
    let pipelineWithModel = try runConvolve(["model", "top-patches", "--pipeline", "x.json", Self.model, photosDir.path, out, "--layer", "a"])
    #expect(pipelineWithModel.status == 64, "\(pipelineWithModel.stderr)")
    let noPartials = try runConvolve(["model", "merge-top", out])
    #expect(noPartials.status == 64, "\(noPartials.stderr)")
    let notPartial = try runConvolve(["model", "merge-top", out, photosDir.appendingPathComponent("a.png").path])
    #expect(notPartial.status == 1 && notPartial.stderr.contains("a.png"), "\(notPartial.stderr)")
  }
}
