import ConvolveCNN
import ConvolveFormats
import ConvolveCore
import Foundation

extension Pipeline {
  /// Reads a pipeline file; `kernelNamed` resolves library filter names used by `"filters"`.
  public static func load(path: String, kernelNamed: (String) throws -> Kernel) throws -> Pipeline {
    let base = URL(fileURLWithPath: path).deletingLastPathComponent()
    let data = try readFileData(path, what: "the pipeline file")
    let json: Any
    do { json = try JSONSerialization.jsonObject(with: data) } catch {
      throw ConvolveError.file(path: path, reason: "not valid JSON (\(error.localizedDescription))")
    }
    do {
      guard let root = json as? [String: Any] else {
        throw PipelineError("the file must hold a JSON object")
      }
      var fields = Fields(root, context: "pipeline")
      let name = try fields.string("name") ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
      let description = try fields.string("description") ?? ""
      guard let list = fields.take("stages") as? [[String: Any]], !list.isEmpty else {
        throw PipelineError("\"stages\" must be a non-empty list of objects")
      }
      try fields.finish()
      let stages = try list.enumerated().map { i, object in
        let label = (object["name"] as? String).map { "stage \(i + 1) '\($0)'" } ?? "stage \(i + 1)"
        do {
          return try parseStage(object, label: label, base: base, kernelNamed: kernelNamed)
        } catch let error as PipelineError {
          throw error
        } catch let error as ConvolveError {
          throw PipelineError("\(label): \(error.description)")
        } catch {
          throw PipelineError("\(label): \(error)")
        }
      }
      return Pipeline(name: name, description: description, stages: stages)
    } catch let error as PipelineError {
      throw ConvolveError.file(path: path, reason: error.message)
    } catch let error as ConvolveError {
      throw ConvolveError.file(path: path, reason: error.description)
    } catch {
      throw ConvolveError.file(path: path, reason: "\(error)")
    }
  }

  private static func parseStage(
    _ object: [String: Any], label: String, base: URL, kernelNamed: (String) throws -> Kernel
  ) throws -> Stage {
    var f = Fields(object, context: label)
    guard let op = try f.string("op") else { throw PipelineError("\(label) has no \"op\"") }
    let operation: Operation
    switch op {
    case "conv":
      let bank = try loadBank(&f, base: base, kernelNamed: kernelNamed)
      try checkBias(bank, outputs: bank.outChannels, label)
      let padding: LayerPadding
      switch f.take("padding") {
      case nil: padding = .uniform(0)
      case let s as String where s == "same": padding = .same
      case let s as String where s == "valid": padding = .uniform(0)
      case let p as Int: padding = .uniform(p)
      case let p as [Int] where p.count == 4: padding = .explicit(Padding(top: p[0], bottom: p[1], left: p[2], right: p[3]))
      case let other?: throw PipelineError("\(label) \"padding\" is \(other); use a number, \"same\", \"valid\" or [top, bottom, left, right]")
      }
      operation = .conv(
        bank,
        LayerGeometry(
          stride: try f.int("stride") ?? 1, padding: padding, dilation: try f.int("dilation") ?? 1,
          groups: try f.int("groups") ?? 1, rounding: try rounding(&f, label, ceilAllowed: false)))
    case "conv-transpose":
      let bank = try loadBank(&f, base: base, kernelNamed: kernelNamed)
      let geometry = TransposedGeometry(
        stride: try f.int("stride") ?? 1, padding: try f.int("padding") ?? 0,
        outputPadding: try f.int("output_padding") ?? 0, dilation: try f.int("dilation") ?? 1,
        groups: try f.int("groups") ?? 1)
      try checkBias(bank, outputs: bank.inChannelsPerGroup * geometry.groups, label)
      operation = .transposedConv(bank, geometry)
    case "activation":
      guard let function = try f.string("function") else {
        throw PipelineError("\(label) (activation) needs \"function\", e.g. \"relu\" or \"leaky-relu:0.1\"")
      }
      operation = .activation(try Activation(parsing: function))
    case "pool":
      if let spec = try f.string("spec") {
        operation = .pool(try Pooling(parsing: spec, rounding: try rounding(&f, label, ceilAllowed: true)))
      } else {
        let kindName = try f.string("kind") ?? "max"
        guard let kind = PoolingKind(rawValue: kindName == "avg" ? "average" : kindName) else {
          throw PipelineError("\(label) \"kind\" is \"\(kindName)\"; use max, avg or min")
        }
        let size = try f.int("size") ?? 2
        operation = .pool(
          Pooling(
            kind, kernel: size, stride: try f.int("stride"), padding: try f.int("padding") ?? 0,
            rounding: try rounding(&f, label, ceilAllowed: true)))
      }
    case "global-avg-pool": operation = .globalAveragePool
    case "upsample":
      let methodName = try f.string("method") ?? "nearest"
      guard let method = ResizeMethod(rawValue: methodName) else {
        throw PipelineError("\(label) \"method\" is \"\(methodName)\"; use nearest, nearest-exact or bilinear")
      }
      operation = .upsample(scale: try f.double("scale") ?? 2, method: method)
    case "flatten": operation = .flatten
    default:
      throw PipelineError(
        "\(label) \"op\" is \"\(op)\"; use conv, conv-transpose, activation, pool, global-avg-pool, upsample or flatten")
    }
    let name = try f.string("name") ?? op
    let save = try f.bool("save") ?? true
    try f.finish()
    let mapNames = op == "conv" ? object["filters"] as? [String] : nil
    return Stage(name: name, operation: operation, save: save, mapNames: mapNames)
  }

