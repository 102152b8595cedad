import ConvolveCore
import Foundation



/// Every filter file of a folder, by name.
public struct FilterLibrary: Sendable {
  /// The folder the filters were read from.
  public let folder: String
  /// The filters, sorted by name.
  public let definitions: [FilterDefinition]

  /// Loads every `*.json` file of `folder`; each file's `"name"` must match its file name.
  public init(folder: String) throws {
    let files: [String]
    do {
      files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") }.sorted()
    } catch {
      throw ConvolveError.file(path: folder, reason: "cannot list the filter folder")
    }
    var definitions: [FilterDefinition] = []
    for file in files {
      let path = (folder as NSString).appendingPathComponent(file)
      let definition = try FilterDefinition(contentsOf: path)
      let stem = (file as NSString).deletingPathExtension
      guard definition.name == stem else {
        throw ConvolveError.file(
          path: path, reason: "\"name\" is \"\(definition.name)\" but the file is \(file); they must match")
      }
      definitions.append(definition)
    }
    self.init(folder: folder, definitions: definitions)
  }

  public init(folder: String = "", definitions: [FilterDefinition]) {
    self.folder = folder
    self.definitions = definitions.sorted { $0.name < $1.name }
  }

  /// Loads the library from `locate()`.
  public static func standard() throws -> FilterLibrary {
    guard let folder = try locate() else {
      throw ConvolveError.invalidArgument(
        "cannot find the filter library: no share/convolve/Filters beside the executable's folder (where "
          + "scripts/install.sh puts it) and no Filters folder with JSON files above the executable or the current "
          + "directory; reinstall with scripts/install.sh PREFIX or set CONVOLVE_FILTERS to its path")
    }
    return try FilterLibrary(folder: folder)
  }

  /// The library folder: `$CONVOLVE_FILTERS` if set; else where `scripts/install.sh PREFIX` puts it beside an
  /// installed binary, `PREFIX/share/convolve/Filters` for `PREFIX/bin/convolve`; else the first `Filters` folder
  /// found walking up from the executable's real path (symlinks resolved: a build in a checkout), then from the
  /// current directory. Only folders holding a `.json` file count. Nil when there is none; an error when
  /// `CONVOLVE_FILTERS` is not a folder.
  public static func locate(
    environment: [String: String] = ProcessInfo.processInfo.environment,
    executablePaths: [String]? = nil,
    currentDirectory: String = FileManager.default.currentDirectoryPath
  ) throws -> String? {
    if let configured = environment["CONVOLVE_FILTERS"], !configured.isEmpty {
      var isFolder: ObjCBool = false
      guard FileManager.default.fileExists(atPath: configured, isDirectory: &isFolder), isFolder.boolValue else {
        throw ConvolveError.file(path: configured, reason: "CONVOLVE_FILTERS does not name a folder")
      }
      return configured
    }
    let executables =
      executablePaths ?? ["/proc/self/exe"] + CommandLine.arguments.prefix(1).filter { $0.contains("/") }
    let executableFolders = executables.compactMap { realPath($0).map { ($0 as NSString).deletingLastPathComponent } }
    for folder in executableFolders {
      let installed = (((folder as NSString).deletingLastPathComponent as NSString)
        .appendingPathComponent("share/convolve/Filters") as NSString).standardizingPath
      if holdsFilters(installed) { return installed }
    }
    let starts = executableFolders + [realPath(currentDirectory) ?? currentDirectory]
    for start in starts {
      var dir = start
      while true {
        let candidate = (dir as NSString).appendingPathComponent("Filters")
        if holdsFilters(candidate) { return candidate }
        let parent = (dir as NSString).deletingLastPathComponent
        if parent == dir || parent.isEmpty { break }
        dir = parent
      }
    }
    return nil
  }

  /// The filter names, sorted.
  public var names: [String] { definitions.map(\.name) }

  /// The filter called `name`; an unknown name throws, suggesting the closest one.
  public func definition(named name: String) throws -> FilterDefinition {
    if let found = definitions.first(where: { $0.name == name }) { return found }
    if let close = closestName(to: name, in: names) {
      throw ConvolveError.invalidArgument("unknown filter '\(name)'; did you mean '\(close)'?")
    }
    throw ConvolveError.invalidArgument("unknown filter '\(name)'; available: \(names.joined(separator: ", "))")
  }

