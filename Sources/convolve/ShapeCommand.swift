import ArgumentParser
import ConvolveJobs
import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveLecture
import ConvolveRender
import Foundation

struct ShapeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "shape",
    abstract: "Output sizes and parameter counts of a stack of layers, or of a pipeline file.",
    usage: "convolve shape <input> [<stages> ...] [<options>]\n       convolve shape --pipeline <file> <input> [<options>]",
    discussion: """
      Stages, as a pipeline file's (conv, pool, upsample, conv-transpose, fc, flatten,
      global-avg-pool, activation), in short:
        conv:N:K[xK2][:s=S][:p=P|same][:d=D][:g=G]      N filters of K x K2 x C/G
        pool:max|avg|min:K[xK2][:s=S][:p=P][:ceil]       stride K unless given
        convT:N:K[xK2][:s=S][:p=P][:op=OP][:d=D][:g=G]   transposed convolution
        upsample:F                                       floor(N*F), as PyTorch
        fc:N   flatten   gap                             fully connected, C*H*W, mean
        relu  leaky-relu[:A]  sigmoid  tanh  elu[:A]  maxout:K
      Each stage prints its formula with the numbers filled in, (N + 2P - F)/S + 1, its output shape, \
      its receptive field and its parameter count, from the same geometry code the layers run. The \
      receptive field is in input pixels: rf, the pixels one output position sees; jump, the pixels \
      between neighbouring positions' fields; start, the centre of the first one's (negative: padding):
        rf = r + (K-1)*D*j     jump = j*S     start = start + (D(K-1)/2 - P)*j
      (r, j, start: the previous stage's; a transposed convolution divides by S instead). Where a stride does not fit (the \
      lecture's 7x7 input, 3x3 filter, stride 3: 2.33) a note explains it and names the padding that would \
      fit, and the size is rounded down as PyTorch does; --strict stops there instead, --ceil rounds pools up.

      INPUT: \(ShapeInput.orderRule). Shapes are written in the input's order; --chw or --hwc decides \
      for three numbers.

      Examples:
        convolve shape 32x32x3 conv:6:5
        convolve shape 32x32x3 conv:10:5:s=1:p=2
        convolve shape 7x7x1 conv:1:3:s=3
        convolve shape 3x227x227 conv:96:11:s=4 relu pool:max:3:s=2 \\
            conv:256:5:p=2:g=2 flatten fc:4096
        convolve shape --pipeline edges 480x640
      """)

  @Argument(help: "Input size: HxWxC (the lecture's), CxHxW (PyTorch's), NxCxHxW or HxW.") var input: String
  @Argument(help: "Stages, in order.") var stages: [String] = []
  @Option(help: ArgumentHelp("Print the stage shapes of this pipeline file (or library pipeline, e.g. edges) on an input of the given size (default: none, the stages are given).", valueName: "file"), completion: .file())
  var pipeline: String?
  @Flag var rounding: PoolRounding = .floor
  @Flag(help: "Read three numbers as PyTorch's CxHxW.") var chw = false
  @Flag(help: "Read three numbers as the lecture's HxWxC.") var hwc = false

  func validate() throws {
    if chw && hwc { throw ValidationError("give at most one of --chw and --hwc") }
    if pipeline != nil && !stages.isEmpty {
      throw ValidationError("with --pipeline the stages come from the file; give only the input size")
    }
  }

  func run() throws {
    let order: ShapeOrder? = chw ? .chw : hwc ? .hwc : nil
    let size: ShapeInput
    do { size = try ShapeInput(parsing: input, order: order) } catch let error as ConvolveError {
      throw ValidationError(error.description)
    }
    if let pipeline {
      // HxW alone is a photo.
      let photo = input.lowercased().split(whereSeparator: { "x×, ".contains($0) }).count == 2
      for line in try pipelineShapes(path: pipeline, size: size, photo: photo, rounding: rounding.rounding) { print(line) }
      return
    }
    print(try shapeReport(input: size, stages: stages, rounding: rounding.rounding))
  }
}
