import ArgumentParser
import ConvolveJobs

/// `model run`'s options for outputs that are not pictures: a detector's boxes and scores, a recogniser's steps.
struct OutputMeaningOptions: ParsableArguments {
  @Option(help: ArgumentHelp("The output holding a detector's boxes (N x 4: x0, y0, x1, y1), when its name and shape do not say (default: found by shape).", valueName: "output"))
  var boxes: String?
  @Option(help: ArgumentHelp("The output holding the boxes' scores (N, or N x classes without NMS in the graph) (default: found by shape).", valueName: "output"))
  var scores: String?
  @Option(help: ArgumentHelp("Draw and list only detections scoring at least this (default: 0.5).", valueName: "score"))
  var threshold: Float = 0.5
  @Flag(help: "Decode a sequence x classes output (a text recogniser) greedily as CTC, class 0 the blank, names from --labels.")
  var ctc = false

  func validate() throws {
    guard threshold.isFinite else { throw ValidationError("--threshold \(threshold): give a number, e.g. 0.5") }
  }

  func apply(to options: inout ModelRunOptions) {
    options.boxes = boxes
    options.scores = scores
    options.threshold = threshold
    options.ctc = ctc
  }
}
