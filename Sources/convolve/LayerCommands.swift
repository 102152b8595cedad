import ArgumentParser
import ConvolveCore
import ConvolveFormats
import ConvolveCNN
import ConvolveRender
import ConvolveLecture
import Foundation

extension LayerPadding: ExpressibleByArgument {
  public init?(argument: String) {
    switch argument {
    case "same": self = .same
    case "valid": self = .uniform(0)
    default:
      guard let padding = Padding(argument: argument) else { return nil }
      self = .explicit(padding)
    }
  }
}

struct LayerCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "layer",
    abstract: "Run one CNN convolution layer on a photo and write its activation maps.",
    discussion: """
      Follows PyTorch: the layer computes CROSS-CORRELATION (the kernel is not flipped), weights are \
      [N][C/groups][kh][kw] and one bias per filter, and each of the N filters gives one feature map:
        out[n] = bias[n] + sum over c of correlate(in[c], weight[n][c])
        size   = floor((H + 2p - d(k-1) - 1) / s) + 1   (a stride that does not fit is an error unless --floor)
      Library filters given with --filters are flipped first, so they respond as with `convolve filter`, \
      and see the mean of the input channels.

      Writes OUTDIR/<name>-conv.png (a montage of every map, each normalised on its own), then \
      <name>-act.png and <name>-pool.png for the optional activation and pooling stages.

      Examples:
        convolve layer photo.jpg out/ --weights Filters/layers/edges.npy --bias Filters/layers/edges-bias.npy \\
            --padding same --activation relu --pool max:2 --colormap viridis
        convolve layer photo.jpg out/ --filters sobel-x,sobel-y,laplacian4 --padding same --activation relu
      """)

  @Argument(help: "Input image (PNG or JPEG).") var input: String
  @Argument(help: "Folder for the outputs (created if missing).") var outputDirectory: String

  @Option(help: "Weights as .npy, shape [N][C/groups][kh][kw] (float32 or float64).") var weights: String?
  @Option(help: "Bias as .npy, shape [N].") var bias: String?
  @Option(help: "Comma-separated library filters to use as the N filters instead of --weights.") var filters: String?
  @Option(help: "Stride: N or Y,X.") var stride = Pair(1, 1)
  @Option(help: "Padding: same, valid, P, V,H or TOP,BOTTOM,LEFT,RIGHT (zeros).") var padding = LayerPadding.uniform(0)
  @Option(help: "Dilation: N or Y,X.") var dilation = Pair(1, 1)
  @Option(help: "Groups (C for depthwise).") var groups = 1
  @Flag(help: "Drop input rows and columns a stride cannot reach instead of failing.") var floor = false
  @Option(help: "Activation after the convolution: relu, leaky-relu[:slope], sigmoid, tanh, elu[:alpha], maxout:k.")
  var activation: String?
  @Option(help: "Pooling after the activation: KIND:SIZE[:STRIDE], KIND max, avg or min (e.g. max:2).") var pool: String?
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
    if let weights {
      bank = try FilterBank(weights: NPYArray.read(path: weights), bias: try bias.map { try NPYArray.read(path: $0) })
    } else {
      let names = (filters ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
      bank = try FilterBank(
        libraryKernels: try names.map(libraryKernel(named:)), channels: image.tensor.channels)
    }
    let geometry = LayerGeometry(
      stride: (stride.y, stride.x), padding: padding, dilation: (dilation.y, dilation.x), groups: groups, floor: floor)
    var stages: [Pipeline.Stage] = [.init(name: "conv", operation: .conv(bank, geometry), save: true)]
    if let activation { stages.append(.init(name: "act", operation: .activation(try Activation(parsing: activation)), save: true)) }
    if let pool {
      stages.append(
        .init(name: "pool", operation: .pool(try Pooling(parsing: pool, rounding: floor ? .floor : .exact)), save: true))
    }
    try prepareDirectory(outputDirectory)
    try runStages(
      Pipeline(name: "layer", stages: stages), image: image, input: input, outputDirectory: outputDirectory,
      maps: mapOptions, overlay: overlay, prefix: { _, stage in "\(stem(of: input))-\(stage.name)" })
  }
}

