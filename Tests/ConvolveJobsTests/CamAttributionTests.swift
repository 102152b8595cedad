import ConvolveONNX
@testable import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

/// Occlusion, integrated gradients and SmoothGrad against captum's (`Tests/Fixtures/make_attribution_fixtures.py`)
/// on the tiny CNN of the CAM fixtures, and their parts against definitions.
@Suite struct CamAttributionTests {
  struct Tiny {
    let graph: Graph
    let input: GraphTensor
    let job: CamJob

    init(_ configure: (inout CamOptions) -> Void = { _ in }) throws {
      graph = try ONNXModel.load(path: fixtureURL("cam/tiny_cnn.onnx").path)
      (input, _) = try modelInput(npy: fixtureURL("cam/input.npy").path)
      var options = CamOptions()
      configure(&options)
      job = try CamJob(model: "tiny_cnn.onnx", graph: graph, options: options)
    }

    func gradients() throws -> InputGradients {
      InputGradients(
        batchGraph: job.freeBatch(graph), graph: graph, input: try job.inputName, output: "logits",
        target: try CAMTarget(output: GraphTensor(shape: [1, 4], floats: [0, 0, 0, 0]), region: nil, inputHeight: 12, inputWidth: 12))
    }

    func reference(_ name: String) throws -> [Float] { try NPYArray.read(path: fixtureURL("cam/\(name).npy").path).data }
  }

  static let topClass = 1

  @Test(arguments: [1, 8]) func integratedGradientsMatchCaptum(batchSize: Int) throws {
    let tiny = try Tiny()
    let run = try tiny.gradients()
    let got = try ClassActivationMaps.integratedGradients(input: tiny.input, steps: 50, batchSize: batchSize) {
      try run($0, classIndex: Self.topClass)
    }
    let want = try tiny.reference("integrated_gradients")
    let error = relativeError(got.floats, want.map(Double.init))
    print("captum integrated gradients (batch \(batchSize)): error \(error) of the largest |attribution| \(want.map(abs).max()!)")
    #expect(error < 1e-4)
  }

  @Test func occlusionMatchesCaptum() throws {
    let tiny = try Tiny()
    let run = BatchRun(graph: tiny.job.freeBatch(tiny.graph), input: "x", output: "logits")
    let scores = try run(["x": tiny.input]).floats
    let got = try ClassActivationMaps.occlusion(
      input: tiny.input, window: 5, stride: 3, original: scores, classes: [Self.topClass], batchSize: 16
    ) { try run(["x": $0]) }
    // captum's attribution is the same in every channel (the window spans them).
    let want = Array(try tiny.reference("occlusion").prefix(144))
    let error = relativeError(got[0], want.map(Double.init))
    print("captum occlusion: error \(error) of the largest |attribution| \(want.map(abs).max()!)")
    #expect(error < 1e-4)
  }

  @Test func smoothGradMatchesTheSeededReference() throws {
    let tiny = try Tiny()
    let run = try tiny.gradients()
    let x = tiny.input.floats
    let sigma = 0.15 * Double(x.max()! - x.min()!)
    let got = try ClassActivationMaps.smoothGrad(input: tiny.input, samples: 10, sigma: sigma, seed: 7, batchSize: 4) {
      try run($0, classIndex: Self.topClass)
    }
    let want = try tiny.reference("smoothgrad")
    let error = relativeError(got.floats, want.map(Double.init))
    print("smoothgrad against PyTorch autograd on the same noise: error \(error) of the largest \(want.max()!)")
    #expect(error < 1e-4)
    // Other noise gives other gradients: the comparison above can fail.
    let other = try ClassActivationMaps.smoothGrad(input: tiny.input, samples: 10, sigma: sigma, seed: 8, batchSize: 4) {
      try run($0, classIndex: Self.topClass)
    }
    #expect(relativeError(other.floats, want.map(Double.init)) > 1e-2)
  }

