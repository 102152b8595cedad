import ConvolveCore
import ConvolveFormats

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
