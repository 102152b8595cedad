import ArgumentParser
import ConvolveONNX
import ConvolveJobs
import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveLecture
import ConvolveRender
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

struct BatchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "batch",
    abstract: "Filter every photo in a folder (or run a pipeline or ONNX model on each), in parallel, resumable and shardable.",
    discussion: """
      Finds the images in INPUT_DIR (with --recursive, in its subfolders too; hidden files and folders are \
      skipped, symbolic links to folders are not followed), sorts them by relative path and writes each \
      result under OUTPUT_DIR at the same relative path, named by --name. With --pipeline or --model each \
      photo gets a folder OUTPUT_DIR/<relative path without extension>/ holding the stage outputs \
      (NN-stage.png) or the model's outputs as `convolve model run` writes them.

      Nothing is lost: every output is written to a temporary file and renamed into place, an output that \
      would replace any file found in INPUT_DIR is refused before any work starts, and a damaged file is \
      reported and skipped over (--fail-fast stops at the first). Ctrl-C stops taking new files, lets the \
      running ones finish (Ctrl-C again abandons them and removes their temporary files), prints the \
      summary and exits with 130; rerun with --skip-existing to do the rest.

      --shard I/N (1-based) or --shard-index i --shard-count n (0-based, for $JOB_COMPLETION_INDEX or \
      $SLURM_ARRAY_TASK_ID) keeps the files whose relative path hashes (FNV-1a 64) to that shard: the \
      shards are disjoint, together cover every file, and a file keeps its shard when others are added.

      Exit status: 0 when every file was done or skipped, 1 when any failed, 64 for usage errors, \
      130 when interrupted (143 on SIGTERM).

      Examples:
        convolve batch photos/ blurred/ --filter gaussian --sigma 2 --recursive
        convolve batch photos/ blurred/ --filter gaussian --sigma 2 --linear
        convolve batch photos/ edges/ --filter sobel --format png \\
            --name "{stem}-{filter}{ext}" --jobs 4
        convolve batch photos/ maps/ --pipeline edges \\
            --colormap viridis
        convolve batch photos/ text/ --model det.onnx --bgr --mean 0.5 --std 0.5
        convolve batch photos/ classes/ --model resnet18.onnx \\
            --resize-shorter 256 --crop 224 --mean 0.485,0.456,0.406 \\
            --std 0.229,0.224,0.225 --labels labels.txt --top 3
        convolve batch photos/ out/ --filter sobel --shard 2/8 --skip-existing \\
            --report report-2.json
      """)

  @Argument(help: "Folder with the input photos.", completion: .directory) var inputDirectory: String
  @Argument(help: "Folder for the results (created if missing); the input folder's tree is mirrored in it.", completion: .directory)
  var outputDirectory: String

  @Option(help: ArgumentHelp("Run this pipeline file (JSON), or the library's pipeline of this name (edges), on every photo instead of one filter (default: none).", valueName: "file"), completion: .file())
  var pipeline: String?
  @Option(help: ArgumentHelp("Run this ONNX model on every photo instead of one filter (default: none).", valueName: "file"), completion: .file())
  var model: String?

  @OptionGroup(title: "Kernel") var kernel: KernelOptions
  @OptionGroup(title: "Geometry") var geometry: GeometryOptions
  @OptionGroup(title: "Light and alpha") var photo: PhotoFilterFlags
  @OptionGroup(title: "Output") var out: ImageOutputOptions
  @OptionGroup(title: "Input") var load: ImageInputOptions
  @OptionGroup(title: "Strips") var strips: StripOptions
  @OptionGroup(title: "Feature maps (with --pipeline)") var mapOptions: MapOutputOptions
  @Flag(help: "With --pipeline: also write the mean of the last stage's maps as a heat map over the photo.")
  var overlay = false
  // Hidden: the old spelling of --size with --model.
  @Option(help: .hidden) var modelSize: String?
  @OptionGroup(title: "Model input (with --model; --size HxW as in `model run`)") var preprocessing: ModelInputOptions
  @Option(help: ArgumentHelp("With --model: also draw these tensors, as `model run --layers` (default: none).", valueName: "glob"))
  var layers: [String] = []
  @Option(help: ArgumentHelp("With --model: class names for vector outputs, one per line (default: class numbers only).", valueName: "file"), completion: .file())
  var labels: String?
  @Option(help: ArgumentHelp("With --model: how many classes a vector output lists.", valueName: "n")) var top = 5
  @Flag(help: "With --model: list a vector output's scores as they are (default: logits as their softmax).") var raw = false
  @Flag(help: "With --model: also write each photo's report.html.") var modelReport = false

  @Option(help: ArgumentHelp("Convert the outputs to png or jpg (default: keep each input's format).", valueName: "format"))
  var format: ImageFormat?
  @Option(help: ArgumentHelp("Output file name; placeholders {stem}, {ext} (with the dot) and {filter}.", valueName: "template"))
  var name = "{stem}{ext}"

  @OptionGroup(title: "Folder") var folder: FolderOptions
  @Flag(help: "Skip inputs whose output already exists (resume an interrupted or partly failed batch).")
  var skipExisting = false
  @Flag(help: "List what would be done (input -> output) and write nothing.") var dryRun = false
  @Flag(help: "Stop at the first failed file (the running ones finish).") var failFast = false
  @Option(help: ArgumentHelp("Write a JSON report: every file's status, outputs, time and error, and the totals (default: none).", valueName: "file"), completion: .file())
  var report: String?


  func validate() throws {
    let whole = [pipeline, model].compactMap { $0 }.count
    if kernel.sourceCount + whole > 1 || (kernel.sourceCount + whole == 0 && !convertsOnly) {
      throw ValidationError(
        "give exactly one of --filter, --kernel, --kernel-file, --pipeline and --model (or only --format, --to-srgb or "
          + "--depth to convert the photos)")
    }
    if model != nil {
      if kernel.size != nil && modelSize != nil { throw ValidationError("give --size or --model-size (its old name), not both") }
      _ = try preprocessing.modelInput(size: modelSizeText, option: "--size")
      guard top >= 1 else { throw ValidationError("--top is \(top); use at least 1") }
    } else {
      if modelSize != nil { throw ValidationError("--model-size applies to --model") }
      if labels != nil { throw ValidationError("--labels applies to --model") }
      _ = try kernel.boxSize
    }
    if kernel.sourceCount == 0, photo.linear || photo.alpha != .premultiply {
      throw ValidationError("--linear and --alpha apply to filters (--filter, --kernel, --kernel-file), not to --pipeline or --model")
    }
    if name.contains("/") { throw ValidationError("--name \"\(name)\" is a file name; it must not contain '/'") }
    let unknown = name.replacingOccurrences(of: "{stem}", with: "").replacingOccurrences(of: "{ext}", with: "")
      .replacingOccurrences(of: "{filter}", with: "")
    if unknown.contains("{") || unknown.contains("}") {
      throw ValidationError("--name \"\(name)\": the placeholders are {stem}, {ext} and {filter}")
    }
  }

  /// No filter, pipeline or model, but a format, colour or depth to convert to: each photo through the identity.
  private var convertsOnly: Bool {
    kernel.sourceCount == 0 && pipeline == nil && model == nil && (format != nil || load.toSRGB || out.depth != nil)
  }

  func run() throws {
    let started = Date()
    let work: Work
    let plan: BatchPlan
    do {
      work = try makeWork()
      plan = try layout().plan(workName: work.name, report: report)
    } catch let error as BatchUsageError {
      throw ValidationError(error.message)
    }
    if kernel.showKernel, case .filter(let filter, _) = work { Swift.print(filter.describe()) }
    if plan.items.isEmpty && plan.shard == nil && !folder.quiet {
      let globs = folder.include.isEmpty ? ImageFormat.readableGlobs : folder.include
      writeStandardError("note: no file in \(inputDirectory) matches \(globs.joined(separator: ", "))\n")
    }
    if dryRun {
      for item in plan.items {
        Swift.print("\(item.input) -> \(item.output)\(item.skip ? " (exists, skipped)" : "")")
      }
      let skipped = plan.items.filter(\.skip).count
      if !folder.quiet {
        writeStandardError("dry run: would process \(plan.items.count - skipped), skip \(skipped), write nothing\n")
      }
      return
    }
    var job = BatchJob(work: work)
    (job.outputRange, job.light, job.writing, job.loading) = (out.outputRange, photo.light, out.writing, model != nil ? load.loading(keepColours: preprocessing.keepColours) : load.loading)
    (job.stripRows, job.maps, job.overlay) = (strips.stripRows, mapOptions.writer, overlay)
    job.roundingNote = geometry.roundingNote
    let code = try job.run(
      plan, into: outputDirectory, jobs: folder.jobs ?? ProcessInfo.processInfo.activeProcessorCount, failFast: failFast,
      quiet: folder.quiet, report: report, started: started)
    if let code { throw ExitCode(code) }
  }

  // MARK: Planning

  typealias Work = BatchJob.Work

  private func makeWork() throws -> Work {
    do {
      if let pipeline {
        let chain = try Pipeline.load(named: pipeline, option: "--pipeline").pipeline
        return .pipeline(geometry.rounding == .strict ? chain.rounding(.floor, to: .strict) : chain)
      }
      if let model {
        var options = try runOptions(layers: layers, report: modelReport, labels: labels, top: top, maps: mapOptions)
        options.raw = raw
        let graph = try ONNXModel.load(path: model)
        let runner = try fileContent(model) { try ModelRunner(graph: graph, options: options) }
        let input = try preprocessing.modelInput(size: modelSizeText, option: "--size")
        try input.checkChannels(ModelInput.channels(declared: try runner.input.shape))
        return .model(runner, input)
      }
      let filter = try convertsOnly
        ? resolveFilter(name: nil, kernel: "1", kernelFile: nil, overrides: kernel.overrides, normalize: false, photo: true)
        : kernel.resolve()
      return .filter(filter, geometry.options(correlate: kernel.correlate, defaultBorder: .replicate))
    } catch let error as ValidationError {
      throw error
    } catch let error as ConvolveError {
      // An unknown filter or a bad parameter is a usage error; a file that cannot be read stays a file error.
      if case .file = error { throw error }
      throw ValidationError(error.description)
    }
  }

  /// The model input's size: `--size` (the box filter's size without --model), or its old name `--model-size`.
  private var modelSizeText: String? { kernel.size ?? modelSize }

  private func layout() throws -> BatchLayout {
    var layout = try folder.layout(inputDirectory, outputDirectory)
    layout.nameTemplate = name
    layout.outputExtension = format.map { "." + $0.fileExtension }
    layout.outputIsFolder = pipeline != nil || model != nil
    layout.skipExisting = skipExisting
    return layout
  }
}
