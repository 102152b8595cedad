import ArgumentParser
import ConvolveCore
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
      FilterCommand.self, FiltersCommand.self, InfoCommand.self, LayerCommand.self, RunCommand.self,
      PoolCommand.self, UpsampleCommand.self, ExplainCommand.self, ShapeCommand.self, BatchCommand.self,
    ]
  )
}

extension Border: ExpressibleByArgument {
  public init?(argument: String) { self.init(name: argument) }
  public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension OutputMode: ExpressibleByArgument {}

/// Parses `N` or `Y,X` into a pair of positive integers.
struct Pair: ExpressibleByArgument, Equatable, CustomStringConvertible {
  var y: Int, x: Int
  init(_ y: Int, _ x: Int) { (self.y, self.x) = (y, x) }
  var description: String { y == x ? "\(y)" : "\(y),\(x)" }
  var defaultValueDescription: String { description }
  init?(argument: String) {
    let parts = argument.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard parts.allSatisfy({ $0 != nil }) else { return nil }
    switch parts.count {
    case 1: (y, x) = (parts[0]!, parts[0]!)
    case 2: (y, x) = (parts[0]!, parts[1]!)
    default: return nil
    }
  }
}

/// Parses padding as `P`, `V,H` or `TOP,BOTTOM,LEFT,RIGHT`.
extension Padding: ExpressibleByArgument {
  public init?(argument: String) {
    let parts = argument.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
    switch parts.count {
    case 1: self.init(parts[0]!)
    case 2: self.init(vertical: parts[0]!, horizontal: parts[1]!)
    case 4: self.init(top: parts[0]!, bottom: parts[1]!, left: parts[2]!, right: parts[3]!)
    default: return nil
    }
  }
}
