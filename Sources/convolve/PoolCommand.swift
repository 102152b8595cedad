import ArgumentParser
import ConvolveJobs
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
    abstract: "Max, mean (avg) or min pooling of every channel of a photo.",
    discussion: """
      Windows of SIZE x SIZE move by STRIDE (default SIZE): out = floor((n + 2p - size) / stride) + 1, as \
      PyTorch; a note names the rows and columns the stride leaves unused. --ceil rounds up instead (a last, \
      partial window: PyTorch's ceil_mode), --strict refuses. Average pooling divides by the full window, \
      padding included.

      Example:
        convolve pool photo.png small.png --kind max --size 2
      """)

  @OptionGroup var files: ImageFiles
  @Option(help: "What each window gives: its largest value, its mean or its smallest value.") var kind: PoolingKind = .max
  @Option(help: ArgumentHelp("Window size: N or H,W.", valueName: "size")) var size = Pair(2, 2)
  @Option(help: ArgumentHelp("Stride: N or Y,X (default: the window size).", valueName: "stride")) var stride: Pair?
  @Option(help: ArgumentHelp("Padding on each side.", valueName: "p")) var padding = 0
  @Flag var rounding: PoolRounding?
  @OptionGroup(title: "Output") var out: ImageOutputOptions
  @OptionGroup(title: "Input") var load: ImageInputOptions

  func run() throws {
    let image = try files.load(load)
    let stride = stride ?? size
    let pooling = Pooling(
      kind, kernelHeight: size.y, kernelWidth: size.x, strideY: stride.y, strideX: stride.x,
      padding: Padding(padding), rounding: (rounding ?? .floor).rounding)
    let (h, w) = (image.tensor.height, image.tensor.width)
    let (outH, outW) = try pooling.outputSize(inputHeight: h, inputWidth: w)
    try checkPixels("the output", height: outH, width: outW, maxPixels: load.maxPixels, fix: "")
    let unused = try pooling.unusedSamples(inputHeight: h, inputWidth: w)
    if rounding == nil, let text = unusedSamplesDescription(rows: unused.rows, columns: unused.columns, height: h, width: w) {
      printNote("\(text): the output is \(pictureSizeText(width: outW, height: outH)) (\(roundingHint(pools: true)))")
    }
    let pooled = try pooling.apply(to: image.tensor)
    try files.save(mapOutput(pooled, out.outputRange ?? .clip), out, input: image)
  }
}
