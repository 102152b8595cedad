import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveRender
import Foundation

/// What `model run` makes of outputs that are not pictures: a detector's boxes, scores and classes drawn on the
/// photo and listed; a sequence × classes output (a text recogniser) listed step by step, decoded with `--ctc`;
/// integer outputs listed; everything else as before (`writeOutput`).
extension ModelRunner {
  /// Whether output `name` waits for the others: every output but a Float32 `1 × C × H × W` map, and those the
  /// user named as boxes or scores.
  func isDeferred(_ name: String, _ value: GraphTensor) -> Bool {
    if name == options.boxes || name == options.scores { return true }
    let s = value.shape
    return !(value.elementType == .float32 && s.count == 4 && s[0] == 1 && s[2] > 1 && s[3] > 1)
  }

  /// Writes the deferred outputs by what they mean; returns the files written.
  func writeDeferred(
    _ outputs: [(name: String, value: GraphTensor)], inputShape: [Int], photo: Tensor?, directory: String,
    log: (String) -> Void
  ) throws -> [String] {
    var files: [String] = []
    var rest = outputs
    if let detector = try DetectorOutputs.find(outputs, boxes: options.boxes, scores: options.scores) {
      let used = [detector.boxes, detector.scores, detector.labels].compactMap { $0 }
      files += try writeDetections(
        detector, Dictionary(outputs.filter { used.contains($0.name) }.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }),
        inputShape: inputShape, photo: photo, directory: directory, log: log)
      rest.removeAll { used.contains($0.name) }
    } else if options.scores != nil {
      throw ConvolveError.invalidArgument("--scores needs boxes: no output is N x 4 (name it with --boxes)")
    }
    for (name, value) in rest {
      let stem = safeFileName(name)
      if let sequence = SequenceOutput(value, ctc: options.ctc) {
        let lines = sequence.lines(name: name, labels: options.labels, ctc: options.ctc, top: min(options.topK, 3))
        files += try writeText(lines, stem: stem, value: value, name: name, directory: directory)
        lines.prefix(options.ctc ? 2 : 1).forEach(log)
      } else if value.elementType == .int64 {
        let lines = integerLines(name: name, value)
        files += try writeText(lines, stem: stem, value: value, name: name, directory: directory)
        lines.prefix(4).forEach(log)
      } else {
        files += try writeOutput(name: name, value, photo: photo, directory: directory, log: log)
      }
    }
    return files
  }

  private func writeText(_ lines: [String], stem: String, value: GraphTensor, name: String, directory: String) throws -> [String] {
    var files: [String] = []
    if options.saveNpy { files.append(try writeNPY(value, stem: stem, directory: directory, name: name)) }
    let path = join(directory, stem + ".txt")
    try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: path)
    return files + [path]
  }

  /// `detections.txt` (one line per detection, in the photo's pixels) and `detections.png` (the boxes on the
  /// photo, strongest on top), and the outputs raw with `--save-npy`.
  private func writeDetections(
    _ detector: DetectorOutputs, _ values: [String: GraphTensor], inputShape: [Int], photo: Tensor?, directory: String,
    log: (String) -> Void
  ) throws -> [String] {
    var files: [String] = []
    if options.saveNpy {
      for (name, value) in values.sorted(by: { $0.key < $1.key }) {
        files.append(try writeNPY(value, stem: safeFileName(name), directory: directory, name: name))
      }
    }
    let (h, w) = inputShape.count >= 3 ? (inputShape[inputShape.count - 2], inputShape[inputShape.count - 1]) : (1, 1)
    let found = detector.detections(values, threshold: options.threshold, width: w, height: h)
    let (sx, sy) = photo.map { (Float($0.width) / Float(max(w, 1)), Float($0.height) / Float(max(h, 1))) } ?? (1, 1)
    func className(_ label: Int) -> String {
      options.labels.flatMap { label >= 0 && label < $0.count && !$0[label].isEmpty ? $0[label] : nil } ?? "class \(label)"
    }
    let sources = "boxes '\(detector.boxes)'" + (detector.scores.map { ", scores '\($0)'" } ?? "")
      + (detector.labels.map { ", classes '\($0)'" } ?? "") + (detector.perClass ? ", best class per box, overlaps removed" : "")
    var lines = ["detections: \(found.count) scoring at least \(formatScore(options.threshold)) (\(sources)), in the photo's pixels"]
    for (rank, d) in found.enumerated() {
      lines.append(
        "  \(rank + 1). \(className(d.label)) (class \(d.label)) \(formatScore(d.score)) box "
          + [d.x0 * sx, d.y0 * sy, d.x1 * sx, d.y1 * sy].map { String(format: "%.1f", Double($0)) }.joined(separator: " "))
    }
    let text = join(directory, "detections.txt")
    try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: text)
    files.append(text)
    if let photo {
      let base = photo.channels >= 3 ? photo.firstChannels(3) : photo.firstChannels(1)
      let boxes = found.reversed().map { d in
        LabeledBox(
          x0: d.x0 * sx, y0: d.y0 * sy, x1: d.x1 * sx, y1: d.y1 * sy, text: "\(className(d.label)) \(formatScore(d.score))",
          colorIndex: d.label)
      }
      let path = join(directory, "detections.png")
      try saveImage(try drawBoxes(boxes, on: base), path: path)
      files.append(path)
    }
    lines.prefix(11).forEach(log)
    if found.count > 10 { log("  ... (\(found.count - 10) more in detections.txt)") }
    log("detections -> \(files.map(lastComponent).joined(separator: ", "))")
    return files
  }
}

private func formatScore(_ v: Float) -> String { String(format: "%.3g", Double(v)) }