/// Runs the stages on the photo, writing each saved stage's output; logs one line per stage and returns the
/// files written. With `report`, also writes `00-input.png` and `report.html` (`RunReport`) into the folder.
@discardableResult
func runStages(
  _ pipeline: Pipeline, image: LoadedImage, input: String, outputDirectory: String, maps: MapOutputOptions,
  overlay: Bool, report: Bool = false, prefix: (Int, Pipeline.Stage) -> String,
  log: (String) -> Void = { print($0) }
) throws -> [String] {
  var written: [String] = []
  var last = image.tensor
  var featureStage = false
  var page: RunReport?
  if report {
    let preview = (outputDirectory as NSString).appendingPathComponent("00-input.png")
    let shown = image.tensor.channels == 2 ? image.tensor.firstChannels(1) : image.tensor
    try saveImage(ConvolveCore.map(shown, .clip), path: preview)
    page = RunReport(
      pipeline: pipeline, inputName: (input as NSString).lastPathComponent, input: image.tensor,
      inputImage: "00-input.png")
  }
  // Each stage's time runs from the end of the previous callback to the start of this one: its operation only.
  let clock = ContinuousClock()
  var mark = clock.now
  let (prepared, note) = pipeline.prepared(image.tensor)
  if let note { log("note: \(note)") }
  try pipeline.run(prepared) { i, stage, output in
    let elapsed = mark.duration(to: clock.now)
    defer { mark = clock.now }
    last = output
    switch stage.operation {
    case .pool, .upsample: break
    default: featureStage = true
    }
    var files: [String] = []
    if stage.save {
      files = try maps.write(output, directory: outputDirectory, stem: prefix(i, stage), imageLike: !featureStage)
      written += files
      log("\(stage.name): \(output.channels)x\(output.height)x\(output.width) -> \(files.joined(separator: ", "))")
    }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    page?.add(stage, output: output, milliseconds: seconds * 1000, files: files)
  }
  if let page {
    let path = try page.write(directory: outputDirectory)
    written.append(path)
    log("report: \(path)")
  }
  if overlay && last.height > 1 {
    var mean = Tensor(channels: 1, height: last.height, width: last.width)
    for c in 0 ..< last.channels {
      for i in 0 ..< last.planeSize { mean.data[i] += last.data[c * last.planeSize + i] / Float(last.channels) }
    }
    let heat = ConvolveCore.map(mean, .normalize)
    let path = (outputDirectory as NSString).appendingPathComponent("\(stem(of: input))-overlay.png")
    let photo = image.tensor.channels >= 3 ? image.tensor.firstChannels(3) : image.tensor.firstChannels(1)
    try saveImage(try ConvolveRender.overlay(heat, on: photo), path: path)
    log("overlay: \(path)")
    written.append(path)
  }
  return written
}

extension Tensor {
  /// The first `n` channels.
  func firstChannels(_ n: Int) -> Tensor {
    Tensor(channels: n, height: height, width: width, data: Array(data[0 ..< n * planeSize]))
  }
}

struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a CNN pipeline file on a photo and write every stage's output.",
    discussion: """
      A pipeline is a JSON file listing stages (conv, conv-transpose, activation, pool, global-avg-pool, \
      upsample, flatten); see Filters/pipelines/README.md. Each saved stage is written as \
      OUTDIR/<NN>-<stage>.png: a montage of its feature maps, or an image when no convolution has run yet; \
      flattened vectors are written as .npy. --report adds OUTDIR/report.html, one page (no script, images \
      beside it) with the input and every stage: operation, shape, time, value range overall and per map, image.

      Example:
        convolve run Filters/pipelines/edges.json SampleImages/astronaut.png out/edges --colormap viridis --report
      """)

  @Argument(help: "Pipeline file (JSON).") var pipeline: String
  @Argument(help: "Input image (PNG or JPEG).") var input: String
  @Argument(help: "Folder for the outputs (created if missing).") var outputDirectory: String
  @Flag(help: "Also write the mean of the last stage's maps as a heat map over the photo.") var overlay = false
  @Flag(help: "Also write OUTDIR/report.html: every stage's operation, shape, time, value range and image.")
  var report = false

  @OptionGroup(title: "Feature maps") var mapOptions: MapOutputOptions
  @OptionGroup(title: "Input") var load: ImageInputOptions

  func run() throws {
    let chain = try Pipeline.load(path: pipeline, kernelNamed: libraryKernel(named:))
    let image = try load.load(input)
    try prepareDirectory(outputDirectory)
    try runStages(
      chain, image: image, input: input, outputDirectory: outputDirectory, maps: mapOptions, overlay: overlay,
      report: report, prefix: { i, stage in String(format: "%02d-", i + 1) + stage.name })
  }
}

struct PoolCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pool",
    abstract: "Max, average or min pooling of every channel of a photo.",
    discussion: """
      Windows of SIZE x SIZE move by STRIDE (default SIZE): out = (n + 2p - size) / stride + 1; a stride that \
      does not fit is an error unless --floor. Average pooling divides by the full window, padding included.

      Example:
        convolve pool photo.png small.png --kind max --size 2
      """)

  @Argument(help: "Input image (PNG or JPEG).") var input: String
  @Argument(help: "Output image.") var output: String
  @Option(help: "max, avg or min.") var kind: PoolingKind = .max
  @Option(help: "Window size: N or H,W.") var size = Pair(2, 2)
  @Option(help: "Stride: N or Y,X (default: the window size).") var stride: Pair?
  @Option(help: "Padding on each side.") var padding = 0
  @Flag(help: "Drop input rows and columns a stride cannot reach instead of failing.") var floor = false
  @OptionGroup(title: "Output") var out: ImageOutputOptions
  @OptionGroup(title: "Input") var load: ImageInputOptions

  func run() throws {
    try checkOutput(output, input: input, inPlace: out.inPlace)
    let image = try load.load(input)
    let stride = stride ?? size
    let pooling = Pooling(
      kind, kernelHeight: size.y, kernelWidth: size.x, strideY: stride.y, strideX: stride.x,
      padding: Padding(padding), rounding: floor ? .floor : .exact)
    let pooled = try pooling.apply(to: image.tensor)
    try out.save(ConvolveCore.map(pooled, out.outputRange ?? .clip), to: output, input: image.info)
  }
}

struct UpsampleCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "upsample",
    abstract: "Enlarge a photo by a scale factor with nearest or bilinear interpolation.",
    discussion: """
      Pixel centres are aligned as in PyTorch's interpolate(align_corners=False). Transposed convolution \
      is available as a pipeline stage (conv-transpose).

      Example:
        convolve upsample small.png big.png --scale 2 --method bilinear
      """)

  @Argument(help: "Input image (PNG or JPEG).") var input: String
  @Argument(help: "Output image.") var output: String
  @Option(help: "Scale factor (e.g. 2 or 1.5).") var scale: Double = 2
  @Option(help: "nearest or bilinear.") var method: ResizeMethod = .bilinear
  @OptionGroup(title: "Output") var out: ImageOutputOptions
  @OptionGroup(title: "Input") var load: ImageInputOptions

  func run() throws {
    try checkOutput(output, input: input, inPlace: out.inPlace)
    let image = try load.load(input)
    let result = try ConvolveCNN.upsample(image.tensor, scale: scale, method: method)
    try out.save(ConvolveCore.map(result, out.outputRange ?? .clip), to: output, input: image.info)
  }
}
