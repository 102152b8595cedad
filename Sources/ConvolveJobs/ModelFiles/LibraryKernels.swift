import ConvolveCore
import ConvolveFormats
import ConvolveCNN
import Foundation

/// The filter library, read once per process.
public let standardLibrary = Result { try FilterLibrary.standard() }

/// Resolves a library filter name to its (first) kernel, for layers and pipelines.
public func libraryKernel(named name: String) throws -> Kernel {
  let filter = try standardLibrary.get().resolve(name)
  guard filter.kernels.count == 1 else {
    throw ConvolveError.invalidArgument(
      "filter '\(name)' combines \(filter.kernels.count) kernels; name its parts (e.g. \(name)-x, \(name)-y)")
  }
  return filter.kernels[0]
}

/// Library kernels for one layer, whose filters must share one size: each zero-padded to the largest height and
/// width, centred (an odd difference puts the extra row below, the extra column on the right), so that it
/// responds as it does alone; with a note naming the padded ones (nil when all had one size).
public func commonSizeKernels(_ kernels: [Kernel], names: [String]) -> (kernels: [Kernel], note: String?) {
  let height = kernels.map(\.height).max() ?? 0, width = kernels.map(\.width).max() ?? 0
  var padded: [String] = []
  let result = kernels.enumerated().map { i, k -> Kernel in
    guard k.height != height || k.width != width else { return k }
    padded.append("\(i < names.count ? names[i] : "filter \(i + 1)") (\(k.height)x\(k.width))")
    let top = (height - k.height) / 2, left = (width - k.width) / 2
    var weights = [Float](repeating: 0, count: height * width)
    for y in 0 ..< k.height {
      for x in 0 ..< k.width { weights[(y + top) * width + x + left] = k.weights[y * k.width + x] }
    }
    return Kernel(height: height, width: width, weights: weights)
  }
  let note = padded.isEmpty
    ? nil : "zero-padded to \(height)x\(width) (HxW), centred, to match the largest filter: \(padded.joined(separator: ", "))"
  return (result, note)
}

/// The filter a photo command applies: a library filter by `name`, an inline `kernel` (any syntax
/// `parseKernelArgument` reads) or a `kernelFile`, with the generated filters' `overrides`; normalised to a sum of
/// one when asked. A libvips matrix's offset is in 0...255 units: divided by 255 for photos (values in [0, 1],
/// whatever the bit depth), kept as is for matrices (`photo: false`).
public func resolveFilter(
  name: String?, kernel: String?, kernelFile: String?, overrides: FilterParameters, normalize: Bool, photo: Bool
) throws -> ResolvedFilter {
  var resolved: ResolvedFilter
  // A library filter's file given by a path that is not there (`Filters/emboss.json` from elsewhere): its name.
  if let kernelFile, let why = unreadableReason(kernelFile), kernelFile.hasSuffix(".json") {
    let stem = String(lastComponent(kernelFile).dropLast(5))
    if let library = try? standardLibrary.get(), library.names.contains(stem) {
      throw ConvolveError.file(
        path: kernelFile, reason: "cannot be read: \(why); the library's filter '\(stem)' is given as '--filter \(stem)'")
    }
  }
  if let name {
    resolved = try standardLibrary.get().resolve(name, overrides: overrides)
  } else {
    switch try kernel.map(parseKernelArgument) ?? readKernelFile(kernelFile ?? "") {
    case .filter(let definition):
      let library = (try? standardLibrary.get()) ?? FilterLibrary(definitions: [])
      resolved = try library.resolve(definition, overrides: overrides)
    case .matrix(let m):
      if let given = overrides.givenNames.first {
        throw ConvolveError.invalidArgument(
          "--\(given) applies to generated library filters, not to \(kernel != nil ? "--kernel" : "--kernel-file")")
      }
      let k = m.kernel
      let fromFile = kernelFile != nil || [.npy, .textFile, .vipsMatrix].contains(m.syntax)
      resolved = ResolvedFilter(
        name: fromFile ? lastComponent(kernelFile ?? kernel ?? "") : "inline", kernels: [k],
        output: m.offset == 0 && abs(k.sum) < 1e-6 ? .abs : .clip)
      resolved.offset = photo ? m.offset / 255 : m.offset
    }
  }
  if normalize { resolved.kernels = resolved.kernels.map(\.normalized) }
  return resolved
}

