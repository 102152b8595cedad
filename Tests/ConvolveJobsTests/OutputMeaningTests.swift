import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveONNX
import ConvolveTestSupport
import Foundation
import Testing

@testable import ConvolveJobs

@Suite struct OutputMeaningTests {
  /// torchvision's three outputs are found by shape and type whatever their names; a 4-class classifier alone is
  /// not a detector; names given by the user win and wrong ones are refused naming the outputs.
  @Test func detectorOutputsAreFoundByShape() throws {
    let boxes = GraphTensor(shape: [3, 4], floats: [Float](repeating: 1, count: 12))
    let scores = GraphTensor(shape: [3], floats: [0.9, 0.5, 0.2])
    let labels = GraphTensor(shape: [3], int64s: [1, 2, 1])
    let found = try DetectorOutputs.find([("3367", boxes), ("3370", scores), ("3369", labels)], boxes: nil, scores: nil)
    #expect(found == DetectorOutputs(boxes: "3367", scores: "3370", labels: "3369"))
    #expect(try DetectorOutputs.find([("logits", GraphTensor(shape: [1, 4], floats: [1, 2, 3, 4]))], boxes: nil, scores: nil) == nil)
    let matrix = GraphTensor(shape: [1, 3, 5], floats: [Float](repeating: 0.2, count: 15))
    let raw = try #require(try DetectorOutputs.find([("loc", GraphTensor(shape: [1, 3, 4], floats: [Float](repeating: 0, count: 12))), ("conf", matrix)], boxes: nil, scores: nil))
    #expect(raw.perClass && raw.classesLast && raw.labels == nil)
    let named = try #require(try DetectorOutputs.find([("a", boxes), ("b", scores)], boxes: "a", scores: "b"))
    #expect(named.boxes == "a" && named.scores == "b")
    let message = thrownMessage { try DetectorOutputs.find([("a", boxes)], boxes: "boxes", scores: nil) as Any }
    #expect(message == "--boxes boxes: the model has no such output (its outputs: a)")
    let shape = thrownMessage { try DetectorOutputs.find([("a", boxes), ("b", labels)], boxes: "a", scores: "b") as Any }
    #expect(shape == "--scores b: the output has shape 3; the 3 boxes need 3 scores or 3 x classes")
  }

  /// Without NMS in the graph: the best class of each box (the softmax of logits), the threshold, then the
  /// weaker of two overlapping boxes of one class dropped; boxes in fractions of the input scaled to pixels.
  @Test func classScoreMatrixIsReducedAndSuppressed() {
    let boxes: [Float] = [0.1, 0.1, 0.5, 0.5, 0.12, 0.1, 0.5, 0.52, 0.6, 0.6, 0.9, 0.9, 0.1, 0.1, 0.5, 0.5]
    // Logits, classes last: box 0 class 1 strong, box 1 class 1 weaker (overlaps 0), box 2 class 2, box 3 class 2.
    let logits: [Float] = [0, 4, 0, 0, 3, 0, 0, 0, 5, 0, 0, 3.5]
    let outputs = ["b": GraphTensor(shape: [4, 4], floats: boxes), "s": GraphTensor(shape: [4, 3], floats: logits)]
    let d = DetectorOutputs(boxes: "b", scores: "s", perClass: true)
    let found = d.detections(outputs, threshold: 0.5, width: 200, height: 100)
    #expect(found.map(\.label) == [2, 1, 2])
    #expect(abs(found[0].x0 - 120) < 1e-4 && abs(found[0].y1 - 90) < 1e-4)
    let p = exp(Float(4)) / (exp(4) + 2)
    #expect(abs(found[1].score - p) < 1e-6)
    #expect(d.detections(outputs, threshold: 0.99, width: 200, height: 100).isEmpty)
  }

  /// A recogniser's `1 × T × C` probabilities decode greedily: repeats merged, blanks dropped, names from a
  /// PaddleOCR-style dictionary (no blank line; the class after the last is a space).
  @Test func ctcGreedyDecoding() throws {
    let best = [1, 1, 0, 1, 2, 2, 0, 3, 4]
    var v: [Float] = []
    for c in best { v += (0 ..< 5).map { $0 == c ? 0.8 : 0.05 } }
    let value = GraphTensor(shape: [1, best.count, 5], floats: v)
    let s = try #require(SequenceOutput(value, ctc: false))
    #expect(s.ctcClasses == [1, 1, 2, 3, 4])
    let lines = s.lines(name: "out", labels: ["a", "b", "c"], ctc: true, top: 2)
    #expect(lines[0] == "out: text \"aabc \" (greedy CTC, blank = class 0)")
    #expect(lines[2] == "  0: a (1) 0.8, blank (0) 0.05")
    #expect(SequenceOutput(GraphTensor(shape: [1, 9, 5], floats: v.map { $0 * 2 }), ctc: false) == nil, "not probabilities")
    #expect(SequenceOutput(GraphTensor(shape: [9, 5], floats: v), ctc: false) == nil)
    #expect(SequenceOutput(GraphTensor(shape: [9, 5], floats: v), ctc: true)?.steps == 9)
  }

