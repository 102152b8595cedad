import ArgumentParser
import ConvolveJobs
import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveLecture
import ConvolveRender
import Foundation

struct LayerCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "layer",
    abstract: "Run one CNN convolution layer on a photo and write its activation maps.",
    discussion: """
      Follows PyTorch: the layer computes CROSS-CORRELATION (the kernel is not flipped), weights are \
      [N][C/groups][kh][kw] and one bias per filter, and each of the N filters gives one feature map:
        out[n] = bias[n] + sum over c of correlate(in[c], weight[n][c])
        size   = floor((H + 2p - d(k-1) - 1) / s) + 1   (--strict: refuse misfits)
      Library filters given with --filters are flipped first, so they respond as with `convolve filter`, \
      and see the mean of the input channels.

      Writes OUTDIR/<name>-conv.png (a montage of every map, titled, each tile labelled with its number, \
      filter and value range, a colour bar below), then <name>-act.png and <name>-pool.png for the \
      optional activation and pooling stages. The folder is written whole or not at all.

      Examples:
        convolve layer photo.jpg out/ --weights edges --bias edges-bias \\
            --padding same --activation relu --pool max:2 --colormap viridis
        convolve layer photo.jpg out/ --filters sobel-x,sobel-y,laplacian4 \\
            --padding same --activation relu
      """)

  @Argument(help: "Input image (PNG, JPEG, WebP, TIFF, AVIF or HEIC).", completion: .file()) var input: String
  @Argument(help: "Folder for the outputs (created if missing).", completion: .directory) var outputDirectory: String

  @Option(help: ArgumentHelp("Weights as .npy, shape [N][C/groups][kh][kw] (float32 or float64), or a library layer's name (edges; `convolve filters` lists them) (default: none; give --weights or --filters).", valueName: "file"), completion: .file())
  var weights: String?
  @Option(help: ArgumentHelp("Bias as .npy, shape [N], or a library layer's name (edges-bias) (default: no bias).", valueName: "file"), completion: .file()) var bias: String?
  @Option(help: ArgumentHelp("Comma-separated library filters to use as the N filters instead of --weights (default: none).", valueName: "names"))
  var filters: String?
  @Option(help: ArgumentHelp("Stride: N or Y,X.", valueName: "stride")) var stride = Pair(1, 1)
  @Option(help: "Padding: same, valid, P, V,H or TOP,BOTTOM,LEFT,RIGHT (zeros).") var padding = LayerPadding.uniform(0)
  @Option(help: ArgumentHelp("Dilation: N or Y,X.", valueName: "dilation")) var dilation = Pair(1, 1)
  @Option(help: ArgumentHelp("Groups (C for depthwise).", valueName: "n")) var groups = 1
  @Flag var rounding: PoolRounding?
  @Option(help: ArgumentHelp("Activation after the convolution: relu, leaky-relu[:slope], sigmoid, tanh, elu[:alpha], maxout:k (default: none).", valueName: "function"))
  var activation: String?
  @Option(help: ArgumentHelp("Pooling after the activation: KIND:SIZE[:STRIDE], KIND max, avg or min, e.g. max:2 (default: none).", valueName: "spec"))
  var pool: String?
  @Flag(help: "Also write the mean of the last stage's maps as a heat map over the photo.") var overlay = false

  @OptionGroup(title: "Feature maps") var mapOptions: MapOutputOptions
  @OptionGroup(title: "Input") var load: ImageInputOptions

  func validate() throws {
    if (weights == nil) == (filters == nil) { throw ValidationError("give either --weights or --filters") }
    if bias != nil && weights == nil { throw ValidationError("--bias goes with --weights") }
  }

  func run() throws {
    let image = try load.load(input)
    let bank: FilterBank
    var names: [String]?
    if let weights {
      let (array, path) = try readLayerFile(weights, option: "--weights")
      let biasArray = try bias.map { try readLayerFile($0, option: "--bias").0 }
      bank = try fileContent(path) { try FilterBank(weights: array, bias: biasArray) }
    } else {
      let list = (filters ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
      let (kernels, note) = commonSizeKernels(try list.map(libraryKernel(named:)), names: list)
      note.map(printNote)
      bank = try FilterBank(libraryKernels: kernels, channels: image.tensor.channels)
      names = list
    }
    let geometry = LayerGeometry(
      stride: (stride.y, stride.x), padding: padding, dilation: (dilation.y, dilation.x), groups: groups,
      rounding: rounding == .strict ? .strict : .floor)
    var stages: [Pipeline.Stage] = [.init(name: "conv", operation: .conv(bank, geometry), save: true, mapNames: names)]
    if let activation { stages.append(.init(name: "act", operation: .activation(try Activation(parsing: activation)), save: true)) }
    if let pool {
      stages.append(
        .init(name: "pool", operation: .pool(try Pooling(parsing: pool, rounding: (rounding ?? .floor).rounding)), save: true))
    }
    let chain = Pipeline(name: "layer", stages: stages)
    let (h, w) = (image.tensor.height, image.tensor.width)
    let notes = try checkPipeline(chain, channels: image.tensor.channels, height: h, width: w, maxPixels: load.maxPixels)
    if rounding == nil { notes.forEach(printNote) }
    try writeOutputFolder(outputDirectory) { folder, log in
      try runStages(
        Pipeline(name: "layer", stages: stages), image: image.tensor, input: input, outputDirectory: folder,
        maps: mapOptions.writer, overlay: overlay, prefix: { _, stage in "\(stem(of: input))-\(stage.name)" }, log: log)
    }
  }
}