/// The library's ready-made files besides its filters: CNN layers (`layers/NAME.npy`, weights or a bias) and
/// pipelines (`pipelines/NAME.json`).
public enum LibraryFileKind: String, Sendable {
  case layer, pipeline

  var folder: String { self == .layer ? "layers" : "pipelines" }
  var fileExtension: String { self == .layer ? ".npy" : ".json" }
}

/// The library's files of `kind`: each name (the file name without its extension) and path, sorted by name;
/// empty when the library is not found.
public func libraryFiles(_ kind: LibraryFileKind) -> [(name: String, path: String)] {
  guard let library = try? standardLibrary.get() else { return [] }
  let folder = join(library.folder, kind.folder)
  let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
  return files.filter { $0.hasSuffix(kind.fileExtension) && !$0.hasPrefix(".") }.map {
    (String($0.dropLast(kind.fileExtension.count)), join(folder, $0))
  }.sorted { $0.0 < $1.0 }
}

/// The file a command-line argument names, a path or a library name: an existing file (or folder) is itself; a
/// path with a `/` is a path; a bare name (`edges`, or `edges.npy`) that is not a file here is the library's
/// `layers/edges.npy` or `pipelines/edges.json`. `base` is the folder relative paths start from (a pipeline
/// file's, for the files it names; nil: the current directory). A file that is not there is a file error saying
/// why, and, when the library has a file of that name, the name to give instead (`option`: how it is given,
/// `--weights`; nil for a positional argument).
public func resolveLibraryFile(_ argument: String, kind: LibraryFileKind, option: String?, base: String? = nil) throws
  -> String
{
  let path = base.map { argument.hasPrefix("/") ? argument : join($0, argument) } ?? argument
  var isFolder: ObjCBool = false
  let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
  // A folder named like a library file (an output folder `edges/`) does not hide it.
  if exists && (!isFolder.boolValue || argument.contains("/")) { return path }
  let stem = lastComponent(argument)
  let name = stem.hasSuffix(kind.fileExtension) ? String(stem.dropLast(kind.fileExtension.count)) : stem
  let files = libraryFiles(kind)
  let found = files.first { $0.name == name }
  if !argument.contains("/"), let found { return found.path }
  var reason = "cannot be read: \(unreadableReason(path) ?? "No such file or directory")"
  if let found {
    let give = option.map { "\($0) \(name)" } ?? name
    reason += "; the library's \(kind.rawValue) '\(name)' is \(found.path): give '\(give)'"
  } else if !argument.contains("/") {
    if let library = try? standardLibrary.get() {
      reason += ", and the library (\(join(library.folder, kind.folder))) has no \(kind.rawValue) '\(name)'"
      reason += closestName(to: name, in: files.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
      reason += " (`convolve filters` lists them)"
    } else {
      reason += ", and no filter library was found to look the name up in (set CONVOLVE_FILTERS)"
    }
  }
  throw ConvolveError.file(path: path, reason: reason)
}

/// A layer's `.npy` array (weights or bias) by path or library name (`resolveLibraryFile`), and the path read.
public func readLayerFile(_ argument: String, option: String?, base: String? = nil) throws -> (NPYArray, path: String) {
  let path = try resolveLibraryFile(argument, kind: .layer, option: option, base: base)
  return (try NPYArray.read(path: path), path)
}

extension Pipeline {
  /// A pipeline by path or library name (`resolveLibraryFile`), its library filters resolved, and the path read.
  public static func load(named argument: String, option: String?) throws -> (pipeline: Pipeline, path: String) {
    let path = try resolveLibraryFile(argument, kind: .pipeline, option: option)
    return (try load(path: path, kernelNamed: libraryKernel(named:)), path)
  }
}
