import ArgumentParser
import ConvolveONNX
import ConvolveJobs
import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveRender
import Foundation

struct ModelTopPatchesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "top-patches",
    abstract: "What each channel of a layer looks for: its strongest patches over a folder of photos.",
    usage: """
      convolve model top-patches <model> <input-dir> <outdir> --layer <name>
      convolve model top-patches --pipeline <file> <input-dir> <outdir> ...
      """,
    discussion: """
      Runs the model (or pipeline) up to --layer on every photo of INPUT_DIR (walked as `batch` does) and \
      keeps, for each channel of --channels, the --k strongest activations over all photos: at most \
      --per-photo from one photo, each at least half a receptive field from the others, so that one photo \
      does not fill a grid. Memory is k entries per channel, whatever the number of photos. Each entry is \
      cut from its photo as the receptive field of its position (mapped back through the resize to the \
      model's size and any --crop; grey outside the photo) and tiled into OUTDIR/channel-NNN.png with its value; \
      --exclude-border (the default for a pipeline that pads) skips positions whose field reaches into the \
      padding, so that grey corners do not fill the grids; \
      OUTDIR/index.html shows every grid, sortable by peak activation. Ties are broken by photo path, then \
      position, so runs agree to the byte.

      OUTDIR/top-k.json holds the running top-k (photo, position, value, the field in the photo) and the \
      settings; it is saved every 30 s. --skip-existing resumes from it, skipping the photos it lists. \
      With --shard I/N only top-k.json is written; `convolve model merge-top` draws the grids from the \
      shards' files, the same as one run over every photo.

      --layer is a node name or value name (`convolve model info` lists them; the receptive field is its \
      rf column) or a pipeline stage name or number.

      Exit status: 0 when every photo was read, 1 when any failed or a file cannot be read (a missing \
      INPUT_DIR too), 64 for usage errors (an unknown --layer, --channels past the layer's).

      Examples:
        convolve model top-patches det.onnx photos/ top/ --layer p2o.Conv.5 \\
            --bgr --mean 0.5 --std 0.5 --k 16 --channels 0-15
        convolve model top-patches --pipeline edges \\
            photos/ top/ --layer edges-relu
        convolve model top-patches det.onnx photos/ shard-2/ --layer p2o.Conv.5 \\
            --shard 2/8
        convolve model merge-top top/ shard-*/
      """)

  @Argument(help: ArgumentHelp("The ONNX model (left out with --pipeline), the folder of photos, the output folder.", valueName: "paths"), completion: .file())
  var paths: [String] = []
  @Option(help: ArgumentHelp("Run this pipeline file, or the library's pipeline of this name (edges), instead of a model (default: none).", valueName: "file"), completion: .file())
  var pipeline: String?
  @Option(help: ArgumentHelp("The layer: a node or value name of the model, or a stage name or number of the pipeline (required, no default).", valueName: "name"))
  var layer: String
  @Option(help: ArgumentHelp("Patches per channel.", valueName: "k")) var k = 9
  @Option(help: ArgumentHelp("Channels to show, e.g. 0-63 or 0,4,8-11 (default: all).", valueName: "list"))
  var channels: String?
  @Option(help: ArgumentHelp("At most this many patches from one photo per channel.", valueName: "n")) var perPhoto = 1
  @Option(help: ArgumentHelp("Side of each patch in the grids, in pixels.", valueName: "n")) var tile = 96
  @Flag(inversion: .prefixedNo, help: "Skip positions whose receptive field reaches into the padding, so that grey borders do not fill the grids (default: on for a pipeline that pads, off for a model).")
  var excludeBorder: Bool?

  @Option(help: ModelInputOptions.sizeHelp) var size: String?
  @OptionGroup(title: "Model input") var preprocessing: ModelInputOptions
  @OptionGroup(title: "Photo") var load: ImageInputOptions

  @OptionGroup(title: "Folder") var folder: FolderOptions
  @Flag(help: "Resume: keep OUTDIR/top-k.json and skip the photos it lists.") var skipExisting = false

  var modelPath: String? { pipeline == nil ? paths.first : nil }
  var inputDirectory: String { paths[paths.count - 2] }
  var outputDirectory: String { paths[paths.count - 1] }

  func validate() throws {
    let expected = pipeline == nil ? 3 : 2
    guard paths.count == expected else {
      throw ValidationError(
        pipeline == nil
          ? "give the model, the folder of photos and the output folder (or --pipeline FILE and the two folders); got \(paths.count) paths"
          : "with --pipeline give only the folder of photos and the output folder; got \(paths.count) paths")
    }
    guard k >= 1, k <= 10_000 else { throw ValidationError("--k is \(k); use 1 to 10000") }
    guard perPhoto >= 1 else { throw ValidationError("--per-photo is \(perPhoto); use at least 1") }
    guard (8 ... 1024).contains(tile) else { throw ValidationError("--tile is \(tile); use 8 to 1024") }
    if let channels {
      do { _ = try parseChannelList(channels, count: nil) } catch let error as ConvolveError { throw ValidationError(error.description) }
    }
    if pipeline != nil && (size != nil || preprocessing.bgr || preprocessing.mean != "0" || preprocessing.std != "1"
      || preprocessing.scale != "1/255" || preprocessing.fitMultiple != nil || preprocessing.resizeShorter != nil
      || preprocessing.crop != nil)
    {
      throw ValidationError("--size, --resize-shorter, --crop, --fit-multiple, --scale, --mean, --std and --bgr prepare a model's input; a pipeline takes the photo as it is")
    }
    _ = try preprocessing.modelInput(size: size, option: "--size")
  }

  func run() throws {
    let started = Date()
    try TopPatchesJob.checkInputFolder(inputDirectory)
    let input = try preprocessing.modelInput(size: size, option: "--size")
    let probe: LayerProbe
    let source: (kind: String, path: String)
    if let pipeline {
      let (chain, path) = try Pipeline.load(named: pipeline, option: "--pipeline")
      probe = try LayerProbe(pipeline: path, chain: chain, layer: layer)
      source = ("pipeline", path)
    } else {
      let model = modelPath!
      probe = try LayerProbe(model: model, graph: try ONNXModel.load(path: model), layer: layer, preprocessing: input)
      source = ("model", model)
    }
    let layout = try folder.layout(inputDirectory, outputDirectory)
    let load = self.load
    var job = TopPatchesJob(
      probe: probe, source: source, layer: layer,
      preprocessing: pipeline == nil ? input.summary : "the photo as it is", layout: layout,
      maxPixels: load.maxPixels, load: { try load.loading(keepColours: preprocessing.keepColours).load($0) })
    (job.k, job.perPhoto, job.channels, job.tile, job.excludeBorder) = (k, perPhoto, channels, tile, excludeBorder)
    (job.skipExisting, job.quiet) = (skipExisting, folder.quiet)
    if let jobs = folder.jobs { job.jobs = jobs }
    if let code = try job.run(started: started) { throw ExitCode(code) }
  }
}