  /// A stage's rounding where its stride does not fit: `"floor": true` (the default), `"strict": true` (refuse,
  /// as the lecture) or, for pools, `"ceil": true` (PyTorch's `ceil_mode`); at most one of them true.
  private static func rounding(_ f: inout Fields, _ label: String, ceilAllowed: Bool) throws -> SizeRounding {
    let floor = try f.bool("floor") ?? false, strict = try f.bool("strict") ?? false, ceil = try f.bool("ceil") ?? false
    if ceil && !ceilAllowed {
      throw PipelineError("\(label) \"ceil\" is for pool stages (PyTorch's ceil_mode); a conv stage rounds down")
    }
    guard [floor, strict, ceil].filter({ $0 }).count <= 1 else {
      throw PipelineError("\(label) sets more than one of \"floor\", \"strict\" and \"ceil\"; choose one")
    }
    return strict ? .strict : ceil ? .ceil : .floor
  }

  /// Weights from `.npy` files (`weights`, optional `bias` file or list), or a bank built from library filters.
  private static func loadBank(
    _ f: inout Fields, base: URL, kernelNamed: (String) throws -> Kernel
  ) throws -> FilterBank {
    let biasValue = f.take("bias")
    var bias: [Float] = []
    switch biasValue {
    case nil: break
    case let file as String:
      do { bias = try readLayerFile(file, option: nil, base: base.path).0.data } catch let error as ConvolveError {
        throw PipelineError("\(f.context) \"bias\" is \"\(file)\": \(error.description)")
      }
    case let list as [NSNumber]: bias = list.map { $0.floatValue }
    case let number as NSNumber: bias = [number.floatValue]
    case let other?: throw PipelineError("\(f.context) \"bias\" is \(other); use a .npy path, a number or a list")
    }
    if let file = try f.string("weights") {
      let weights: NPYArray
      do { weights = try readLayerFile(file, option: nil, base: base.path).0 } catch let error as ConvolveError {
        throw PipelineError("\(f.context) \"weights\" is \"\(file)\": \(error.description)")
      }
      // The bias length depends on the op (a transposed convolution's outputs are not the bank's filters).
      var bank = try FilterBank(weights: weights)
      bank.bias = bias
      return bank
    }
    guard let names = f.take("filters") as? [String], !names.isEmpty else {
      throw PipelineError("\(f.context) needs \"weights\" (a .npy file) or \"filters\" (a list of library names)")
    }
    let channels = try f.int("channels") ?? 3
    if bias.count == 1 { bias = [Float](repeating: bias[0], count: names.count) }
    let kernels = commonSizeKernels(try names.map(kernelNamed), names: names).kernels
    return try FilterBank(libraryKernels: kernels, channels: channels, bias: bias)
  }

  /// A bias, when given, needs one value per output channel of the stage.
  private static func checkBias(_ bank: FilterBank, outputs: Int, _ label: String) throws {
    guard bank.bias.isEmpty || bank.bias.count == outputs else {
      throw PipelineError("\(label) \"bias\" has \(bank.bias.count) values; the stage has \(outputs) output channels")
    }
  }
}

private struct PipelineError: Error {
  var message: String
  init(_ message: String) { self.message = message }
}

/// Typed access to a JSON object's keys that rejects unknown keys at the end.
private struct Fields {
  var object: [String: Any]
  let context: String
  init(_ object: [String: Any], context: String) {
    self.object = object
    self.context = context
  }

  mutating func take(_ key: String) -> Any? { object.removeValue(forKey: key) }

  mutating func string(_ key: String) throws -> String? {
    guard let value = take(key) else { return nil }
    guard let s = value as? String else { throw PipelineError("\(context) \"\(key)\" is \(value); it must be text") }
    return s
  }

  mutating func double(_ key: String) throws -> Double? {
    guard let value = take(key) else { return nil }
    guard let n = value as? NSNumber, !isJSONBool(n) else {
      throw PipelineError("\(context) \"\(key)\" is \(value); it must be a number")
    }
    return n.doubleValue
  }

  mutating func int(_ key: String) throws -> Int? {
    guard let d = try double(key) else { return nil }
    guard d == d.rounded(), abs(d) < 1e9 else { throw PipelineError("\(context) \"\(key)\" is \(d); it must be a whole number") }
    return Int(d)
  }

  mutating func bool(_ key: String) throws -> Bool? {
    guard let value = take(key) else { return nil }
    guard let n = value as? NSNumber, isJSONBool(n) else { throw PipelineError("\(context) \"\(key)\" is \(value); it must be true or false") }
    return n.boolValue
  }

  func finish() throws {
    if let key = object.keys.sorted().first {
      throw PipelineError("\(context) has an unknown key \"\(key)\" (= \(object[key]!))")
    }
  }
}

/// JSON `true`/`false` (on Linux, `is Bool` also holds for the numbers 0 and 1).
private func isJSONBool(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }
