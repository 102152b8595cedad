import ArgumentParser
import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveLecture
import ConvolveRender
import Foundation

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

  @Argument(help: "Input image (PNG or JPEG), or - for standard input.", completion: imageFileCompletion) var input: String
  @Argument(help: "Output image, or - for standard output (with --format).", completion: .file()) var output: String
  @Option(help: ArgumentHelp("The format written to standard output (output -): png or jpg.", valueName: "format"))
  var format: ImageFormat?
  @Option(help: "max, avg or min.") var kind: PoolingKind = .max
  @Option(help: "Window size: N or H,W.") var size = Pair(2, 2)
  @Option(help: "Stride: N or Y,X (default: the window size).") var stride: Pair?
  @Option(help: "Padding on each side.") var padding = 0
  @Flag(help: "Drop input rows and columns a stride cannot reach instead of failing.") var floor = false
  @OptionGroup(title: "Output") var out: ImageOutputOptions
  @OptionGroup(title: "Input") var load: ImageInputOptions

  func validate() throws { try checkStreamFormat(output: output, format: format) }

  func run() throws {
    try checkOutput(output, input: input, inPlace: out.inPlace)
    let image = try load.load(input)
    let stride = stride ?? size
    let pooling = Pooling(
      kind, kernelHeight: size.y, kernelWidth: size.x, strideY: stride.y, strideX: stride.x,
      padding: Padding(padding), rounding: floor ? .floor : .exact)
    let pooled = try pooling.apply(to: image.tensor)
    try out.save(ConvolveCore.map(pooled, out.outputRange ?? .clip), to: output, input: image, format: format)
  }
}
