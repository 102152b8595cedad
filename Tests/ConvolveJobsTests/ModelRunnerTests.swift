import ConvolveONNX
@testable import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

import ConvolveRender

@Suite struct ModelOutputsTests {
  /// The tiny U-Net fixture: its two-channel output becomes a montage, the chosen layers montages, every
  /// tensor an .npy (the output's equal to onnxruntime's), and the report has a row per node.
  @Test func spatialOutputHeatMapOverlayLayersAndReport() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var options = ModelRunOptions()
    options.layers = ["Conv"]
    options.saveNpy = true
    options.report = true
    let graph = try ONNXModel.load(path: fixtureURL("onnx/net_tiny_unet.onnx").path)
    let runner = try ModelRunner(graph: graph, options: options)
    let input = try NPYArray.read(path: fixtureURL("onnx/net_tiny_unet.input.npy").path)
    let photo = Tensor(channels: 3, height: 40, width: 60, repeating: 0.5)
    var log: [String] = []
    let written = try runner.run(
      input: GraphTensor(shape: input.shape, floats: input.data), photo: photo, inputName: "x.npy",
      directory: dir.path) { log.append($0) }
    let names = Set(written.map(lastComponent))
    let output = try #require(graph.outputs.first?.name)
    let stem = safeFileName(output)
    #expect(names.isSuperset(of: [stem + ".png", stem + ".npy", "report.html", "00-input.png"]))
    #expect(names.contains { $0.hasSuffix(".png") && $0.first!.isNumber && $0 != "00-input.png" }, "a Conv montage: \(names)")
    let saved = try NPYArray.read(path: dir.appendingPathComponent(stem + ".npy").path)
    let reference = try NPYArray.read(path: fixtureURL("onnx/net_tiny_unet.output.npy").path)
    #expect(saved.shape == reference.shape)
    #expect(maxDifference(saved.data, reference.data) <= 1e-4 * max(1, reference.data.map(abs).max() ?? 0))
    let montage = try loadImage(path: dir.appendingPathComponent(stem + ".png").path)
    #expect(montage.tensor.width > 2 * 32)
    let html = try String(contentsOf: dir.appendingPathComponent("report.html"), encoding: .utf8)
    for node in graph.nodes where !node.name.isEmpty { #expect(html.contains(node.name), "\(node.name) in the report") }
    // Titled with the file's name, whatever the graph calls itself (PaddlePaddle's "Model from PaddlePaddle.").
    #expect(html.contains("<h1>net_tiny_unet.onnx</h1>"), "\(html.prefix(1200))")
    #expect(log.contains { $0.hasPrefix(output + ": ") })
  }

  /// A one-channel map (a 1x1 convolution then a sigmoid, built in memory) is written as a heat map and as
  /// an overlay the size of the photo.
  @Test func oneChannelOutputIsAHeatMapAndAnOverlay() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let graph = Graph(
      name: "heat", nodes: [
        Node(name: "conv", opType: "Conv", inputs: ["x", "w"], outputs: ["logits"]),
        Node(name: "prob", opType: "Sigmoid", inputs: ["logits"], outputs: ["probability"]),
      ], initializers: ["w": GraphTensor(shape: [1, 3, 1, 1], floats: [1, -1, 0.5])],
      inputs: [ValueInfo(name: "x", shape: [.fixed(1), .fixed(3), .fixed(8), .fixed(8)])],
      outputs: [ValueInfo(name: "probability", shape: nil)])
    let runner = try ModelRunner(graph: graph, options: ModelRunOptions())
    var rng = SplitMix64(seed: 5)
    let x = GraphTensor(shape: [1, 3, 8, 8], floats: rng.floats(192))
    let photo = Tensor(channels: 3, height: 16, width: 24, repeating: 0.25)
    let written = try runner.run(input: x, photo: photo, inputName: "x", directory: dir.path)
    #expect(written.map(lastComponent) == ["probability.png", "probability-overlay.png"])
    let heat = try loadImage(path: written[0]).tensor
    #expect((heat.channels, heat.height, heat.width) == (1, 8, 8))
    // Probabilities are shown as they are (not stretched): pixel 0 is sigmoid(x0 - x1 + 0.5 x2).
    let p = 1 / (1 + exp(-(x.floats[0] - x.floats[64] + 0.5 * x.floats[128])))
    #expect(abs(heat.data[0] - p) <= 0.5 / 255 + 1e-6)
    let overlay = try loadImage(path: written[1]).tensor
    #expect((overlay.channels, overlay.height, overlay.width) == (3, 16, 24))
  }

  /// The classifier fixture: its probability vector is ranked, with labels.
  @Test func vectorOutputIsARankedList() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var options = ModelRunOptions()
    options.labels = ["cat", "dog", "car", "tree", "sky"]
    options.topK = 3
    let runner = try ModelRunner(graph: try ONNXModel.load(path: fixtureURL("onnx/net_classifier.onnx").path), options: options)
    let input = try NPYArray.read(path: fixtureURL("onnx/net_classifier.input.npy").path)
    let reference = try NPYArray.read(path: fixtureURL("onnx/net_classifier.output.npy").path).data
    var log: [String] = []
    try runner.run(
      input: GraphTensor(shape: input.shape, floats: input.data), photo: nil, inputName: "x", directory: dir.path
    ) { log.append($0) }
    let best = reference.indices.max { reference[$0] < reference[$1] }!
    #expect(log.count == 4)
    #expect(log[1].hasPrefix("  1. \(options.labels![best]) (class \(best)) "), "\(log)")
    let text = try String(contentsOf: dir.appendingPathComponent("probabilities.txt"), encoding: .utf8)
    #expect(text.split(separator: "\n").count == 4)
  }

  @Test func fileNamesAreSafe() {
    #expect(safeFileName("p2o.Conv.0") == "p2o.Conv.0")
    #expect(safeFileName("../a/b c:d") == "_._a_b_c_d")
    #expect(safeFileName("") == "_")
    #expect(safeFileName(String(repeating: "x", count: 300)).count == 100)
  }
}
