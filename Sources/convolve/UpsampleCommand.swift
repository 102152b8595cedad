import ArgumentParser
import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveLecture
import ConvolveRender
import Foundation

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

  @Argument(help: "Input image (PNG or JPEG), or - for standard input.", completion: imageFileCompletion) var input: String
  @Argument(help: "Output image, or - for standard output (with --format).", completion: .file()) var output: String
  @Option(help: ArgumentHelp("The format written to standard output (output -): png or jpg.", valueName: "format"))
  var format: ImageFormat?
  @Option(help: "Scale factor (e.g. 2 or 1.5).") var scale: Double = 2
  @Option(help: "nearest or bilinear.") var method: ResizeMethod = .bilinear
  @OptionGroup(title: "Output") var out: ImageOutputOptions
  @OptionGroup(title: "Input") var load: ImageInputOptions

  func validate() throws { try checkStreamFormat(output: output, format: format) }

  func run() throws {
    try checkOutput(output, input: input, inPlace: out.inPlace)
    let image = try load.load(input)
    let result = try ConvolveCNN.upsample(image.tensor, scale: scale, method: method)
    try out.save(ConvolveCore.map(result, out.outputRange ?? .clip), to: output, input: image, format: format)
  }
}
