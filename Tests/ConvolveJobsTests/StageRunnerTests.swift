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
  }
}
