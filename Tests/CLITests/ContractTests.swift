import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

/// Issue 14, item 6: every command's help and error statuses follow one contract.
@Suite struct HelpContractTests {
  /// Every command with its path (`["model", "run"]`) and its entry in the parser's JSON description.
  static func commands() throws -> [(path: [String], json: [String: Any])] {
    let r = try runConvolve(["--experimental-dump-help"])
    let root = try #require(
      (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["command"] as? [String: Any])
    var found: [([String], [String: Any])] = []
    func walk(_ command: [String: Any], _ path: [String]) {
      found.append((path, command))
      for sub in command["subcommands"] as? [[String: Any]] ?? [] {
        walk(sub, path + [sub["commandName"] as? String ?? "?"])
      }
    }
    walk(root, [])
    return found
  }

  @Test func everyHelpIsReadableAt80Columns() throws {
    let commands = try Self.commands()
    #expect(commands.count >= 14)  // convolve, 11 commands, model info, model run
    for (path, json) in commands {
      let name = (["convolve"] + path).joined(separator: " ")
      let r = try runConvolve(path + ["--help"])
      #expect(r.status == 0, "\(name) --help: \(r.stderr)")
      let help = r.stdout
      // No internal type names or Swift descriptions of values.
      for leak in ["ConvolveCore.", "ConvolveCNN.", "ConvolveRender.", "ConvolveFormats.", "explicit(", "Optional(", "(top:"] {
        #expect(!help.contains(leak), "\(name) --help shows \(leak)")
      }
      for line in help.split(separator: "\n") {
        #expect(line.count <= 80, "\(name) --help has a line of \(line.count) columns: \(line)")
      }
      // Preformatted lines (examples, tables) fit, so the parser never wraps one mid-command (it wraps
      // lines of 80 or more).
      let discussion = json["discussion"] as? String ?? ""
      for line in discussion.split(separator: "\n") where line.hasPrefix(" ") {
        #expect(line.count < 80, "\(name): an indented help line of \(line.count) columns is wrapped: \(line)")
      }
      // Every example is one command, or continues with a trailing backslash onto indented lines.
      if let examples = help.range(of: "Example") {
        let block = help[examples.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
          .dropFirst().prefix { !$0.isEmpty }
        var continues = false
        for line in block {
          let starts = line.hasPrefix("  ") && !line.hasPrefix("   ")
          #expect(
            continues ? line.hasPrefix("      ") : starts,
            "\(name): example line '\(line)' does not start a command or continue one")
          continues = line.hasSuffix("\\")
        }
        #expect(!continues, "\(name): the last example ends with a backslash")
      }
      // A default for every option that takes a value: the parser's, or one the help names.
      for argument in json["arguments"] as? [[String: Any]] ?? [] where argument["kind"] as? String == "option" {
        guard argument["shouldDisplay"] as? Bool ?? true else { continue }
        let option = ((argument["names"] as? [[String: Any]])?.last?["name"] as? String) ?? "?"
        let text = (argument["abstract"] as? String ?? "") + (argument["discussion"] as? String ?? "")
        #expect(
          argument["defaultValue"] != nil || text.contains("default"), "\(name) --\(option) names no default")
      }
    }
  }

  @Test func valuesHaveOneSpellingAndNoOptionIsAlwaysRefused() throws {
    let commands = try Self.commands()
    func option(_ path: [String], _ name: String) -> [String: Any]? {
      let arguments = commands.first { $0.path == path }?.json["arguments"] as? [[String: Any]] ?? []
      return arguments.first { ($0["names"] as? [[String: Any]])?.contains { $0["name"] as? String == name } == true }
    }
    // pool --kind shows avg (as --pool avg:2 and pipeline files write it) and takes average too.
    let kind = try #require(option(["pool"], "kind"))
    #expect(kind["allValues"] as? [String] == ["max", "avg", "min"])
    #expect(!(try runConvolve(["pool", "--help"])).stdout.contains("average"))
    let method = try #require(option(["upsample"], "method"))
    #expect(method["allValues"] as? [String] == ["nearest", "nearest-exact", "bilinear"])
    // batch never replaces an input, so it offers no --in-place; the one-file commands do.
    #expect(option(["batch"], "in-place") == nil)
    for path in [["filter"], ["pool"], ["upsample"]] { #expect(option(path, "in-place") != nil, "\(path)") }
    #expect(try runConvolve(["batch", "a", "b", "--filter", "box3", "--in-place"]).status == 64)

    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let photo = dir.appendingPathComponent("p.png").path
    try saveImage(Tensor(rows: [[0, 40, 80, 120], [200, 240, 20, 60]].map { $0.map { Float($0) / 255 } }), path: photo)
    let spelled = ["avg", "average", "mean"].map { dir.appendingPathComponent("\($0).png").path }
    for (spelling, out) in zip(["avg", "average", "mean"], spelled) {
      let r = try runConvolve(["pool", photo, out, "--kind", spelling, "--size", "2"])
      #expect(r.status == 0, "\(r.stderr)")
    }
    // (0 + 40 + 200 + 240) / 4 = 120 and (80 + 120 + 20 + 60) / 4 = 70.
    let a = try loadImage(path: spelled[0]).tensor, b = try loadImage(path: spelled[1]).tensor
    #expect(try loadImage(path: spelled[2]).tensor == a)
    #expect(a == b && a.data.map { ($0 * 255).rounded() } == [120, 70])
  }
}

