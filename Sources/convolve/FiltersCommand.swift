import ArgumentParser
import ConvolveJobs
import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveLecture
import ConvolveRender
import Foundation

struct FiltersCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "filters", abstract: "List the filter library (the JSON files in Filters/).")

  @Argument(help: "Show these filters' kernels in full.", completion: filterNameCompletion) var names: [String] = []

  func run() throws {
    let library = try standardLibrary.get()
    if !names.isEmpty {
      for name in names { Swift.print(try library.resolve(name).describe()) }
      return
    }
    print("Filters in \(library.folder):")
    let width = library.names.map(\.count).max() ?? 0
    for d in library.definitions {
      let size = (try? library.resolve(d)).map { r in r.kernels.map { "\($0.height)x\($0.width)" }.joined(separator: "+") } ?? "?"
      print("  \(d.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(d.kind.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0))  \(size.padding(toLength: 7, withPad: " ", startingAt: 0))  \(d.description)")
    }
  }
}
