import ConvolveONNX
@testable import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

/// ROAD against pytorch-grad-cam's `metrics/road.py` (`Tests/Fixtures/make_road_fixtures.py`, its imputer's noise
/// replaced by the same seeded values `convolve` draws).
@Suite struct CamRoadTests {
  struct Scores: Decodable {
    var mostRelevantFirst: [Double]
    var leastRelevantFirst: [Double]
    var combined: Double
  }

  /// One imputation of a 3x20x24 image with a third of its pixels (and a corner block) removed, against
  /// `NoisyLinearImputer` (SciPy's sparse direct solver).
  @Test func imputationMatchesNoisyLinearImputer() throws {
    let image = try NPYArray.read(path: fixtureURL("cam/road_image.npy").path)
    let keep = try NPYArray.read(path: fixtureURL("cam/road_keep.npy").path)
    let want = try NPYArray.read(path: fixtureURL("cam/road_imputed.npy").path)
    let got = ROAD.impute(image.data, channels: 3, height: 20, width: 24, kept: keep.data.map { $0 > 0.5 }, seed: 0)
    let error = zip(got, want.data).map { abs($0 - $1) }.max()!
    print("ROAD imputation: largest difference \(error)")
    #expect(error < 1e-5)
    // Kept pixels are untouched; removed ones moved.
    #expect(zip(zip(got, image.data), keep.data + keep.data + keep.data).allSatisfy { $1 < 0.5 || $0.0 == $0.1 })
    #expect(zip(got, image.data).filter { $0 != $1 }.count > 3 * 100)
  }

  /// NumPy's percentile rule: at p the pixels at or above the interpolated value are removed.
  @Test func percentileMasks() {
    let values: [Float] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]
    #expect(ROAD.kept(values, percentile: 80) == values.map { $0 < 0.8 - 1e-6 })
    #expect(ROAD.kept(values, percentile: 25) == values.map { $0 <= 0.2 })
    #expect(ROAD.kept([Float](repeating: 0, count: 5), percentile: 50) == [false, false, false, false, false])
    #expect(ROAD.masks(values).count == 18)
  }

  /// MoRF, LeRF and the combined score of Grad-CAM's and Score-CAM's maps on the tiny CNN (the logit as it is).
  @Test func roadMatchesPytorchGradCAM() throws {
    let want = try loadFixture("cam/road.json", as: [String: Scores].self)
    let graph = try ONNXModel.load(path: fixtureURL("cam/tiny_cnn.onnx").path)
    let (input, _) = try modelInput(npy: fixtureURL("cam/input.npy").path)
    var options = CamOptions()
    (options.methods, options.layer, options.metrics, options.metricSteps, options.seed) = ([.gradcam, .scorecam], "/relu2/Relu", true, 4, 0)
    let job = try CamJob(model: "tiny_cnn.onnx", graph: graph, options: options)
    let result = try job.compute(input: input)
    for (map, m) in zip(result.maps, try job.metrics(result, input: input)) {
      let reference = try #require(want[m.method.rawValue])
      let scaled = job.scaledMap(map.map).data
      var batchSize = 8
      let changes = try job.roadChanges(
        input: input, map: scaled, classIndex: result.classes[0], original: result.scores[result.classes[0]], batchSize: &batchSize
      ) { batch in
        let out = try BatchRun(graph: job.freeBatch(graph), input: "x", output: result.output)(["x": batch]).floats
        return (0 ..< batch.shape[0]).map { Array(out[($0 * 4) ..< (($0 + 1) * 4)]) }
      }
      let expected = reference.mostRelevantFirst + reference.leastRelevantFirst
      let error = zip(changes, expected).map { abs($0 - $1) }.max()!
      print("ROAD \(m.method.rawValue): combined \(m.roadCombined) (pytorch-grad-cam \(reference.combined)), largest step difference \(error)")
      #expect(error < 2e-6, "\(m.method.rawValue): \(changes) against \(expected)")
      #expect(abs(m.roadCombined - reference.combined) < 1e-6)
      let morf = reference.mostRelevantFirst.reduce(0, +) / 9
      #expect(abs(m.roadMostRelevantFirst - morf) < 1e-6)
    }
  }
}