  @Test func integerOutputsAreListedByRow() {
    let lines = integerLines(name: "selected", GraphTensor(shape: [2, 3], int64s: [0, 1, 5, 0, 2, 7]))
    #expect(lines == ["selected: int64 2x3", "  0 1 5", "  0 2 7"])
    #expect(integerLines(name: "e", GraphTensor(shape: [0, 3], int64s: [])) == ["e: int64 0x3"])
  }

  /// `--save-npy` writes each output in the type the model declares: float16 as `<f2`, int32 as `<i4`; integer
  /// outputs are listed, not dropped.
  @Test func outputsKeepTheirDeclaredTypes() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let graph = Graph(
      name: "types",
      nodes: [
        Node(name: "half", opType: "Mul", inputs: ["x", "k"], outputs: ["h"]),
        Node(name: "argmax", opType: "ArgMax", inputs: ["x"], outputs: ["i"], attributes: ["axis": .int(1), "keepdims": .int(0)]),
        Node(name: "narrow", opType: "Cast", inputs: ["i"], outputs: ["n"], attributes: ["to": .int(6)]),
      ], initializers: ["k": GraphTensor(scalar: 0.5)],
      inputs: [ValueInfo(name: "x", shape: [.fixed(1), .fixed(3)], dataType: 10)],
      outputs: [ValueInfo(name: "h", shape: nil, dataType: 10), ValueInfo(name: "n", elementType: .int64, shape: nil, dataType: 6)])
    var options = ModelRunOptions()
    options.saveNpy = true
    let runner = try ModelRunner(graph: graph, options: options)
    var log: [String] = []
    let written = try runner.run(
      input: GraphTensor(shape: [1, 3], floats: [1, 3, 2]), photo: nil, inputName: "x.npy", directory: dir.path) { log.append($0) }
    #expect(Set(written.map(lastComponent)) == ["h.npy", "h.txt", "n.npy", "n.txt"])
    let h = try Data(contentsOf: dir.appendingPathComponent("h.npy"))
    #expect(String(decoding: h.prefix(128), as: UTF8.self).contains("'descr': '<f2', 'fortran_order': False, 'shape': (1, 3)"))
    #expect(try NPYArray.read(path: dir.appendingPathComponent("h.npy").path).data == [0.5, 1.5, 1])
    let n = try Data(contentsOf: dir.appendingPathComponent("n.npy"))
    #expect(String(decoding: n.prefix(128), as: UTF8.self).contains("'descr': '<i4'") && n.count % 64 == 4)
    #expect(try NPYArray.read(path: dir.appendingPathComponent("n.npy").path).data == [1])
    #expect(log.contains("n: int64 1") && log.contains("  1"), "\(log)")
  }

  /// The SSDlite fixture through `ModelRunner`: detections listed and drawn on the photo in its pixels, the
  /// outputs raw in their own types (the classes int64), nothing drawn as a heat map.
  @Test func detectorRunDrawsAndListsDetections() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let folder = fixtureURL("detectors")
    let graph = try ONNXModel.load(path: folder.appendingPathComponent("ssdlite_narrow_opset17.onnx").path)
    var options = ModelRunOptions()
    options.saveNpy = true
    options.threshold = 0
    options.labels = ["background", "circle", "square"]
    let runner = try ModelRunner(graph: graph, options: options)
    let input = try NPYArray.read(path: folder.appendingPathComponent("ssdlite_narrow_opset17.input0.npy").path)
    let (h, w) = (input.shape[2], input.shape[3])
    let photo = Tensor(channels: 3, height: 2 * h, width: 2 * w, repeating: 0.5)
    var log: [String] = []
    let written = try runner.run(
      input: GraphTensor(shape: input.shape, floats: input.data), photo: photo, inputName: "x.npy", directory: dir.path) { log.append($0) }
    let names = Set(written.map(lastComponent))
    #expect(names == ["detections.txt", "detections.png", "boxes.npy", "scores.npy", "labels.npy"], "\(names)")
    let labels = try Data(contentsOf: dir.appendingPathComponent("labels.npy"))
    #expect(String(decoding: labels.prefix(60), as: UTF8.self).contains("'descr': '<i8'"))
    let reference = try NPYArray.read(path: folder.appendingPathComponent("ssdlite_narrow_opset17.output0.npy").path)
    let scores = try NPYArray.read(path: folder.appendingPathComponent("ssdlite_narrow_opset17.output1.npy").path)
    let text = try String(contentsOf: dir.appendingPathComponent("detections.txt"), encoding: .utf8)
    let lines = text.split(separator: "\n")
    #expect(lines.count == scores.data.count + 1)
    // The first detection: the strongest, its box doubled (the photo is twice the input).
    let first = try #require(lines.dropFirst().first)
    let numbers = first.split(separator: " ").suffix(4).compactMap { Float($0) }
    #expect(numbers.count == 4 && zip(numbers, reference.data.prefix(4)).allSatisfy { abs($0 - 2 * $1) <= 0.1 }, "\(first) vs \(reference.data.prefix(4))")
    let drawn = try loadImage(path: dir.appendingPathComponent("detections.png").path).tensor
    #expect(drawn.height == 2 * h && drawn.width == 2 * w)
    #expect(drawn.data.contains { abs($0 - 0.5) > 0.1 }, "boxes drawn")
    #expect(log.contains { $0.hasPrefix("detections: \(scores.data.count) scoring at least 0") })
  }
}