  /// The named filter with `overrides` applied to its generator parameters.
  public func resolve(_ name: String, overrides: FilterParameters = .init()) throws -> ResolvedFilter {
    try resolve(definition(named: name), overrides: overrides)
  }

  /// `definition` made runnable; components are looked up in this library. Overrides are only
  /// accepted by generated filters, and only the parameters their generator reads.
  public func resolve(_ definition: FilterDefinition, overrides: FilterParameters = .init()) throws -> ResolvedFilter {
    func resolved(
      _ kernels: [Kernel], _ combine: FilterCombine, _ parameters: FilterParameters = .init()
    ) -> ResolvedFilter {
      ResolvedFilter(
        name: definition.name, kernels: kernels, combine: combine, output: definition.output, kind: definition.kind,
        parameters: parameters)
    }
    switch definition.source {
    case .kernel:
      try rejectOverrides(overrides, for: definition)
      return resolved([definition.kernel!], .single)
    case .generator(let generator, let defaults):
      let extra = overrides.givenNames.filter { !generator.parameterNames.contains($0) }
      guard extra.isEmpty else {
        throw ConvolveError.invalidArgument(
          "filter '\(definition.name)' takes \(generator.parameterNames.joined(separator: ", ")), "
            + "not \(extra.joined(separator: ", "))")
      }
      let parameters = defaults.merging(overrides)
      let kernel = try generate(generator, parameters)
      return resolved([kernel], .single, effective(generator, parameters, kernel))
    case .components(let names, let combine):
      try rejectOverrides(overrides, for: definition)
      var kernels: [Kernel] = []
      for component in names {
        guard let part = definitions.first(where: { $0.name == component }) else {
          let hint = closestName(to: component, in: self.names).map { "; did you mean '\($0)'?" } ?? ""
          throw ConvolveError.file(
            path: definition.path, reason: "component '\(component)' is not in the library\(hint)")
        }
        guard case .kernel = part.source, let kernel = part.kernel else {
          throw ConvolveError.file(
            path: definition.path, reason: "component '\(component)' must be a filter with fixed \"rows\"")
        }
        if let first = kernels.first, first.height != kernel.height || first.width != kernel.width {
          throw ConvolveError.file(
            path: definition.path,
            reason: "components differ in size: '\(names[0])' is \(planeSizeText(height: first.height, width: first.width)), "
              + "'\(component)' is \(planeSizeText(height: kernel.height, width: kernel.width))")
        }
        kernels.append(kernel)
      }
      return resolved(kernels, combine)
    }
  }

  private func rejectOverrides(_ overrides: FilterParameters, for definition: FilterDefinition) throws {
    let given = overrides.givenNames
    guard given.isEmpty else {
      throw ConvolveError.invalidArgument(
        "filter '\(definition.name)' has fixed weights and takes no parameters (got \(given.joined(separator: ", ")))")
    }
  }

  /// The parameters as the generator used them, defaults filled in (the radius read off the kernel).
  private func effective(_ generator: KernelGenerator, _ p: FilterParameters, _ kernel: Kernel) -> FilterParameters {
    switch generator {
    case .gaussian, .unsharp:
      return FilterParameters(
        sigma: p.sigma ?? 1, radius: (kernel.height - 1) / 2, amount: generator == .unsharp ? p.amount ?? 1 : nil)
    case .box, .identity: return FilterParameters(size: kernel.height)
    }
  }
}

/// Whether `folder` exists and holds a `.json` file.
private func holdsFilters(_ folder: String) -> Bool {
  (try? FileManager.default.contentsOfDirectory(atPath: folder))?.contains(where: { $0.hasSuffix(".json") }) ?? false
}

private func realPath(_ path: String) -> String? {
  guard !path.isEmpty, let resolved = realpath(path, nil) else { return nil }
  defer { free(resolved) }
  return String(cString: resolved)
}
