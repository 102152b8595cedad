import ArgumentParser
import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveLecture
import ConvolveRender
import Foundation

struct ExplainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "explain",
    abstract: "Show a small convolution step by step, as the lecture works it out.",
    discussion: """
      Prints the kernel (folded for convolution), the padded input, the output-size formula with the \
      numbers filled in, the products and sum at each output position, and the result. --toeplitz adds \
      the doubly block-Toeplitz matrix form (full mode).

      With a multi-channel input and one kernel per channel (channels separated by '|'), it explains one \
      position of a CNN layer: per-channel sums of the cross-correlation, then + bias.

      Examples (the lecture's):
        convolve explain --input "4,5,6;7,8,9" --kernel "1;1;1" --mode full
        convolve explain --input "3,1;2,4" --kernel "1,5;2,3" --mode full \\
            --correlate --toeplitz
        convolve explain --rgb-example
      """)

  // `.unconditional`: values starting with '-' ("-1,0,1") are taken as values, not options.
  @Option(parsing: .unconditional, help: ArgumentHelp("Input matrix: \"4,5,6;7,8,9\", a .txt file or a .npy file; channels separated by '|' (default: none; give --input and --kernel, or --rgb-example).", valueName: "matrix"))
  var input: String?
  @Option(parsing: .unconditional, help: ArgumentHelp("Kernel matrix, same syntax; one per input channel for the layer view (default: none).", valueName: "matrix"))
  var kernel: String?
  @Option(help: ArgumentHelp("Bias added in the layer view.", valueName: "b")) var bias: Float = 0
  @Option(help: ArgumentHelp("Output position Y,X explained in the layer view.", valueName: "y,x")) var at = Pair(0, 0)
  @Option(help: ArgumentHelp("Zero padding on each side in the layer view.", valueName: "p")) var layerPadding = 1
  @Option(help: ArgumentHelp("How many output positions to write out in full.", valueName: "n")) var positions = 12
  @Flag(help: "Also show the doubly block-Toeplitz matrix form (full mode, zero border).") var toeplitz = false
  @Flag(help: "Slide the kernel unflipped (correlation).") var correlate = false
  @Flag(help: "Explain the lecture's RGB example: 3x3x3 kernel with bias 1 giving -25.") var rgbExample = false
  @OptionGroup(title: "Geometry") var geometry: GeometryOptions

  func run() throws {
    if rgbExample {
      print(explainLayerPosition(input: lectureRGB, bank: lectureRGBKernels, bias: 1, y: 0, x: 0, padding: 1))
      return
    }
    guard let input, let kernel else { throw ValidationError("give --input and --kernel (or --rgb-example)") }
    let x = try readMatrix(input), k = try readMatrix(kernel)
    if x.channels > 1 && k.channels == x.channels {
      let kernels = (0 ..< k.channels).map { Kernel(height: k.height, width: k.width, weights: k.plane($0).data) }
      let text = explainLayerPosition(input: x, bank: kernels, bias: bias, y: at.y, x: at.x, padding: layerPadding)
      if text.hasPrefix("error:") { throw ValidationError(String(text.dropFirst(7))) }
      print(text)
      return
    }
    guard k.channels == 1 else {
      throw ValidationError("the kernel has \(k.channels) channels; the input has \(x.channels)")
    }
    let options = geometry.options(correlate: correlate, defaultBorder: .zero)
    print(
      try explainConvolution(
        input: x, kernel: Kernel(height: k.height, width: k.width, weights: k.data), options: options,
        maxPositions: positions, toeplitz: toeplitz))
  }
}
