import ArgumentParser
import ConvolveONNX
import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveRender
import Foundation

struct ModelCamCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cam",
    abstract: "Why did the network say that? Class activation maps of a classifier on one photo (or .npy).",
    discussion: """
      INPUT is prepared as in `model run` (--size, --mean, --std, --bgr; a .npy tensor as it is). The model \
      runs once forward, keeping --layer (default: the input of the last global pooling, else the last \
      tensor with more than 1x1 positions; `model info` names it); then once in reverse per explained class, \
      from the class's output value as it is (a probability when the model ends in Softmax, as \
      pytorch-grad-cam's ClassifierOutputTarget).

      Methods (--method, comma-separated; they share the forward and reverse passes), as \
      pytorch-grad-cam (github.com/jacobgil/pytorch-grad-cam) defines them; A_k is channel k of the \
      layer, g_k its gradient:
        gradcam    Grad-CAM: ReLU(sum_k w_k A_k), w_k = mean over H,W of g_k
        gradcam++  Grad-CAM++: w_k = sum ReLU(g) g^2/(2g^2 + sum(A_k) g^3 + 1e-6)
        xgradcam   XGrad-CAM: w_k = sum(g_k A_k) / (sum(A_k) + 1e-7)
        hirescam   HiResCAM: ReLU(sum_k g_k * A_k), element-wise
        layercam   LayerCAM: ReLU(sum_k ReLU(g_k) * A_k)
        eigencam   EigenCAM: the centred activations projected on their first
                   principal component, ReLU'd; up to sign; no gradient, so it
                   passes operators with no reverse rule; one map for all classes
        scorecam   Score-CAM: ReLU(sum_k w_k A_k), w = softmax over k of the class
                   score of the input masked by A_k (upsampled, min-max): C more
                   forward passes, 16 inputs at a time; no gradient
        ablationcam  Ablation-CAM: ReLU(sum_k w_k A_k), w_k = (y - y_k) / y, y_k
                   the class score with channel k zeroed: C more forward passes
        saliency   max over channels of |d score / d input| (input resolution)

      Writes OUTDIR/<method>.png (the map normalised to [0, 1] by min-max and resized to the photo), \
      <method>-overlay.png (over the photo, opacity following the map up to --opacity), with --save-npy \
      <method>.npy (the raw map at the layer's resolution, after ReLU), and classes.txt (the five best \
      classes, softmax beside scores that are not probabilities, and the explained ones). With --class \
      top3 each class's files are suffixed -class<N>, N the class number (eigencam's are not).

      Example (PP-OCR text-direction classifier):
        convolve model cam ch_ppocr_mobile_v2.0_cls_infer.onnx line.png cam/ \\
            --size 48x192 --bgr --mean 0.5 --std 0.5 --method gradcam,eigencam
      """)

  @Argument(help: "ONNX model file (a classifier: its first output is a vector of class scores).") var model: String
  @Argument(help: "Input photo (PNG or JPEG) or .npy tensor.") var input: String
  @Argument(help: "Folder for the maps (created if missing).") var outputDirectory: String

  @Option(help: ArgumentHelp("The layer to explain: a node or value name (default: the input of the last global pooling).", valueName: "name"))
  var layer: String?
  @Option(name: .customLong("class"), help: ArgumentHelp("The class to explain: top1, top3, a class number or a name from --labels.", valueName: "c"))
  var classChoice = "top1"
  @Option(help: ArgumentHelp("Methods, comma-separated: \(CAMMethod.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "list"))
  var method = "gradcam"
  @Option(help: ArgumentHelp("Class names, one per line (default: class numbers only).", valueName: "file")) var labels: String?
  @Option(help: ArgumentHelp("Colormap of the maps and overlays.", valueName: "name")) var colormap: Colormap = .jet
  @Option(help: ArgumentHelp("The overlay's opacity where the map peaks (0 to 1).", valueName: "a")) var opacity: Float = 0.6
  @Flag(help: "Also write each raw map as <method>.npy.") var saveNpy = false

  @Option(help: ModelInputOptions.sizeHelp) var size: String?
  @OptionGroup(title: "Model input") var preprocessing: ModelInputOptions
  @OptionGroup(title: "Photo") var load: ImageInputOptions

  func validate() throws {
    _ = try methods()
    guard opacity >= 0 && opacity <= 1 else { throw ValidationError("--opacity is \(opacity); use 0 to 1") }
    _ = try preprocessing.modelInput(size: size, option: "--size")
  }

  func methods() throws -> [CAMMethod] {
    var list: [CAMMethod] = []
    for name in method.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
      guard let m = CAMMethod(rawValue: name) else {
        let all = CAMMethod.allCases.map(\.rawValue)
        let hint = closestName(to: name, in: all).map { "did you mean '\($0)'? " } ?? ""
        throw ValidationError("--method \(name): \(hint)(methods: \(all.joined(separator: ", ")))")
      }
      if !list.contains(m) { list.append(m) }
    }
    guard !list.isEmpty else { throw ValidationError("--method: name at least one method") }
    return list
  }

  func run() throws {
    var options = CamOptions()
    options.layer = layer
    options.classChoice = CAMClassChoice(parsing: classChoice)
    options.methods = try methods()
    (options.colormap, options.maxOpacity, options.saveNpy) = (colormap, opacity, saveNpy)
    if let labels {
      guard let text = try? String(contentsOfFile: labels, encoding: .utf8) else {
        throw ConvolveError.file(path: labels, reason: "cannot read the labels file (one class name per line)")
      }
      options.labels = text.split(separator: "\n", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespacesAndNewlines)
      }
    }
    let graph = try ONNXModel.load(path: model)
    let job = try CamJob(model: model, graph: graph, options: options)
    let runner = try fileContent(model) { try ModelRunner(graph: graph, options: ModelRunOptions()) }
    let (tensor, photo, notes) = try fileContent(model) {
      try modelInput(
        input, runner: runner, preprocessing: try preprocessing.modelInput(size: size, option: "--size"), load: load)
    }
    notes.forEach { print("note: \($0)") }
    try prepareDirectory(outputDirectory)
    try job.run(input: tensor, photo: photo, directory: outputDirectory) { print($0) }
  }
}
