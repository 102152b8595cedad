import ConvolveCore
import Foundation

/// What a filter does to the spectrum, as stated in its file.
public enum FilterKind: String, CaseIterable, Sendable {
  case highPass = "high-pass", lowPass = "low-pass", other
}

/// How a filter's float result is mapped to a viewable image by default: the CLI's `--output-range`.
public typealias FilterOutputMapping = OutputMapping

/// How the results of a filter's kernels are combined into one map.
public enum FilterCombine: String, CaseIterable, Sendable {
  /// One kernel, no combining.
  case single
  /// `sqrt(Σ yᵢ²)` over the kernels' results, e.g. the gradient magnitude of sobel-x and sobel-y.
  case magnitude
}

/// The kernel generators a filter file can name.
public enum KernelGenerator: String, CaseIterable, Sendable {
  case gaussian, box, identity, unsharp

  /// The parameters each generator reads, in the order they are listed in messages.
  public var parameterNames: [String] {
    switch self {
    case .gaussian: return ["sigma", "radius"]
    case .box, .identity: return ["size"]
    case .unsharp: return ["sigma", "amount", "radius"]
    }
  }
}

/// Generator parameters; every field is optional so the same type serves as a file's defaults and
/// as the user's overrides.
public struct FilterParameters: Equatable, Sendable {
  public var sigma: Double?
  public var radius: Int?
  public var amount: Double?
  public var size: Int?

  public init(sigma: Double? = nil, radius: Int? = nil, amount: Double? = nil, size: Int? = nil) {
    (self.sigma, self.radius, self.amount, self.size) = (sigma, radius, amount, size)
  }

  /// The names of the fields that are set, in declaration order.
  public var givenNames: [String] {
    [("sigma", sigma != nil), ("radius", radius != nil), ("amount", amount != nil), ("size", size != nil)]
      .filter(\.1).map(\.0)
  }

  /// `self` with every field that `overrides` sets replaced.
  public func merging(_ overrides: FilterParameters) -> FilterParameters {
    FilterParameters(
      sigma: overrides.sigma ?? sigma, radius: overrides.radius ?? radius, amount: overrides.amount ?? amount,
      size: overrides.size ?? size)
  }
}

/// What a `"divisor"` asks for: a fixed number, or the sum of the weights.
public enum KernelDivisor: Equatable, Sendable {
  case value(Float)
  case sum
}

/// One filter file, parsed and validated.
public struct FilterDefinition: Equatable, Sendable {
  /// Where the weights come from.
  public enum Source: Equatable, Sendable {
    /// Fixed weights as written, and the divisor to apply (nil: none).
    case kernel(Kernel, divisor: KernelDivisor?)
    /// Other filters of the library, by name, combined.
    case components([String], combine: FilterCombine)
    /// A generator with its default parameters.
    case generator(KernelGenerator, parameters: FilterParameters)
  }

  public var name: String
  public var description: String
  public var kind: FilterKind
  public var output: FilterOutputMapping
  public var source: Source
  /// The file it was read from, for messages.
  public var path: String

  /// The keys a filter file may contain.
  public static let allowedKeys = [
    "name", "description", "kind", "output", "rows", "divisor", "components", "combine", "generator", "parameters",
  ]

  public init(
    name: String, description: String = "", kind: FilterKind = .other, output: FilterOutputMapping = .clip,
    source: Source, path: String = ""
  ) {
    (self.name, self.description, self.kind, self.output, self.source, self.path) =
      (name, description, kind, output, source, path)
  }

  /// Reads and validates a filter file; a missing `"name"` defaults to the file name without `.json`.
  public init(contentsOf path: String) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ConvolveError.file(path: path, reason: "cannot be read (missing, a folder, or no permission)")
    }
    try self.init(json: data, path: path)
  }

  /// Parses filter JSON; `path` names the source in messages.
  public init(json data: Data, path: String) throws {
    self = try FilterFileParser(path: path).parse(data)
  }

  /// The fixed kernel with its divisor applied, or nil for combined and generated filters.
  public var kernel: Kernel? {
    guard case .kernel(let raw, let divisor) = source else { return nil }
    switch divisor {
    case nil: return raw
    case .value(let d): return raw.scaled(by: 1 / d)
    case .sum: return raw.normalized
    }
  }
}

/// A filter ready to run: its kernels with parameters applied, and how to combine their results.
public struct ResolvedFilter: Equatable, Sendable {
  public var name: String
  public var kernels: [Kernel]
  public var combine: FilterCombine
  public var output: FilterOutputMapping
  public var kind: FilterKind
  /// The generator parameters used, empty for fixed kernels.
  public var parameters: FilterParameters

