import ArgumentParser
import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveLecture
import ConvolveRender
import Foundation

@main
struct Convolve: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Image filtering and CNN layers on PNG and JPEG photos.",
    discussion: """
      Images load as planar Float32 tensors (channels x height x width) with values in [0, 1] for \
      every bit depth; results stay Float32 until an output step maps them to 8 or 16 bits.
      `filter` CONVOLVES (the kernel is flipped, as in the lecture); pass --correlate to slide it unflipped.
      """,
    version: "0.1.0",
    subcommands: [
      FilterCommand.self, FiltersCommand.self, InfoCommand.self, LayerCommand.self, RunCommand.self, ModelCommand.self,
      PoolCommand.self, UpsampleCommand.self, ExplainCommand.self, ShapeCommand.self, BatchCommand.self,
    ]
  )
}
