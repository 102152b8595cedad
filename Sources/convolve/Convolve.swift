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

  /// As ArgumentParser's `main`, except that a size computed from the parameters that is beyond a limit
  /// (`ConvolveError.tooLarge`: an output over --max-pixels, an overflowing size) is a value error, exit 64,
  /// printed as one line without the usage.
  static func main() {
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch let error as ConvolveError {
      if case .tooLarge = error {
        writeStandardError("Error: \(error.description)\n")
        Foundation.exit(ExitCode.validationFailure.rawValue)
      }
      exit(withError: error)
    } catch {
      exit(withError: error)
    }
  }
}
