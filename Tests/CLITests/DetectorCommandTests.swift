import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

/// `convolve model run` on a detector with its post-processing in the graph, as a user types it.
@Suite struct DetectorCommandTests {
  /// The narrow SSDlite fixture on a photo: detections drawn and listed with class names; `--boxes` naming a
  /// missing output is a usage error naming the outputs.
  @Test func detectionsAreDrawnOnThePhoto() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let labels = dir.appendingPathComponent("labels.txt")
    try "background\ncircle\nsquare\n".write(to: labels, atomically: true, encoding: .utf8)
    let model = fixtureURL("detectors/ssdlite_narrow_opset17.onnx").path
    let photo = fixtureURL("../../SampleImages/chelsea.jpg").standardized.path
    let out = dir.appendingPathComponent("out")
    let r = try runConvolve(["model", "run", model, photo, out.path, "--labels", labels.path, "--threshold", "0.2", "--size", "72x96"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("detections: "), "\(r.stdout)")
    #expect(r.stdout.contains("detections -> detections.txt, detections.png"), "\(r.stdout)")
    let drawn = try loadImage(path: out.appendingPathComponent("detections.png").path)
    let original = try loadImage(path: photo)
    #expect(drawn.tensor.width == original.tensor.width && drawn.tensor.height == original.tensor.height)
    let missing = try runConvolve(["model", "run", model, photo, dir.appendingPathComponent("o2").path, "--boxes", "nothing"])
    #expect(missing.status != 0 && missing.stderr.contains("--boxes nothing: the model has no such output (its outputs: boxes, scores, labels)"), "\(missing.stderr)")
  }
}