  public init(
    name: String, kernels: [Kernel], combine: FilterCombine = .single, output: FilterOutputMapping = .clip,
    kind: FilterKind = .other, parameters: FilterParameters = .init()
  ) {
    (self.name, self.kernels, self.combine, self.output, self.kind, self.parameters) =
      (name, kernels, combine, output, kind, parameters)
  }

  /// Convolves (or correlates, per `options`) `input` with every kernel and combines the results.
  public func apply(to input: Tensor, options: ConvolutionOptions = .init()) throws -> Tensor {
    guard let first = kernels.first else { throw ConvolveError.invalidArgument("filter '\(name)' has no kernels") }
    guard combine == .magnitude else { return try convolve(input, with: first, options: options) }
    let results = try kernels.map { try convolve(input, with: $0, options: options) }
    var total = results[0]
    guard results.allSatisfy({ $0.height == total.height && $0.width == total.width }) else {
      throw ConvolveError.shapeMismatch(
        "the kernels of '\(name)' give results of different sizes; they cannot be combined")
    }
    total.data = total.data.map { $0 * $0 }
    for r in results.dropFirst() {
      for i in total.data.indices { total.data[i] += r.data[i] * r.data[i] }
    }
    total.data = total.data.map { $0.squareRoot() }
    return total
  }

  /// A multi-line text form: name, parameters, and each kernel's weights.
  public func describe() -> String {
    var lines: [String] = []
    let given = parameters.givenNames.map { name -> String in
      switch name {
      case "sigma": return "sigma \(formatWeight(Float(parameters.sigma!)))"
      case "amount": return "amount \(formatWeight(Float(parameters.amount!)))"
      case "radius": return "radius \(parameters.radius!)"
      default: return "size \(parameters.size!)"
      }
    }
    let parameterList = given.isEmpty ? "" : " (\(given.joined(separator: ", ")))"
    let header = "\(name)\(parameterList), \(kind.rawValue), output \(output.rawValue)"
    lines.append(combine == .magnitude ? "\(header), magnitude of \(kernels.count) kernels" : header)
    for k in kernels {
      lines.append("\(k.height)x\(k.width) kernel, sum \(formatWeight(k.sum)):")
      let cells = k.rows.map { $0.map(formatWeight) }
      let width = cells.joined().map(\.count).max() ?? 1
      for row in cells {
        lines.append("  " + row.map { String(repeating: " ", count: width - $0.count) + $0 }.joined(separator: " "))
      }
    }
    return lines.joined(separator: "\n")
  }
}

private func formatWeight(_ w: Float) -> String {
  if w == w.rounded() && Swift.abs(w) < 1e7 { return String(Int(w)) }
  return String(format: "%.6g", Double(w))
}

// MARK: - Inline kernels

/// Parses an inline kernel such as `"1,2,1;2,4,2;1,2,1"`: rows separated by `;`, values by `,` or
/// whitespace; a value is a decimal number or a fraction `a/b` such as `1/16`. A trailing `;` is allowed.
public func parseInlineKernel(_ text: String) throws -> Kernel {
  func fail(_ message: String) -> ConvolveError {
    ConvolveError.invalidArgument("kernel \"\(text)\": \(message)")
  }
  var rowTexts = text.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
  if rowTexts.count > 1, rowTexts.last!.allSatisfy(\.isWhitespace) { rowTexts.removeLast() }
  guard !text.allSatisfy(\.isWhitespace) else { throw fail("is empty; write rows like 1,2,1;2,4,2;1,2,1") }
  var rows: [[Float]] = []
  for (r, rowText) in rowTexts.enumerated() {
    var row: [Float] = []
    let pieces = rowText.split(separator: ",", omittingEmptySubsequences: false)
    for (p, piece) in pieces.enumerated() {
      let tokens = piece.split(whereSeparator: \.isWhitespace)
      if tokens.isEmpty {
        if pieces.count == 1 { throw fail("row \(r + 1) is empty (two ';' in a row?)") }
        let what = p == pieces.count - 1 ? "a ',' at the end" : (p == 0 ? "a ',' at the start" : "two ',' in a row")
        throw fail("row \(r + 1) has an empty value after column \(row.count) (\(what)?)")
      }
      for token in tokens {
        guard let value = parseNumber(String(token)) else {
          throw fail(
            "\"\(token)\" at row \(r + 1), column \(row.count + 1) is not a number "
              + "(write values like 2, -0.5 or 1/16; ',' or spaces between values, ';' between rows)")
        }
        guard value.isFinite else {
          throw fail("\"\(token)\" at row \(r + 1), column \(row.count + 1) is not finite (division by zero?)")
        }
        row.append(value)
      }
    }
    if let first = rows.first, first.count != row.count {
      throw fail("row \(r + 1) has \(row.count) values, row 1 has \(first.count)")
    }
    rows.append(row)
  }
  return try Kernel(rows: rows)
}

