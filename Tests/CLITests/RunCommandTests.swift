import ConvolveTestSupport
import ConvolveFormats
import Foundation
import Testing

/// Whether a Chromium to render the report with is on PATH.
/// Set by `.ci/run`: the browser check must run.
private let chromiumRequired = ProcessInfo.processInfo.environment["CONVOLVE_REQUIRE_CHROMIUM"] == "1"

private let chromiumOnPath: Bool = {
  let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
  return path.split(separator: ":").contains { dir in
    ["chromium", "chromium-browser", "google-chrome"].contains {
      FileManager.default.isExecutableFile(atPath: "\(dir)/\($0)")
    }
  }
}()

/// `convolve run --report`: the page, the files it points at, and the page in a real browser.
@Suite struct RunReportCLITests {
  let astronaut = packageRoot.appendingPathComponent("SampleImages/astronaut.png").path
  let edges = packageRoot.appendingPathComponent("Filters/pipelines/edges.json").path

  /// `edges.json` on the astronaut pooled to 128x128; returns the output folder and the page.
  func edgesReport() throws -> (URL, String, RunResult) {
    let dir = try temporaryDirectory()
    let small = dir.appendingPathComponent("small.png").path
    let pooled = try runConvolve(["pool", astronaut, small, "--kind", "avg", "--size", "4"])
    #expect(pooled.status == 0, "\(pooled.stderr)")
    let out = dir.appendingPathComponent("out")
    let r = try runConvolve(["run", edges, small, out.path, "--report", "--colormap", "viridis"])
    #expect(r.status == 0, "\(r.stderr)")
    let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
    return (out, html, r)
  }

  /// The `src` of every `<img>` (the report writes no character references into file names it made).
  func imageSources(_ html: String) -> [String] {
    html.components(separatedBy: "<img src=\"").dropFirst().compactMap { $0.split(separator: "\"").first.map(String.init) }
  }

  @Test func reportShowsEveryStageWithItsShapeTimeAndPicture() throws {
    let (out, html, r) = try edgesReport()
    #expect(r.stdout.contains("report: \(out.path)/report.html"))
    // One line per saved stage: "name: CxHxW -> files".
    let lines = r.stdout.split(separator: "\n").filter { $0.contains(" -> ") }
    #expect(lines.count == 6)
    for line in lines {
      let name = line.prefix { $0 != ":" }
      let shape = line.dropFirst(name.count + 2).prefix { $0 != " " }
      #expect(html.contains(">\(name)<"), "stage \(name)")
      #expect(html.contains("<td>\(shape)</td>"), "shape \(shape) of \(name)")
    }
    #expect(html.contains("conv 10 filters 9x9x3, stride 1, padding same, bias"))
    #expect(html.contains("pool max 2x2 stride 2"))
    #expect(html.contains("activation relu"))
    #expect(html.contains("upsample x2 bilinear"))
    #expect(html.components(separatedBy: "<details>").count == 7)
    #expect(html.components(separatedBy: " ms</td>").count == 7)
    let sources = imageSources(html)
    #expect(sources.first == "00-input.png")
    #expect(sources.count == 7)
    for src in sources {
      #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(src).path), "missing \(src)")
    }
    let preview = try imageInfo(path: out.appendingPathComponent("00-input.png").path)
    #expect(preview.width == 128 && preview.height == 128 && preview.channels == 3)
    // Self-contained: no script, nothing fetched from a network.
    #expect(!html.lowercased().contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http"))
  }

  @Test func namesAreEscapedAndPicturelessStagesSaySo() throws {
    let dir = try temporaryDirectory()
    let pipeline = dir.appendingPathComponent("odd.json")
    try Data(
      """
      {"name": "<script>alert(1)</script>", "description": "Tom & Jerry's \\"test\\"",
       "stages": [
         {"op": "pool", "name": "shrink", "kind": "max", "size": 4},
         {"op": "conv", "name": "grad", "filters": ["sobel-x", "sobel-y"], "padding": "same"},
         {"op": "activation", "name": "quiet", "function": "relu", "save": false},
         {"op": "global-avg-pool", "name": "gap"}]}
      """.utf8
    ).write(to: pipeline)
    let out = dir.appendingPathComponent("out")
    let r = try runConvolve(["run", pipeline.path, astronaut, out.path, "--report"])
    #expect(r.status == 0, "\(r.stderr)")
    let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
    #expect(!html.contains("<script"))
    #expect(html.contains("<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>"))
    #expect(html.contains("Tom &amp; Jerry&#39;s &quot;test&quot;"))
    #expect(html.contains("3x128x128") && html.contains("2x128x128") && html.contains("2x1x1"))
    #expect(html.contains("conv 2 filters 3x3x3, stride 1, padding same"))
    #expect(html.contains("not saved"))
    #expect(html.contains("04-gap.npy"))
    #expect(imageSources(html) == ["00-input.png", "01-shrink.png", "02-grad.png"])
  }

  /// Runs whenever chromium is on PATH, and always under `.ci/run` (CONVOLVE_REQUIRE_CHROMIUM=1), which installs
  /// it: there a missing chromium fails instead of skipping.
  @Test(.enabled(if: chromiumOnPath || chromiumRequired, "needs chromium on PATH to render the report"))
  func reportRendersInHeadlessChromium() throws {
    #expect(chromiumOnPath, "CONVOLVE_REQUIRE_CHROMIUM is set but no chromium is on PATH (scripts/setup-chromium.sh installs it)")
    let (out, _, _) = try edgesReport()
    let (status, output) = try browserCheck(out.path)
    #expect(status == 0, "\(output)")
    #expect(output.contains("ok: the report rendered"), "\(output)")
  }

  @Test func browserCheckSkipsWithoutChromium() throws {
    let (status, output) = try browserCheck(packageRoot.path, path: "/nonexistent")
    #expect(status == 0 && output.contains("skipped: chromium not installed"), "\(output)")
  }

  /// Runs `scripts/browser-check.sh DIR` (with PATH replaced when given); exit status and both outputs.
  func browserCheck(_ dir: String, path: String? = nil) throws -> (Int32, String) {
    // A folder with a report.html of its own is needed; the package root has none, so give one.
    var target = dir
    if !FileManager.default.fileExists(atPath: dir + "/report.html") {
      let stand = try temporaryDirectory()
      try Data("<html><body><p>x</p></body></html>".utf8).write(to: stand.appendingPathComponent("report.html"))
      target = stand.path
    }
    let result = try runProcess(
      "/bin/bash", [packageRoot.appendingPathComponent("scripts/browser-check.sh").path, target],
      extraEnvironment: path.map { ["PATH": $0] } ?? [:], mergeOutput: true)
    return (result.status, result.stdout)
  }
}
