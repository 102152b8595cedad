import ArgumentParser
import ConvolveONNX
import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveRender
import Foundation

struct ModelRunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run an ONNX model on a photo (or a .npy tensor) and write what it sees.",
    discussion: """
      INPUT is a photo (PNG, JPEG, WebP, TIFF, AVIF, HEIC), prepared by --size/--fit-multiple (or \
      --resize-shorter and --crop, as torchvision and timm prepare ImageNet photos), --scale, --mean, \
      --std and --bgr, or a \
      .npy tensor (NCHW or CHW) used as it is. Every model output is written as people look at it: a \
      one-channel map as OUTDIR/<output>.png and as a heat map over the photo (<output>-overlay.png), many \
      channels as a montage, a vector as a ranked list (<output>.txt, names from --labels). --layers adds \
      montages of the chosen tensors (node names, output names or op types, globs, or `all`), named \
      NNN-<node>.png; --save-npy writes each written tensor raw; --report writes OUTDIR/report.html with \
      one row per node (op, shape, time, value range) and the pictures.

      Example (PP-OCRv4 text detector, as RapidOCR feeds it):
        convolve model run ch_PP-OCRv4_det_infer.onnx photo.jpg out/ \\
            --bgr --mean 0.5 --std 0.5 --report
      """)

  @Argument(help: "ONNX model file.", completion: .file()) var model: String
  @Argument(help: "Input photo (PNG, JPEG, WebP, TIFF, AVIF or HEIC) or .npy tensor.", completion: .file()) var input: String
  @Argument(help: "Folder for the outputs (created if missing).", completion: .directory) var outputDirectory: String

  @Option(help: ArgumentHelp("Also draw these tensors: node names, output names or op types (globs; repeatable or comma-separated; `all`) (default: none).", valueName: "glob"))
  var layers: [String] = []
  @Flag(help: "Also write report.html: every node's op, shape, time and value range, and the pictures.") var report = false
  @Option(help: ArgumentHelp("Class names for vector outputs, one per line (default: class numbers only).", valueName: "file"), completion: .file())
  var labels: String?
  @Option(help: ArgumentHelp("How many classes a vector output lists.", valueName: "n")) var top = 5
  @Flag(help: "List a vector output's scores as they are (default: logits are listed as their softmax, probabilities as they are).")
  var raw = false
  @OptionGroup(title: "Detectors and recognisers") var meaning: OutputMeaningOptions

  @Option(help: ModelInputOptions.sizeHelp) var size: String?
  @OptionGroup(title: "Model input") var preprocessing: ModelInputOptions
  @OptionGroup(title: "Feature maps") var mapOptions: MapOutputOptions
  @OptionGroup(title: "Photo") var load: ImageInputOptions

  func validate() throws {
    guard top >= 1 else { throw ValidationError("--top is \(top); use at least 1") }
    try meaning.validate()
    _ = try preprocessing.modelInput(size: size, option: "--size")
  }

  func run() throws {
    var options = try runOptions(layers: layers, report: report, labels: labels, top: top, maps: mapOptions)
    options.raw = raw
    meaning.apply(to: &options)
    let graph = try ONNXModel.load(path: model)
    let runner = try fileContent(model) { try ModelRunner(graph: graph, options: options) }
    let (tensor, photo) = try preprocessing.input(input, runner: runner, model: model, size: size, load: load)
    try prepareDirectory(outputDirectory)
    _ = try fileContent(model) {
      try runner.run(input: tensor, photo: photo, inputName: lastComponent(input), directory: outputDirectory) { print($0) }
    }
  }
}

/// The runner's options from the command line's.
func runOptions(layers: [String], report: Bool, labels: String?, top: Int, maps: MapOutputOptions) throws -> ModelRunOptions {
  var options = ModelRunOptions()
  options.layers = layers.flatMap { $0.split(separator: ",").map(String.init) }
  options.saveNpy = maps.saveNpy
  options.report = report
  options.topK = top
  options.maps = maps.writer
  if let labels {
    guard let text = String(data: try readFileData(labels, what: "the labels file"), encoding: .utf8) else {
      throw ConvolveError.file(path: labels, reason: "the labels file is not UTF-8 text (one class name per line)")
    }
    options.labels = text.split(separator: "\n", omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespacesAndNewlines)
    }
  }
  return options
}

