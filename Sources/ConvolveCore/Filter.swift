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
  /// Added to every result value after the kernels are applied and combined (a libvips matrix's `offset`,
  /// in the tensor's units); 0 for every library filter.
  public var offset: Float = 0

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
    guard combine == .magnitude else { return try withOffset(convolve(input, with: first, options: options)) }
    return try combined(kernels.map { try convolve(input, with: $0, options: options) })
  }

  /// The results of every kernel combined as `combine` says, with the offset added.
  func combined(_ results: [Tensor]) throws -> Tensor {
    var total = results[0]
    try combine(into: &total, results.dropFirst())
    return total
  }

  /// `combined` in place: `total` holds the first kernel's result and gets the combination; `rest` are the others'.
  func combine(into total: inout Tensor, _ rest: ArraySlice<Tensor>) throws {
    if combine == .magnitude {
      guard rest.allSatisfy({ $0.height == total.height && $0.width == total.width }) else {
        throw ConvolveError.shapeMismatch(
          "the kernels of '\(name)' give results of different sizes; they cannot be combined")
      }
      total.data.withUnsafeMutableBufferPointer { values in
        for i in values.indices { values[i] = values[i] * values[i] }
        for r in rest {
          r.data.withUnsafeBufferPointer { other in
            for i in values.indices { values[i] += other[i] * other[i] }
          }
        }
        for i in values.indices { values[i] = values[i].squareRoot() }
      }
    }
    addOffset(&total)
  }

  private func withOffset(_ result: Tensor) -> Tensor {
    var shifted = result
    addOffset(&shifted)
    return shifted
  }

  private func addOffset(_ result: inout Tensor) {
    guard offset != 0 else { return }
    let offset = self.offset
    result.data.withUnsafeMutableBufferPointer { values in
      for i in values.indices { values[i] += offset }
    }
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
    let shift = offset == 0 ? "" : ", then + \(formatWeight(offset))"
    let header = "\(name)\(parameterList), \(kind.rawValue), output \(output.rawValue)\(shift)"
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

/// The kernel a generator makes from `parameters`, with the generator's defaults for missing ones
/// (sigma 1, amount 1, size 3, radius ceil(3σ)).
public func generate(_ generator: KernelGenerator, _ p: FilterParameters) throws -> Kernel {
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