/// A plain decimal (`-1.5`, `2e-3`) or a fraction of two (`1/16`); nil for anything else, including
/// `nan`, `inf` and hexadecimal, which `Double.init` would accept.
private func parseNumber(_ token: String) -> Float? {
  let parts = token.split(separator: "/", omittingEmptySubsequences: false)
  guard parts.count <= 2 else { return nil }
  var values: [Double] = []
  for part in parts {
    guard !part.isEmpty, part.allSatisfy({ "0123456789.eE+-".contains($0) }), let v = Double(part) else { return nil }
    values.append(v)
  }
  return Float(values.count == 2 ? values[0] / values[1] : values[0])
}

// MARK: - Filter files

/// A JSON value decoded without Foundation's number/boolean ambiguity.
private enum JSONValue: Decodable {
  case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

  init(from decoder: Decoder) throws {
    let c = try decoder.singleValueContainer()
    if c.decodeNil() { self = .null }
    else if let b = try? c.decode(Bool.self) { self = .bool(b) }
    else if let n = try? c.decode(Double.self) { self = .number(n) }
    else if let s = try? c.decode(String.self) { self = .string(s) }
    else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
    else { self = .object(try c.decode([String: JSONValue].self)) }
  }

  var summary: String {
    switch self {
    case .null: return "null"
    case .bool(let b): return String(b)
    case .number(let n): return n == n.rounded() && Swift.abs(n) < 1e15 ? String(Int(n)) : String(n)
    case .string(let s): return "the string \"\(s)\""
    case .array(let a): return "a list of \(a.count)"
    case .object: return "an object"
    }
  }
}

private struct FilterFileParser {
  let path: String

  func fail(_ reason: String) -> ConvolveError { .file(path: path, reason: reason) }

  func parse(_ data: Data) throws -> FilterDefinition {
    let root: JSONValue
    do {
      root = try JSONDecoder().decode(JSONValue.self, from: data)
    } catch {
      let text = String(decoding: data, as: UTF8.self)
      let hint =
        ["NaN", "Infinity"].contains(where: text.contains)
        ? "; NaN and Infinity are not JSON numbers" : ""
      throw fail("is not valid JSON (\(jsonErrorDetail(error)))\(hint)")
    }
    guard case .object(let object) = root else { throw fail("must hold a JSON object {...}, not \(root.summary)") }
    for key in object.keys.sorted() where !FilterDefinition.allowedKeys.contains(key) {
      let suggestion = closestName(to: key, in: FilterDefinition.allowedKeys).map { "did you mean \"\($0)\"? " } ?? ""
      throw fail(
        "unknown key \"\(key)\"; \(suggestion)allowed keys: \(FilterDefinition.allowedKeys.joined(separator: ", "))")
    }

    let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    let name = try string(object, "name") ?? stem
    guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
      throw fail("\"name\" is \"\(name)\"; use letters, digits, '-', '_' and '.' only")
    }
    let description = try string(object, "description") ?? ""
    let kind = try choice(object, "kind", FilterKind.self) ?? .other
    let output = try choice(object, "output", FilterOutputMapping.self) ?? .clip

