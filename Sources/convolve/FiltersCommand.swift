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
    commandName: "filters", abstract: "List the filter library: its filters, CNN layers and pipelines.")

  @Argument(
    help: "Show these filters' kernels in full (or a layer's or pipeline's path and shape).",
    completion: .custom { _, _, prefix in
      (((try? standardLibrary.get())?.names ?? []) + libraryFiles(.layer).map(\.name) + libraryFiles(.pipeline).map(\.name))
        .filter { $0.hasPrefix(prefix) }
    })
  var names: [String] = []

  func run() throws {
    let library = try standardLibrary.get()
    if !names.isEmpty {
      for name in names { Swift.print(try describeLibraryEntry(name, library)) }
      return
    }
    print("Filters in \(library.folder):")
    let width = library.names.map(\.count).max() ?? 0
    for d in library.definitions {
      let size = (try? library.resolve(d)).map { r in r.kernels.map { "\($0.height)x\($0.width)" }.joined(separator: "+") } ?? "?"
      print("  \(d.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(d.kind.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0))  \(size.padding(toLength: 7, withPad: " ", startingAt: 0))  \(d.description)")
    }
    let layers = libraryFiles(.layer), pipelines = libraryFiles(.pipeline)
    let column = (layers + pipelines).map(\.name.count).max() ?? 0
    func pad(_ s: String) -> String { s.padding(toLength: column, withPad: " ", startingAt: 0) }
    if !layers.isEmpty {
      print("\nLayers (--weights NAME, --bias NAME) in \(join(library.folder, "layers")):")
      for (name, path) in layers { print("  \(pad(name))  \(layerSummary(path))") }
    }
    if !pipelines.isEmpty {
      print("\nPipelines (convolve run NAME, --pipeline NAME) in \(join(library.folder, "pipelines")):")
      for (name, path) in pipelines {
        let text = (try? Pipeline.load(path: path, kernelNamed: libraryKernel(named:))).map(\.description) ?? "(cannot be read)"
        print("  \(pad(name))  \(text)")
      }
    }
  }
}

/// A filter's kernels, or a library layer's or pipeline's path and shape.
private func describeLibraryEntry(_ name: String, _ library: FilterLibrary) throws -> String {
  if library.names.contains(name) { return try library.resolve(name).describe() }
  if let layer = libraryFiles(.layer).first(where: { $0.name == name }) {
    return "layer \(name): \(layerSummary(layer.path))\n  \(layer.path)"
  }
  if let pipeline = libraryFiles(.pipeline).first(where: { $0.name == name }) {
    let chain = try Pipeline.load(path: pipeline.path, kernelNamed: libraryKernel(named:))
    let stages = chain.stages.map(\.name).joined(separator: " -> ")
    return "pipeline \(name): \(chain.description)\n  stages: \(stages)\n  \(pipeline.path)"
  }
  let all = library.names + libraryFiles(.layer).map(\.name) + libraryFiles(.pipeline).map(\.name)
  let hint = closestName(to: name, in: all).map { "; did you mean '\($0)'?" } ?? ""
  throw ConvolveError.invalidArgument("the library has no filter, layer or pipeline '\(name)'\(hint)")
}

/// `10 filters of 3x9x9 (CxHxW)` for weights, `10 values` for a bias.
private func layerSummary(_ path: String) -> String {
  guard let array = try? NPYArray.read(path: path) else { return "(cannot be read)" }
  let s = array.shape
  switch s.count {
  case 4: return "\(s[0]) filters of \(s[1])x\(s[2])x\(s[3]) (CxHxW)"
  case 1: return "bias, \(s[0]) values"
  default: return "shape \(s)"
  }
}
