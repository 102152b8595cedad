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

/// The filter a photo command applies: a library filter by `name`, an inline `kernel` (any syntax
/// `parseKernelArgument` reads) or a `kernelFile`, with the generated filters' `overrides`; normalised to a sum of
/// one when asked. A libvips matrix's offset is in 0...255 units: divided by 255 for photos (values in [0, 1],
/// whatever the bit depth), kept as is for matrices (`photo: false`).
public func resolveFilter(
  name: String?, kernel: String?, kernelFile: String?, overrides: FilterParameters, normalize: Bool, photo: Bool
) throws -> ResolvedFilter {
  var resolved: ResolvedFilter
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