/// A usage or value error exits with 64 and prints its command's usage line; a file or data error exits
/// with 1 in one line naming the file.
@Suite struct ExitStatusContractTests {
  struct Case: CustomStringConvertible, Sendable {
    var arguments: [String]
    var status: Int32
    /// Text the error must contain.
    var says: String
    var description: String { arguments.joined(separator: " ") }
  }

  static let photo = packageRoot.appendingPathComponent("SampleImages/camera.png").path
  static let missing = "/nonexistent/photo.png"
  static let out = NSTemporaryDirectory() + "convolve-contract-\(getpid())"
  static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures").path
  static let notAPipeline = packageRoot.appendingPathComponent("README.md").path

  static let cases: [Case] = [
    // filter
    Case(arguments: ["filter", photo, out + ".png", "--filter", "sobelx"], status: 64, says: "did you mean 'sobel-x'?"),
    Case(arguments: ["filter", photo, out + ".png", "--filter", "box3", "--depth", "12"], status: 64, says: "--depth is 12"),
    Case(arguments: ["filter", photo, out + ".jpg", "--filter", "box3", "--depth", "16"], status: 64, says: "--depth 16: JPEG is written at 8 bits; write .png or .tif"),
    Case(arguments: ["filter", photo, out + ".png", "--filter", "box3", "--depth", "32"], status: 64, says: "write .tif for 32 bits"),
    Case(arguments: ["filter", photo, out + ".png", "--kernel", "1,2;3,x"], status: 64, says: "is not a number"),
    Case(arguments: ["filter", photo, out + ".png", "--filter", "gaussian", "--sigma", "-1"], status: 64, says: "sigma"),
    Case(arguments: ["filter", photo, out + ".bmp", "--filter", "box3"], status: 64, says: ".bmp"),
    Case(arguments: ["filter", "--input", "1,2;3,4", "--kernel", "1", "--print", "--linear"], status: 64, says: "--linear"),
    Case(arguments: ["filter", missing, out + ".png", "--filter", "box3"], status: 1, says: missing),
    Case(arguments: ["filter", photo, "/nonexistent/out.png", "--filter", "box3"], status: 1, says: "/nonexistent"),
    // filters, info
    Case(arguments: ["filters", "gausian"], status: 64, says: "did you mean 'gaussian'?"),
    Case(arguments: ["info", missing], status: 1, says: missing),
    Case(arguments: ["info"], status: 64, says: "--cpu"),
    // layer
    Case(arguments: ["layer", photo, out, "--filters", "sobel-x", "--activation", "gelu"], status: 64, says: "gelu"),
    Case(arguments: ["layer", photo, out, "--filters", "sobel-x", "--pool", "median:2"], status: 64, says: "median"),
    Case(arguments: ["layer", photo, out, "--filters", "sobel"], status: 64, says: "sobel-x"),
    Case(arguments: ["layer", photo, out, "--weights", fixtures + "/missing.npy"], status: 1, says: "missing.npy"),
    Case(arguments: ["layer", photo, out, "--weights", fixtures + "/f4_2x3.npy"], status: 1, says: "f4_2x3.npy: "),
    // run
    Case(arguments: ["run", fixtures + "/none.json", photo, out], status: 1, says: "none.json"),
    Case(arguments: ["run", notAPipeline, photo, out], status: 1, says: "README.md"),
    Case(arguments: ["run", notAPipeline, photo, out, "--clip-percentile", "60"], status: 64, says: "--clip-percentile"),
    Case(arguments: ["run", notAPipeline, photo, out, "--colormap", "rainbow"], status: 64, says: "rainbow"),
    // model
    Case(arguments: ["model", "info", photo], status: 1, says: photo),
    Case(arguments: ["model", "run", photo, photo, out, "--size", "0x5"], status: 64, says: "--size 0x5"),
    Case(arguments: ["model", "rn"], status: 64, says: "did you mean 'run'?"),
    // A misspelled option is named before any check of the options given, with the closest; one dash before a
    // long name gets the two dashes; ImageMagick's operators get the filter to use.
    Case(arguments: ["filter", photo, out + ".png", "--filtr", "gaussian"], status: 64, says: "unknown option '--filtr'; did you mean '--filter'?"),
    Case(arguments: ["filter", photo, out + ".png", "-filter", "gaussian"], status: 64, says: "'-filter' has one dash; write '--filter'"),
    Case(arguments: ["filter", photo, out + ".png", "-gaussian-blur", "0x2"], status: 64, says: "--filter gaussian --sigma S"),
    Case(arguments: ["model", "run", photo, photo, out, "--sise", "2x2"], status: 64, says: "did you mean '--size'?"),
    // pool, upsample
    Case(arguments: ["pool", photo, out + ".png", "--kind", "median"], status: 64, says: "median"),
    Case(arguments: ["pool", photo, out + ".png", "--size", "0"], status: 64, says: "0"),
    Case(arguments: ["pool", missing, out + ".png"], status: 1, says: missing),
    Case(arguments: ["upsample", photo, out + ".png", "--scale", "0"], status: 64, says: "scale"),
    Case(arguments: ["upsample", photo, out + ".png", "--method", "bicubic"], status: 64, says: "bicubic"),
    // explain, shape
    Case(arguments: ["explain", "--input", "1,2;3", "--kernel", "1"], status: 64, says: "row"),
    Case(arguments: ["explain"], status: 64, says: "--rgb-example"),
    Case(arguments: ["explain", "--input", "/nonexistent/m.txt", "--kernel", "1"], status: 1, says: "m.txt"),
    Case(arguments: ["shape", "abc"], status: 64, says: "abc"),
    // batch
    Case(arguments: ["batch", fixtures, out, "--filter", "sobelx"], status: 64, says: "did you mean 'sobel-x'?"),
    Case(arguments: ["batch", fixtures, out, "--filter", "box3", "--jobs", "0"], status: 64, says: "--jobs"),
    Case(arguments: ["batch", fixtures, out, "--pipeline", fixtures + "/none.json"], status: 1, says: "none.json"),
    Case(arguments: ["batch", fixtures, out, "--pipeline", fixtures + "/none.json", "--linear"], status: 64, says: "--linear"),
    // the command itself
    Case(arguments: ["fitler", photo], status: 64, says: "did you mean 'filter'?"),
  ]

