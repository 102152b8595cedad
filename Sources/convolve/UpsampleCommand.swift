import ArgumentParser
import ConvolveJobs
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
    usage: "convolve upsample <input> <output> [--scale <F>] [<options>]",
    discussion: """
      As PyTorch's interpolate(scale_factor=F): the output is floor(n F) pixels per side, and output \
      pixel x reads the input at
        nearest        floor(x / F)          PyTorch 'nearest'; ONNX Resize
                                             asymmetric, nearest_mode floor
        nearest-exact  floor((x + 0.5) / F)  PyTorch 'nearest-exact', OpenCV, Pillow;
                                             ONNX half_pixel, round_prefer_ceil
        bilinear       (x + 0.5) / F - 0.5   PyTorch 'bilinear', align_corners=False
      Transposed convolution is available as a pipeline stage (conv-transpose).

      Examples:
        convolve upsample small.png big.png --scale 2 --method bilinear
        convolve upsample small.png big.png --scale 1.5 --method nearest-exact
      """)

  @OptionGroup var files: ImageFiles
  @Option(help: ArgumentHelp("Scale factor (e.g. 2 or 1.5).", valueName: "F")) var scale: Double = 2
  @Option(help: "Interpolation: nearest (PyTorch's, top-left aligned), nearest-exact (centre aligned) or bilinear.")
  var method: ResizeMethod = .bilinear
  @OptionGroup(title: "Output") var out: ImageOutputOptions
  @OptionGroup(title: "Input") var load: ImageInputOptions

  func run() throws {
    let image = try files.load(load)
    let size = try upsampledSize(height: image.tensor.height, width: image.tensor.width, scaleY: scale, scaleX: scale)
    try checkPixels("the output", height: size.height, width: size.width, maxPixels: load.maxPixels, fix: "lower --scale")
    let result = try ConvolveCNN.upsample(image.tensor, scale: scale, method: method)
    try files.save(mapOutput(result, out.outputRange ?? .clip), out, input: image)
  }
}
