import ConvolveBatch
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

/// A folder tree with photos (the bytes don't matter to the planner) and a non-image file.
private func makeTree() throws -> URL {
  let root = try temporaryDirectory()
  for path in ["a.png", "b.JPG", "notes.txt", "sub/c.jpeg", "sub/deeper/d.png", ".hidden.png"] {
    let url = root.appendingPathComponent("in/" + path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    _ = FileManager.default.createFile(atPath: url.path, contents: Data([1]))
  }
  return root
}

@Suite struct BatchPlanTests {
  @Test func mirrorsTheTreeWithNamesFromTheTemplate() throws {
    let root = try makeTree()
    defer { try? FileManager.default.removeItem(at: root) }
    var layout = BatchLayout(inputDirectory: root.path + "/in", outputDirectory: root.path + "/out")
    layout.recursive = true
    layout.nameTemplate = "{stem}-{filter}{ext}"
    let plan = try layout.plan(workName: "sobel")
    #expect(plan.items.map(\.relative) == ["a.png", "b.JPG", "sub/c.jpeg", "sub/deeper/d.png"])
    #expect(plan.items.map(\.output) == [
      root.path + "/out/a-sobel.png", root.path + "/out/b-sobel.JPG", root.path + "/out/sub/c-sobel.jpeg",
      root.path + "/out/sub/deeper/d-sobel.png",
    ])
    layout.recursive = false
    layout.outputExtension = ".png"
    layout.exclude = ["a.*"]
    #expect(try layout.plan(workName: "x").items.map(\.output) == [root.path + "/out/b-x.png"])
    layout.outputIsFolder = true
    #expect(try layout.plan(workName: "x").items.map(\.output) == [root.path + "/out/b"])
  }

  @Test func refusesOutputsThatReplaceInputs() throws {
    let root = try makeTree()
    defer { try? FileManager.default.removeItem(at: root) }
    var layout = BatchLayout(inputDirectory: root.path + "/in", outputDirectory: root.path + "/in")
    let error = #expect(throws: BatchUsageError.self) { try layout.plan(workName: "x") }
    #expect(error?.message.contains("would replace the input file") == true)
    layout.outputDirectory = root.path + "/out"
    #expect(throws: BatchUsageError.self) { try layout.plan(workName: "x", report: root.path + "/in/a.png") }
    layout.nameTemplate = "same.png"
    let clash = #expect(throws: BatchUsageError.self) { try layout.plan(workName: "x") }
    #expect(clash?.message.contains("would both be written to") == true)
  }

  @Test func shardsAreDisjointAndCoverEveryFile() throws {
    let root = try makeTree()
    defer { try? FileManager.default.removeItem(at: root) }
    var layout = BatchLayout(inputDirectory: root.path + "/in", outputDirectory: root.path + "/out")
    layout.recursive = true
    let all = try layout.plan(workName: "x").items.map(\.relative)
    for count in [1, 2, 3, 5] {
      var seen: [String] = []
      for index in 0 ..< count {
        layout.shard = try Shard(index: index, count: count)
        let part = try layout.plan(workName: "x")
        #expect(part.shard == "\(index + 1)/\(count)")
        seen += part.items.map(\.relative)
      }
      #expect(seen.sorted() == all.sorted(), "\(count) shards")
    }
    #expect(try Shard(parsing: "2/8") == Shard(index: 1, count: 8))
    #expect(throws: BatchUsageError.self) { try Shard(parsing: "0/8") }
    #expect(throws: BatchUsageError.self) { try Shard(index: 8, count: 8) }
  }

  @Test func skipExistingMarksOnlyOutputsOfTheRightKind() throws {
    let root = try makeTree()
    defer { try? FileManager.default.removeItem(at: root) }
    var layout = BatchLayout(inputDirectory: root.path + "/in", outputDirectory: root.path + "/out")
    layout.skipExisting = true
    try FileManager.default.createDirectory(atPath: root.path + "/out/a.png", withIntermediateDirectories: true)
    _ = FileManager.default.createFile(atPath: root.path + "/out/b.JPG", contents: Data([1]))
    #expect(try layout.plan(workName: "x").items.map(\.skip) == [false, true])
    layout.outputIsFolder = true
    try FileManager.default.createDirectory(atPath: root.path + "/out/a", withIntermediateDirectories: true)
    #expect(try layout.plan(workName: "x").items.map(\.skip) == [true, false])
  }
}

@Suite struct BatchRunnerTests {
  /// Workers take every file once; a failure is reported, the rest done; the report lists each in plan order.
  @Test func runsEveryFileAndReportsFailures() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let items = (0 ..< 9).map {
      BatchItem(relative: "\($0).png", input: "in/\($0).png", output: root.path + "/\($0).txt", skip: $0 == 4)
    }
    let runner = BatchRunner(
      plan: BatchPlan(items: items, shard: "1/1"), jobs: 3, failFast: false, mode: .quiet, started: Date())
    runner.report = root.path + "/report.json"
    runner.process { item in
      if item.relative == "7.png" { throw BatchUsageError("broken on purpose") }
      try AtomicFile.write(Data(item.relative.utf8), to: item.output)
      return [item.output]
    }
    #expect(runner.finish() == 1)
    let report = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("report.json")))
    let json = try #require(report as? [String: Any])
    let files = try #require(json["files"] as? [[String: Any]])
    #expect(files.map { $0["status"] as? String } == ["ok", "ok", "ok", "ok", "skipped", "ok", "ok", "failed", "ok"])
    #expect(files[7]["error"] as? String == "broken on purpose")
    let totals = try #require(json["totals"] as? [String: Any])
    #expect(totals["done"] as? Int == 7 && totals["failed"] as? Int == 1 && totals["skipped"] as? Int == 1)
    #expect(totals["shard"] as? String == "1/1")
    let left = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.contains(".tmp-") }
    #expect(left.isEmpty)
  }
}

@Suite struct AtomicFileTests {
  @Test func failuresLeaveNothingBehind() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let file = root.path + "/out.bin"
    #expect(throws: BatchUsageError.self) {
      try AtomicFile.write(file) { temporary in
        _ = FileManager.default.createFile(atPath: temporary, contents: Data([1, 2]))
        throw BatchUsageError("stop")
      }
    }
    #expect(throws: BatchUsageError.self) {
      _ = try AtomicFile.writeFolder(root.path + "/folder") { temporary in
        _ = FileManager.default.createFile(atPath: temporary + "/a.png", contents: Data([1]))
        throw BatchUsageError("stop")
      }
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty)
    let written = try AtomicFile.writeFolder(root.path + "/folder") { temporary in
      _ = FileManager.default.createFile(atPath: temporary + "/a.png", contents: Data([1]))
      return [temporary + "/a.png"]
    }
    #expect(written == [root.path + "/folder/a.png"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["folder"])
  }
}
