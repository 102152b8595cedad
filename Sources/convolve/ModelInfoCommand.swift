import ArgumentParser
import ConvolveONNX
import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import Foundation

struct ModelInfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info",
    abstract: "List an ONNX model's inputs, outputs and nodes with their shapes, parameters and MFLOPs.",
    discussion: """
      Shapes are inferred for one input size: --size, else the model's declared size, else 640x640. \
      BatchNormalization is folded into the Conv before it (as when the model runs); shape arithmetic \
      (Shape, Gather, Concat, ...) is computed once and counted as folded; the total splits the header's node \
      count into those. Operators convolve does not run are listed (one line each, with their node count), \
      then every node with those marked, and the command exits with status 1.

      rf, jump and start are each node's receptive field in input pixels: how many pixels one output \
      position sees, how far apart neighbouring positions' fields are, and the centre of the first one's \
      (negative: in the padding). Through a window of k taps, stride s, dilation d, padding p before:
        rf = rf_in + (k-1)*d*jump_in      jump = jump_in*s
        start = start_in + (d(k-1)/2 - p)*jump_in
      A transposed conv divides the jump by s; a resize by f too (its interpolation adds a pixel or two). \
      Inputs joined (Add, Mul, Concat) take the union of their fields; a 1x1 gate from a global pool \
      (squeeze-and-excitation) is left out of it (marked *); after a global pool the field is the whole \
      input ("all").

      Example:
        convolve model info ch_PP-OCRv4_det_infer.onnx --size 640x640
      """)

  @Argument(help: "ONNX model file.", completion: .file()) var model: String
  @Option(help: ArgumentHelp("Input height and width to infer shapes for (default: the model's declared size, else 640x640).", valueName: "HxW"))
  var size: String?

  func validate() throws { _ = try size.map { try parseSize($0, option: "--size") } }

  func run() throws {
    let size = try size.map { try parseSize($0, option: "--size") }
    if try !modelInfo(try ONNXModel.load(path: model), path: model, size: size, print: { print($0) }) {
      throw ExitCode.failure
    }
  }
}
