import ArgumentParser
import ConvolveJobs
import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveLecture
import ConvolveRender
import Foundation

struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a CNN pipeline file on a photo and write every stage's output.",
    discussion: """
      A pipeline is a JSON file listing stages (conv, conv-transpose, activation, pool, global-avg-pool, \
      upsample, flatten); see Filters/pipelines/README.md; the library's pipelines (edges, colour, lecture) are given by name. Where a conv or pool stride does not reach the last \
      rows or columns, sizes round down as PyTorch does and a note names them (--strict refuses instead). Each saved stage is written as \
      OUTDIR/<NN>-<stage>.png: a montage of its feature maps, or an image when no convolution has run yet; \
      flattened vectors are written as .npy. --report adds OUTDIR/report.html, one page (no script, images \
      beside it) with the input and every stage: operation, shape, time, value range overall and per map, image. \
      The folder is written whole or not at all. A stage that cannot run on the photo is an error about \
      the pipeline file (exit status 1).

      Example:
        convolve run edges SampleImages/astronaut.png \\
            out/edges --colormap viridis --report
      """)

  @Argument(help: "Pipeline file (JSON), or a library pipeline's name (edges; `convolve filters` lists them).", completion: .file()) var pipeline: String
  @Argument(help: "Input image (PNG, JPEG, WebP, TIFF, AVIF or HEIC).", completion: .file()) var input: String
  @Argument(help: "Folder for the outputs (created if missing).", completion: .directory) var outputDirectory: String
  @Flag(help: "Also write the mean of the last stage's maps as a heat map over the photo.") var overlay = false
  @Flag(help: "Also write OUTDIR/report.html: every stage's operation, shape, time, value range and image.")
  var report = false
  @Flag var rounding: StrideRounding?

  @OptionGroup(title: "Feature maps") var mapOptions: MapOutputOptions
  @OptionGroup(title: "Input") var load: ImageInputOptions

  func run() throws {
    let loaded = try Pipeline.load(named: pipeline, option: nil)
    var chain = loaded.pipeline
    let pipeline = loaded.path
    if rounding == .strict { chain = chain.rounding(.floor, to: .strict) }
    let image = try load.load(input)
    let (c, h, w) = (image.tensor.channels, image.tensor.height, image.tensor.width)
    let notes = try fileContent(pipeline) {
      try checkPipeline(chain, channels: c, height: h, width: w, maxPixels: load.maxPixels)
    }
    if rounding == nil { notes.forEach(printNote) }
    try writeOutputFolder(outputDirectory) { folder, log in
      try fileContent(pipeline) {
        try runStages(
          chain, image: image.tensor, input: input, outputDirectory: folder, maps: mapOptions.writer, overlay: overlay,
          report: report, prefix: { i, stage in String(format: "%02d-", i + 1) + stage.name }, log: log)
      }
    }
  }
}