    let sources = ["rows", "components", "generator"].filter { object[$0] != nil }
    guard sources.count == 1 else {
      throw fail(
        sources.isEmpty
          ? "needs one of \"rows\", \"components\" or \"generator\""
          : "has both \(sources.map { "\"\($0)\"" }.joined(separator: " and ")); use only one")
    }
    for (key, owner) in [("divisor", "rows"), ("combine", "components"), ("parameters", "generator")]
    where object[key] != nil && object[owner] == nil {
      throw fail("\"\(key)\" is only allowed with \"\(owner)\"")
    }

    let source: FilterDefinition.Source
    switch sources[0] {
    case "rows": source = try kernelSource(object)
    case "components": source = try componentSource(object)
    default: source = try generatorSource(object)
    }
    return FilterDefinition(
      name: name, description: description, kind: kind, output: output, source: source, path: path)
  }

  private func string(_ object: [String: JSONValue], _ key: String) throws -> String? {
    guard let value = object[key] else { return nil }
    guard case .string(let s) = value else { throw fail("\"\(key)\" is \(value.summary); it must be a string") }
    return s
  }

  private func choice<T: RawRepresentable & CaseIterable>(
    _ object: [String: JSONValue], _ key: String, _ type: T.Type
  ) throws -> T? where T.RawValue == String {
    guard let value = object[key] else { return nil }
    let allowed = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
    guard case .string(let s) = value, let result = T(rawValue: s) else {
      let shown: String
      if case .string(let s) = value { shown = "\"\(s)\"" } else { shown = value.summary }
      throw fail("\"\(key)\" is \(shown); allowed: \(allowed)")
    }
    return result
  }

  private func kernelSource(_ object: [String: JSONValue]) throws -> FilterDefinition.Source {
    guard case .array(let rowValues) = object["rows"]!, !rowValues.isEmpty else {
      throw fail("\"rows\" must be a non-empty list of rows, e.g. [[1, 2, 1], [2, 4, 2], [1, 2, 1]]")
    }
    var rows: [[Float]] = []
    for (r, rowValue) in rowValues.enumerated() {
      guard case .array(let cells) = rowValue, !cells.isEmpty else {
        throw fail("\"rows\" row \(r + 1) is \(rowValue.summary); it must be a non-empty list of numbers")
      }
      var row: [Float] = []
      for (c, cell) in cells.enumerated() {
        guard case .number(let v) = cell else {
          throw fail("\"rows\" row \(r + 1), value \(c + 1) is \(cell.summary); it must be a number")
        }
        guard Float(v).isFinite else {
          throw fail("\"rows\" row \(r + 1), value \(c + 1) is \(v); it is too large for a 32-bit float")
        }
        row.append(Float(v))
      }
      if let first = rows.first, first.count != row.count {
        throw fail("\"rows\" row \(r + 1) has \(row.count) values, row 1 has \(first.count)")
      }
      rows.append(row)
    }
    let kernel = try Kernel(rows: rows)
    var divisor: KernelDivisor? = nil
    switch object["divisor"] {
    case nil: break
    case .string("sum")?:
      guard kernel.sum != 0 else {
        throw fail("\"divisor\" is \"sum\" but the weights sum to 0; give a number or leave it out")
      }
      divisor = .sum
    case .number(let d)?:
      guard d != 0, Float(d).isFinite else {
        throw fail("\"divisor\" is \(JSONValue.number(d).summary); it must be a non-zero number or \"sum\"")
      }
      divisor = .value(Float(d))
    case let value?:
      throw fail("\"divisor\" is \(value.summary); it must be a non-zero number or \"sum\"")
    }
    return .kernel(kernel, divisor: divisor)
  }

  private func componentSource(_ object: [String: JSONValue]) throws -> FilterDefinition.Source {
    guard case .array(let values) = object["components"]!, !values.isEmpty else {
      throw fail("\"components\" must be a non-empty list of filter names, e.g. [\"sobel-x\", \"sobel-y\"]")
    }
    let names = try values.enumerated().map { i, value -> String in
      guard case .string(let s) = value else {
        throw fail("\"components\" item \(i + 1) is \(value.summary); it must be a filter name")
      }
      return s
    }
    guard object["combine"] != nil else {
      throw fail("\"components\" needs \"combine\"; allowed: \"magnitude\"")
    }
    guard case .string("magnitude") = object["combine"]! else {
      let value = object["combine"]!
      let shown: String
      if case .string(let s) = value { shown = "\"\(s)\"" } else { shown = value.summary }
      throw fail("\"combine\" is \(shown); allowed: \"magnitude\"")
    }
    return .components(names, combine: .magnitude)
  }

  private func generatorSource(_ object: [String: JSONValue]) throws -> FilterDefinition.Source {
    let generator = try choice(object, "generator", KernelGenerator.self)!
    var parameters = FilterParameters()
    guard let raw = object["parameters"] else { return .generator(generator, parameters: parameters) }
    guard case .object(let entries) = raw else {
      throw fail("\"parameters\" is \(raw.summary); it must be an object such as {\"sigma\": 1}")
    }
    let allowed = generator.parameterNames
    for key in entries.keys.sorted() {
      guard allowed.contains(key) else {
        throw fail(
          "\"parameters\" has unknown key \"\(key)\"; "
            + "generator \"\(generator.rawValue)\" takes \(allowed.joined(separator: ", "))")
      }
      guard case .number(let v) = entries[key]!, v.isFinite else {
        throw fail("\"parameters\".\(key) is \(entries[key]!.summary); it must be a number")
      }
      switch key {
      case "sigma": parameters.sigma = v
      case "amount": parameters.amount = v
      default:
        guard let n = Int(exactly: v) else {
          throw fail("\"parameters\".\(key) is \(v); it must be a whole number")
        }
        if key == "radius" { parameters.radius = n } else { parameters.size = n }
      }
    }
    do {
      _ = try generate(generator, parameters)
    } catch let error as ConvolveError {
      throw fail("\"parameters\": \(error.description)")
    }
    return .generator(generator, parameters: parameters)
  }
}

