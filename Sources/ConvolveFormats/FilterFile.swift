import ConvolveCore
import Foundation

extension FilterDefinition {
  /// Reads and validates a filter file; a missing `"name"` defaults to the file name without `.json`.
  public init(contentsOf path: String) throws {
    try self.init(json: try readFileData(path), path: path)
  }

  /// Parses filter JSON; `path` names the source in messages.
  public init(json data: Data, path: String) throws {
    self = try FilterFileParser(path: path).parse(data)
  }
}



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
