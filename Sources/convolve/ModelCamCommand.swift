import ArgumentParser
import ConvolveONNX
import ConvolveJobs
import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveRender
import Foundation

struct ModelCamCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cam",
    abstract: "Why did the network say that? Class activation maps of a classifier on a photo, a .npy or a folder.",
    discussion: """
      INPUT is prepared as in `model run` (--size, --mean, --std, --bgr; a .npy tensor as it is). The model \
      runs once forward, keeping --layer (default: the input of the last global pooling, else the last \
      tensor with more than 1x1 positions; `model info` names it); then once in reverse per explained class, \
      from the class's output value as it is (a probability when the model ends in Softmax, as \
      pytorch-grad-cam's ClassifierOutputTarget). For a segmenter (an output of 1 x K x H x W) a class's \
      score is its output summed over its region (pytorch-grad-cam's SemanticSegmentationTarget): by default \
      the pixels where it is the argmax, or with --target x0,y0,x1,y1 every pixel whose centre is in that box \
      of the model input; top1 is then the class that is the argmax at the most pixels (of the box).

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

      and, over the input's pixels, as captum (github.com/pytorch/captum) defines them:
        occlusion  the drop of the class score when a --window square of the
                   input (all channels) is set to 0, averaged over the squares
                   covering each pixel (--stride apart), ReLU'd: one forward pass
                   per square, 8 at a time
        integrated-gradients  ReLU(sum over channels of x * the mean gradient
                   along the line from 0 to x): --steps Gauss-Legendre nodes
                   (captum's default rule), one forward and reverse pass each
        smoothgrad max over channels of the mean |gradient| over --samples
                   copies of the input with Gaussian noise (--noise times the
                   input's range; seeded by --seed, so runs agree)

      --metrics measures each map's faithfulness: the class's probability as the map's strongest pixels are \
      set to 0 (deletion AUC, lower is better) or put back into the blurred input (insertion AUC, higher is \
      better), over --metric-steps steps (RISE, Petsiuk et al. 2018), the change of the class's score \
      when the input is multiplied by the map (pytorch-grad-cam's CamMultImageConfidenceChange), and ROAD \
      (pytorch-grad-cam's road.py: the score's change when the pixels above the map's 10th ... 90th \
      percentile, MoRF, or below them, LeRF, are filled in by noisy linear imputation, noise seeded by \
      --seed; combined = (LeRF - MoRF) / 2, higher is better); printed and written to metrics.json.

      INPUT may be a folder: every photo in it and in its subfolders (--recursive is the default; \
      --exclude '*/*' keeps to the top folder) is explained into \
      OUTDIR/<relative path without extension>/ (plus photo.jpg, a thumbnail), --jobs at a time, as \
      `convolve batch` runs a folder (progress bar, --include, --exclude, --skip-existing, --shard I/N; the \
      outputs are the same for any --jobs and sharding); then OUTDIR/index.html shows every photo done with \
      its top class and each method's overlay, and with --metrics OUTDIR/metrics.json holds each method's \
      means. Shards run into one OUTDIR one after another: the last writes the page of all (or rerun with \
      --skip-existing).

      Writes OUTDIR/<method>.png (the map normalised to [0, 1] by min-max and resized to the photo), \
      <method>-overlay.png (over the photo, opacity following the map up to --opacity), with --save-npy \
      <method>.npy (the raw map at the layer's resolution, after ReLU), and classes.txt (the five best \
      classes, softmax beside scores that are not probabilities, and the explained ones). With --class \
      top3 each class's files are suffixed -class<N>, N the class number (eigencam's are not).

      Examples (PP-OCR text-direction classifier):
        convolve model cam ch_ppocr_mobile_v2.0_cls_infer.onnx line.png cam/ \\
            --size 48x192 --bgr --mean 0.5 --std 0.5 --method gradcam,eigencam
        convolve model cam ch_ppocr_mobile_v2.0_cls_infer.onnx lines/ cams/ \\
            --size 48x192 --bgr --mean 0.5 --std 0.5 --metrics \\
            --jobs 2 --shard 1/2
      """)

  @Argument(help: "ONNX model file (a classifier: its first output is a vector of class scores; or a segmenter: 1 x K x H x W).", completion: .file()) var model: String
  @Argument(help: "Input photo (PNG, JPEG, WebP, TIFF, AVIF or HEIC), .npy tensor, or a folder of photos.", completion: .file()) var input: String
  @Argument(help: "Folder for the maps (created if missing).", completion: .directory) var outputDirectory: String

  @Option(help: ArgumentHelp("The layer to explain: a node or value name (default: the input of the last global pooling).", valueName: "name"))
  var layer: String?
  @Option(name: .customLong("class"), help: ArgumentHelp("The class to explain: top1, top3, a class number or a name from --labels.", valueName: "c"))
  var classChoice = "top1"
  @Option(help: ArgumentHelp(
    "A segmenter's region: argmax (the pixels where the class is the argmax) or a box x0,y0,x1,y1 in model input pixels (default: argmax).",
    valueName: "region"))
  var target: String?
  @Option(help: ArgumentHelp("Methods, comma-separated: \(CAMMethod.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "list"))
  var method = "gradcam"
  @Option(help: ArgumentHelp("Class names, one per line (default: class numbers only).", valueName: "file"), completion: .file()) var labels: String?
  @Option(help: ArgumentHelp("Colormap of the maps and overlays.", valueName: "name")) var colormap: Colormap = .jet
  @Option(help: ArgumentHelp("The overlay's opacity where the map peaks (0 to 1).", valueName: "a")) var opacity: Float = 0.6
  @Flag(help: "Also write each raw map as <method>.npy.") var saveNpy = false
  @Option(help: ArgumentHelp("occlusion: the side of the square set to 0, in model input pixels (default: 32, at most the input's side).", valueName: "n"))
  var window: Int?
  @Option(help: ArgumentHelp("occlusion: the step between squares, at most --window (default: half the window).", valueName: "n"))
  var stride: Int?
  @Option(help: ArgumentHelp("integrated-gradients: the points along the line from 0 to the input.", valueName: "n")) var steps = 50
  @Option(help: ArgumentHelp("smoothgrad: the noisy copies of the input.", valueName: "n")) var samples = 25
  @Option(help: ArgumentHelp("smoothgrad: the noise's standard deviation as a fraction of the input's range.", valueName: "f"))
  var noise = 0.15
  @Option(help: ArgumentHelp("smoothgrad and ROAD (--metrics): the noise's seed.", valueName: "n")) var seed: UInt64 = 0
  @Flag(help: "Measure each map's deletion and insertion AUC (RISE) into metrics.json.") var metrics = false
  @Option(help: ArgumentHelp("--metrics: the steps of the deletion and insertion curves.", valueName: "n")) var metricSteps = 64

  @OptionGroup(title: "Folder (when INPUT is a folder)") var folder: FolderOptions
  @Flag(help: "With a folder INPUT: skip photos whose folder exists in OUTDIR.") var skipExisting = false

  @Option(help: ModelInputOptions.sizeHelp) var size: String?
  @OptionGroup(title: "Model input") var preprocessing: ModelInputOptions
  @OptionGroup(title: "Photo") var load: ImageInputOptions

  func validate() throws {
    _ = try methods()
    if let target {
      do { _ = try CAMRegion(parsing: target) } catch let error as ConvolveError { throw ValidationError(error.description) }
    }
    guard opacity >= 0 && opacity <= 1 else { throw ValidationError("--opacity is \(opacity); use 0 to 1") }
    _ = try preprocessing.modelInput(size: size, option: "--size")
    for (name, value, low, high) in [("--steps", steps, 1, 10_000), ("--samples", samples, 1, 10_000), ("--metric-steps", metricSteps, 1, 100_000)]
    where value < low || value > high {
      throw ValidationError("\(name) is \(value); use \(low) to \(high)")
    }
    if let window, window < 1 { throw ValidationError("--window is \(window); use at least 1") }
    if let stride, stride < 1 || stride > (window ?? 32) { throw ValidationError("--stride is \(stride); use 1 to the window's side (\(window ?? 32))") }
    guard noise >= 0 && noise.isFinite else { throw ValidationError("--noise is \(noise); use 0 or more (0.15: 15% of the input's range)") }
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
    options.region = try target.map(CAMRegion.init(parsing:))
    options.methods = try methods()
    (options.colormap, options.maxOpacity, options.saveNpy) = (colormap, opacity, saveNpy)
    (options.window, options.stride, options.steps, options.samples, options.noise, options.seed) = (window, stride, steps, samples, noise, seed)
    (options.metrics, options.metricSteps) = (metrics, metricSteps)
    if let labels {
      guard let text = String(data: try readFileData(labels, what: "the labels file"), encoding: .utf8) else {
        throw ConvolveError.file(path: labels, reason: "the labels file is not UTF-8 text (one class name per line)")
      }
      options.labels = text.split(separator: "\n", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespacesAndNewlines)
      }
    }
    let graph = try ONNXModel.load(path: model)
    let job = try CamJob(model: model, graph: graph, options: options)
    let runner = try fileContent(model) { try ModelRunner(graph: graph, options: ModelRunOptions()) }
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: input, isDirectory: &isFolder), isFolder.boolValue {
      var layout = try folder.layout(input, outputDirectory)
      (layout.recursive, layout.skipExisting) = (true, skipExisting)
      var batch = CamFolderJob(
        job: job, runner: runner, preprocessing: try preprocessing.modelInput(size: size, option: "--size"), loading: load.loading(keepColours: preprocessing.keepColours),
        layout: layout)
      (batch.jobs, batch.quiet) = (folder.jobs ?? ProcessInfo.processInfo.activeProcessorCount, folder.quiet)
      if let code = try batch.run() { throw ExitCode(code) }
      return
    }
    if folder.jobs != nil || skipExisting || folder.shard != nil || folder.shardIndex != nil || folder.recursive {
      throw ValidationError("--jobs, --recursive, --skip-existing and --shard apply to a folder INPUT; \(input) is a file")
    }
    let (tensor, photo) = try preprocessing.input(input, runner: runner, model: model, size: size, load: load)
    try prepareDirectory(outputDirectory)
    try job.run(input: tensor, photo: photo, directory: outputDirectory) { print($0) }
  }
}