  @Test(arguments: cases)
  func statusAndMessage(_ c: Case) throws {
    let r = try runConvolve(c.arguments)
    #expect(r.status == c.status, "\(c): \(r.stderr)")
    #expect(r.stderr.hasPrefix("Error: ") && r.stderr.contains(c.says), "\(c): \(r.stderr)")
    let lines = r.stderr.split(separator: "\n")
    if c.status == 64 {
      // The usage line of the command that failed; of its parent for a mistyped command.
      let usage: String
      switch c.arguments[0] {
      case "fitler": usage = "Usage: convolve <subcommand>"
      case "model": usage = c.arguments[1] == "rn" ? "Usage: convolve model <subcommand>" : "Usage: convolve model \(c.arguments[1]) "
      default: usage = "Usage: convolve \(c.arguments[0]) "
      }
      #expect(lines.contains { $0.hasPrefix(usage) }, "\(c): no '\(usage)' in \(r.stderr)")
    } else {
      #expect(lines.count == 1, "\(c): \(r.stderr)")
    }
    #expect(!FileManager.default.fileExists(atPath: Self.out) && !FileManager.default.fileExists(atPath: Self.out + ".png"))
  }
}

/// Issue 14, items 6 and 7: `--print` summarises a photo; `layer` and `run` leave nothing behind when they fail.
@Suite struct OutputContractTests {
  @Test func printSummarisesAPhotoAndListsASmallMatrix() throws {
    let camera = packageRoot.appendingPathComponent("SampleImages/camera.png").path
    let r = try runConvolve(["filter", camera, "--filter", "identity", "--print"])
    #expect(r.status == 0, "\(r.stderr)")
    let image = try loadImage(path: camera).tensor.data
    let mean = image.reduce(0.0) { $0 + Double($1) } / Double(image.count)
    let expected = String(format: "channel 0: min %.6g, max %.6g, mean %.6g", Double(image.min()!), Double(image.max()!), mean)
    #expect(r.stdout == "1x512x512 (CxHxW) result (larger than 24x24; write a .npy for every value):\n\(expected)\n")
    let small = try runConvolve(["filter", "--input", "1,2;3,4", "--kernel", "1,1", "--mode", "full", "--print"])
    #expect(small.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int($0) } == [1, 3, 2, 3, 7, 4])
  }

