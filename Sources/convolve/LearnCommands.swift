import ArgumentParser
import ConvolveCore
import ConvolveFormats
import ConvolveCNN
import ConvolveRender
import ConvolveLecture
import Foundation

/// A small matrix from the command line: inline text (`"4,5,6;7,8,9"`, channels split by `|`), a `.txt`
/// file with one row per line, or a `.npy` file.
func readMatrix(_ text: String) throws -> Tensor {
  if text.hasSuffix(".npy") { return try NPYArray.read(path: text).tensor() }
  if text.hasSuffix(".txt") {
    guard let contents = try? String(contentsOfFile: text, encoding: .utf8) else {
      throw ConvolveError.file(path: text, reason: "cannot read the matrix file")
    }
    do { return try parseMatrix(contents) } catch let error as ConvolveError {
      throw ConvolveError.file(path: text, reason: error.description)
    }
  }
  return try parseMatrix(text)
}

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
        convolve explain --input "3,1;2,4" --kernel "1,5;2,3" --mode full --correlate --toeplitz
        convolve explain --rgb-example
      """)

  @Option(help: "Input matrix: \"4,5,6;7,8,9\", a .txt file or a .npy file; channels separated by '|'.") var input: String?
  @Option(help: "Kernel matrix, same syntax; one per input channel for the layer view.") var kernel: String?
  @Option(help: "Bias added in the layer view.") var bias: Float = 0
  @Option(help: "Output position Y,X explained in the layer view.") var at = Pair(0, 0)
  @Option(help: "Zero padding on each side in the layer view.") var layerPadding = 1
  @Option(help: "How many output positions to write out in full.") var positions = 12
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

/// The lecture's zero-padded 6x6 corner of a photo, one matrix per colour channel (padding removed).
private let lectureRGB = Tensor(planes: [
  [[156, 155, 156, 158, 158], [153, 154, 157, 159, 159], [149, 151, 155, 158, 159], [146, 146, 149, 153, 158], [145, 143, 143, 148, 158]],
  [[167, 166, 167, 169, 169], [164, 165, 168, 170, 170], [160, 162, 166, 169, 170], [156, 156, 159, 163, 168], [155, 153, 153, 158, 168]],
  [[163, 162, 163, 165, 165], [160, 161, 164, 166, 166], [156, 158, 162, 165, 166], [155, 155, 158, 162, 167], [154, 152, 152, 157, 167]],
])

private let lectureRGBKernels = [
  Kernel(height: 3, width: 3, weights: [-1, -1, 1, 0, 1, -1, 0, 1, 1]),
  Kernel(height: 3, width: 3, weights: [1, 0, 0, 1, -1, -1, 1, 0, -1]),
  Kernel(height: 3, width: 3, weights: [0, 1, 1, 0, 1, 0, 1, -1, 1]),
]

struct ShapeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "shape",
    abstract: "Output sizes and parameter counts of a stack of layers.",
    discussion: """
      Stages:
        \(ShapeStage.grammar.joined(separator: "\n  "))
      Each stage prints its formula with the numbers filled in, (N + 2P - F)/S + 1, its output HxWxC and \
      (for conv) its parameter count. A stride that does not fit is an error that says which padding would \
      fit, unless --floor.

      Examples (the lecture's):
        convolve shape 32x32x3 conv:6:5
        convolve shape 32x32x3 conv:10:5:s=1:p=2
        convolve shape 7x7x1 conv:1:3:s=3
      """)

  @Argument(help: "Input size HxWxC (or HxW for one channel).") var input: String
  @Argument(help: "Stages, in order.") var stages: [String] = []
  @Flag(help: "Round sizes down where a stride does not fit, instead of stopping.") var floor = false

  func run() throws {
    let parts = input.lowercased().split(separator: "x").map { Int($0) }
    guard (2 ... 3).contains(parts.count), parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
      throw ValidationError("input size is '\(input)'; write HxWxC such as 32x32x3")
    }
    let size = (height: parts[0]!, width: parts[1]!, channels: parts.count == 3 ? parts[2]! : 1)
    print(try shapeReport(input: size, stages: stages, floor: floor))
  }
}
