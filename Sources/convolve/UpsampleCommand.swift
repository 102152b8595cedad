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

  @Argument(help: "Input image (PNG or JPEG).") var input: String
  @Argument(help: "Output image.") var output: String
  @Option(help: "Scale factor (e.g. 2 or 1.5).") var scale: Double = 2
  @Option(help: "nearest or bilinear.") var method: ResizeMethod = .bilinear
  @OptionGroup(title: "Output") var out: ImageOutputOptions
  @OptionGroup(title: "Input") var load: ImageInputOptions

  func run() throws {
    try checkOutput(output, input: input, inPlace: out.inPlace)
    let image = try load.load(input)
    let size = try upsampledSize(height: image.tensor.height, width: image.tensor.width, scaleY: scale, scaleX: scale)
    try checkPixels("the output", height: size.height, width: size.width, maxPixels: load.maxPixels, fix: "lower --scale")
    let result = try ConvolveCNN.upsample(image.tensor, scale: scale, method: method)
    try out.save(ConvolveCore.map(result, out.outputRange ?? .clip), to: output, input: image.info)
  }
}
