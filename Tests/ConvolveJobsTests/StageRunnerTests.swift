@testable import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

import ConvolveRender

@Suite struct StageOutputsTests {
  /// The edges pipeline on the synthetic photo, in-process: one file per saved stage, the report, the overlay,
  /// and montages whose tiles are the stage's maps.
  @Test func writesEverySavedStageTheReportAndTheOverlay() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let pipeline = try ExamplePipelines.load("edges.json")
    var logged: [String] = []
    let written = try runStages(
      pipeline, image: ExamplePipelines.synthetic, input: "synthetic.png", outputDirectory: dir.path,
      maps: FeatureMapWriter(labels: false), overlay: true, report: true,
      prefix: { i, stage in String(format: "%02d-", i + 1) + stage.name }, log: { logged.append($0) })
    let names = written.map { lastComponent($0) }
    let saved = pipeline.stages.enumerated().filter(\.element.save).map { String(format: "%02d-", $0.offset + 1) + $0.element.name + ".png" }
    #expect(Set(saved).isSubset(of: Set(names)), "\(names)")
    #expect(names.contains("report.html") && names.contains("synthetic-overlay.png"))
    for path in written where path.hasSuffix(".png") {
      #expect(FileManager.default.fileExists(atPath: path))
    }
    let overlay = try loadImage(path: dir.path + "/synthetic-overlay.png")
    #expect((overlay.tensor.channels, overlay.tensor.height, overlay.tensor.width) == (3, 32, 32))
    #expect(logged.contains { $0.hasPrefix("report: ") })
    // Issue 24, item 4: the overlay is in the report, and is the photo itself where the map is at its lowest.
    let html = try String(contentsOfFile: dir.path + "/report.html", encoding: .utf8)
    #expect(html.contains("<img src=\"synthetic-overlay.png\""), "\(html)")
    let photo = ExamplePipelines.synthetic
    let grey = photo.channels == 1
    let unchanged = (0 ..< 32 * 32).filter { p in
      (0 ..< 3).allSatisfy { c in abs(overlay.tensor.data[c * 1024 + p] - photo.data[(grey ? 0 : c) * 1024 + p]) <= 1 / 255 }
    }
    #expect(!unchanged.isEmpty, "some pixel of the photo shows as it is")
  }
}