private func jsonErrorDetail(_ error: Error) -> String {
  if case DecodingError.dataCorrupted(let context) = error {
    let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
    return underlying ?? context.debugDescription
  }
  return "\(error)"
}

/// The kernel a generator makes from `parameters`, with the generator's defaults for missing ones
/// (sigma 1, amount 1, size 3, radius ceil(3σ)).
func generate(_ generator: KernelGenerator, _ p: FilterParameters) throws -> Kernel {
  func float(_ name: String, _ v: Double?, default d: Float) throws -> Float {
    guard let v else { return d }
    let f = Float(v)
    guard f.isFinite else {
      throw ConvolveError.invalidArgument("\(generator.rawValue) \(name) is \(v); it must be a finite number")
    }
    return f
  }
  switch generator {
  case .gaussian: return try Kernel.gaussian(sigma: float("sigma", p.sigma, default: 1), radius: p.radius)
  case .box: return try Kernel.box(size: p.size ?? 3)
  case .identity: return try Kernel.identity(size: p.size ?? 3)
  case .unsharp:
    return try Kernel.unsharp(
      sigma: float("sigma", p.sigma, default: 1), amount: float("amount", p.amount, default: 1), radius: p.radius)
  }
}

// MARK: - The library

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
        "cannot find the filter library: no Filters folder with JSON files above the executable or the current "
          + "directory; set CONVOLVE_FILTERS to its path")
    }
    return try FilterLibrary(folder: folder)
  }

  /// The library folder: `$CONVOLVE_FILTERS` if set, else the first `Filters` folder holding a `.json`
  /// file found walking up from the executable's real path (symlinks resolved), then from the current
  /// directory. Nil when there is none; an error when `CONVOLVE_FILTERS` is not a folder.
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
    let starts =
      executables.compactMap { realPath($0).map { ($0 as NSString).deletingLastPathComponent } }
      + [realPath(currentDirectory) ?? currentDirectory]
    for start in starts {
      var dir = start
      while true {
        let candidate = (dir as NSString).appendingPathComponent("Filters")
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: candidate),
          entries.contains(where: { $0.hasSuffix(".json") })
        {
          return candidate
        }
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
            reason: "components differ in size: '\(names[0])' is \(first.height)x\(first.width), "
              + "'\(component)' is \(kernel.height)x\(kernel.width)")
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

/// The candidate closest to `name` by edit distance (case-insensitive) if it is close enough to be a
/// likely typo, or one that starts with `name`.
func closestName(to name: String, in candidates: [String]) -> String? {
  let query = name.lowercased()
  func bare(_ s: String) -> String { s.filter { $0.isLetter || $0.isNumber } }
  // Ignoring separators first makes "sobelx" suggest "sobel-x" rather than "sobel".
  let scored = candidates.map {
    ($0, editDistance(bare(query), bare($0.lowercased())), editDistance(query, $0.lowercased()))
  }
  if let best = scored.min(by: { ($0.1, $0.2) < ($1.1, $1.2) }), best.2 <= max(2, query.count / 3) { return best.0 }
  return candidates.first { $0.lowercased().hasPrefix(query) && !query.isEmpty }
}

/// Levenshtein distance.
func editDistance(_ a: String, _ b: String) -> Int {
  let a = Array(a), b = Array(b)
  var previous = Array(0 ... b.count)
  for i in 1 ... max(a.count, 1) where !a.isEmpty {
    var current = [i] + [Int](repeating: 0, count: b.count)
    for j in 1 ... max(b.count, 1) where !b.isEmpty {
      current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.count]
}

private func realPath(_ path: String) -> String? {
  guard !path.isEmpty, let resolved = realpath(path, nil) else { return nil }
  defer { free(resolved) }
  return String(cString: resolved)
}