  /// The maps `compute` gives: ReLU of the channel sum (integrated gradients), the positive part of the
  /// occlusion drop, the channel maximum (SmoothGrad), from captum's attributions.
  @Test func camJobMapsFromCaptumsAttributions() throws {
    let tiny = try Tiny {
      $0.methods = [.occlusion, .integratedGradients, .smoothgrad]
      ($0.window, $0.stride, $0.samples, $0.noise, $0.seed) = (5, 3, 10, 0.15, 7)
    }
    let result = try tiny.job.compute(input: tiny.input)
    #expect(result.classes == [Self.topClass])
    let ig = try tiny.reference("integrated_gradients"), occ = try tiny.reference("occlusion")
    let smooth = try tiny.reference("smoothgrad")
    let n = 144
    let want: [CAMMethod: [Double]] = [
      .integratedGradients: (0 ..< n).map { p in max(0, (0 ..< 3).reduce(0.0) { $0 + Double(ig[$1 * n + p]) }) },
      .occlusion: (0 ..< n).map { max(0, Double(occ[$0])) },
      .smoothgrad: (0 ..< n).map { p in (0 ..< 3).map { Double(smooth[$0 * n + p]) }.max()! },
    ]
    #expect(result.maps.map(\.method) == [.occlusion, .integratedGradients, .smoothgrad])
    for (method, _, map) in result.maps {
      #expect(map.height == 12 && map.width == 12)
      let reference = try #require(want[method])
      #expect(reference.max()! > 0, "\(method.rawValue): the reference map is all zero")
      #expect(relativeError(map.values, reference) < 1e-4, "\(method.rawValue)")
    }
    #expect(result.notes.count == 1 && result.notes[0].contains("integrated-gradients"), "\(result.notes)")
  }

  @Test func smoothGradWithoutNoiseIsSaliency() throws {
    let tiny = try Tiny {
      $0.methods = [.saliency, .smoothgrad]
      ($0.samples, $0.noise) = (3, 0)
    }
    let maps = try tiny.job.compute(input: tiny.input).maps
    #expect(maps.count == 2)
    #expect(relativeError(maps[1].map.values, maps[0].map.values.map(Double.init)) < 1e-6)
    #expect(maps[0].map.values.max()! > 0)
  }

  @Test func gaussLegendreIntegratesPolynomialsExactly() {
    let (a3, w3) = ClassActivationMaps.gaussLegendre(3)
    let r = (0.6).squareRoot()
    for (got, want) in zip(a3, [(1 - r) / 2, 0.5, (1 + r) / 2]) { #expect(abs(got - want) < 1e-14) }
    for (got, want) in zip(w3, [5.0 / 18, 8.0 / 18, 5.0 / 18]) { #expect(abs(got - want) < 1e-14) }
    let (a, w) = ClassActivationMaps.gaussLegendre(50)
    #expect(a == a.sorted() && a.first! > 0 && a.last! < 1)
    for k in [0, 1, 7, 50, 99] {
      let integral = zip(a, w).reduce(0.0) { $0 + $1.1 * pow($1.0, Double(k)) }
      #expect(abs(integral - 1 / Double(k + 1)) < 1e-13, "x^\(k)")
    }
    #expect(ClassActivationMaps.gaussLegendre(1).alphas == [0.5] && ClassActivationMaps.gaussLegendre(1).weights == [1])
  }

  @Test func windowStartsFollowCaptum() {
    #expect(ClassActivationMaps.windowStarts(length: 12, window: 5, stride: 3) == [0, 3, 6, 9])
    #expect(ClassActivationMaps.windowStarts(length: 12, window: 4, stride: 4) == [0, 4, 8])
    #expect(ClassActivationMaps.windowStarts(length: 224, window: 32, stride: 16).count == 13)
    #expect(ClassActivationMaps.windowStarts(length: 5, window: 5, stride: 2) == [0])
    #expect(ClassActivationMaps.windowStarts(length: 4, window: 5, stride: 2).isEmpty)
    #expect(ClassActivationMaps.windowStarts(length: 300, window: 224, stride: Int.max) == [0, Int.max])
  }

  @Test func strideBeyondTheWindowIsRefused() throws {
    let tiny = try Tiny()
    #expect(throws: ConvolveError.self) {
      _ = try ClassActivationMaps.occlusion(input: tiny.input, window: 3, stride: 4, original: [0, 0, 0, 0], classes: [0]) { $0 }
    }
  }

  @Test func noiseIsStandardNormalAndSeeded() {
    var noise = CAMNoise(seed: 42)
    let values = (0 ..< 200_000).map { _ in noise.gaussian() }
    let mean = values.reduce(0, +) / Double(values.count)
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
    #expect(abs(mean) < 0.01 && abs(variance - 1) < 0.01, "mean \(mean), variance \(variance)")
    let beyond = Double(values.filter { abs($0) > 1.96 }.count) / Double(values.count)
    #expect(abs(beyond - 0.05) < 0.003, "\(beyond)")
    var again = CAMNoise(seed: 42), other = CAMNoise(seed: 43)
    #expect((0 ..< 10).map { _ in again.gaussian() } == Array(values.prefix(10)))
    #expect((0 ..< 10).map { _ in other.gaussian() } != Array(values.prefix(10)))
  }
}