  @Test func aFailedLayerOrRunLeavesNoFolder() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let camera = packageRoot.appendingPathComponent("SampleImages/camera.png").path
    // The conv stage is written before the pool stage fails: its window is larger than the maps.
    let out = dir.appendingPathComponent("new/layer").path
    let layer = try runConvolve(["layer", camera, out, "--filters", "sobel-x", "--pool", "max:1000"])
    #expect(layer.status == 64, "\(layer.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    let pipeline = dir.appendingPathComponent("p.json")
    try Data(#"{"stages": [{"op": "conv", "filters": ["sobel-x"]}, {"op": "pool", "size": 1000}]}"#.utf8).write(to: pipeline)
    let run = try runConvolve(["run", pipeline.path, camera, dir.appendingPathComponent("run").path])
    #expect(run.status == 1 && run.stderr.contains("p.json"), "\(run.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["p.json"])
    // And a successful run fills the folder, with the log naming the final paths.
    let good = try runConvolve(["layer", camera, out, "--filters", "sobel-x"])
    #expect(good.status == 0 && good.stdout == "conv: 1x510x510 (CxHxW) -> \(out)/camera-conv.png\n", "\(good.stdout)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: out) == ["camera-conv.png"])
  }
}

/// A file's claims never become allocations: PNGs of 130 bytes whose ancillary chunk declares 1.8 GB (libpng
/// 1.6.39 allocated and zeroed that much for text, sPLT, pCAL and sCAL chunks, found by Fuzz/run.sh png) fail as
/// truncated files with a small peak memory, measured by Python's getrusage of the child.
@Suite struct ClaimedSizeContractTests {
  @Test(arguments: ["sPLT", "tEXt", "zTXt", "iTXt", "pCAL", "sCAL", "eXIf", "iCCP", "abCd"])
  func aHugeChunkLengthIsNotAllocated(chunk: String) throws {
    let dir = try temporaryDirectory()
    let path = dir.appendingPathComponent("huge-\(chunk).png").path
    let ihdr = Array("IHDR".utf8) + bigEndian(8) + bigEndian(6) + [8, 2, 0, 0, 0]
    let bytes = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + bigEndian(13) + ihdr + bigEndian(crc32(ihdr))
      + bigEndian(1_883_789_618) + Array(chunk.utf8) + [UInt8](repeating: 0x78, count: 64)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let python = Process()
    python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    python.arguments = ["python3", "-c", """
      import resource, subprocess, sys
      r = subprocess.run(sys.argv[1:], capture_output=True, text=True)
      print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.stderr.strip())
      """, convolveBinary.path, "info", path]
    let out = Pipe()
    python.standardOutput = out
    try python.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    python.waitUntilExit()
    let fields = text.split(separator: " ", maxSplits: 2)
    #expect(fields.count == 3 && fields[0] == "1", "\(text)")
    #expect((Int(fields.count > 1 ? fields[1] : "") ?? .max) < 150_000, "peak memory (KB) of `convolve info`: \(text)")
    #expect(text.contains(path) && text.contains("truncated"), "\(text)")
  }
}
