import ArgumentParser
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
