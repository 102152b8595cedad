import ConvolveCore

extension GraphTensor {
  /// The values repeated along dimensions of size 1 (and new leading ones) up to `shape`, NumPy's broadcast;
  /// the tensor itself when it already has that shape.
  func broadcast(to shape: [Int]) -> GraphTensor {
    if self.shape == shape { return self }
    let pad = shape.count - rank
    let full = stridesOf(self.shape)
    let strides = shape.indices.map { i in i < pad || self.shape[i - pad] == 1 ? 0 : full[i - pad] }
    return strided(offset: 0, shape: shape, strides: strides)
  }
}

/// ONNX Equal, Less, Greater, LessOrEqual, GreaterOrEqual (Float32 or Int64 operands) and And, Or, Xor (booleans),
/// with NumPy broadcasting. Booleans are held as Int64 0 and 1.
struct CompareOperator: GraphOperator {
  enum Kind: String, CaseIterable {
    case equal = "Equal", less = "Less", greater = "Greater", lessOrEqual = "LessOrEqual"
    case greaterOrEqual = "GreaterOrEqual", and = "And", or = "Or", xor = "Xor"
  }
  let kind: Kind

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let a = try required(inputs, 0, "A"), b = try required(inputs, 1, "B")
    return [ValueType(try broadcastShape(a.shape, b.shape), .int64)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let a = try inputs.get(0, "A"), b = try inputs.get(1, "B")
    let shape = try broadcastShape(a.shape, b.shape)
    let x = a.broadcast(to: shape), y = b.broadcast(to: shape)
    let out: [Int64]
    if case .int64(let u) = x.storage, case .int64(let v) = y.storage {
      out = compare(u, v)
    } else {
      out = compare(x.floats, y.floats)
    }
    return [GraphTensor(shape: shape, int64s: out)]
  }

  func compare<T: Comparable & Numeric>(_ u: [T], _ v: [T]) -> [Int64] {
    var out = [Int64](repeating: 0, count: u.count)
    switch kind {
    case .equal: for i in u.indices where u[i] == v[i] { out[i] = 1 }
    case .less: for i in u.indices where u[i] < v[i] { out[i] = 1 }
    case .greater: for i in u.indices where u[i] > v[i] { out[i] = 1 }
    case .lessOrEqual: for i in u.indices where u[i] <= v[i] { out[i] = 1 }
    case .greaterOrEqual: for i in u.indices where u[i] >= v[i] { out[i] = 1 }
    case .and: for i in u.indices where u[i] != 0 && v[i] != 0 { out[i] = 1 }
    case .or: for i in u.indices where u[i] != 0 || v[i] != 0 { out[i] = 1 }
    case .xor: for i in u.indices where (u[i] != 0) != (v[i] != 0) { out[i] = 1 }
    }
    return out
  }
}

/// ONNX Not: a boolean's negation (held as Int64 0 or 1; any nonzero counts as true).
struct NotOperator: GraphOperator {
  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    [ValueType(try required(inputs, 0, "X").shape, .int64)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.get(0, "X")
    let v = x.int64s
    var out = [Int64](repeating: 0, count: v.count)
    for i in v.indices where v[i] == 0 { out[i] = 1 }
    return [GraphTensor(shape: x.shape, int64s: out)]
  }
}

/// ONNX Where: `condition ? X : Y` element by element, the three broadcast together; X and Y of one type.
struct WhereOperator: GraphOperator {
  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let c = try required(inputs, 0, "condition"), x = try required(inputs, 1, "X"), y = try required(inputs, 2, "Y")
    guard x.type.elementType == y.type.elementType else {
      throw ConvolveError.invalidArgument("X is \(x.type.elementType) and Y \(y.type.elementType); they must have the same type")
    }
    return [ValueType(try broadcastShape(c.shape, broadcastShape(x.shape, y.shape)), x.type.elementType)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let c = try inputs.get(0, "condition"), x = try inputs.get(1, "X"), y = try inputs.get(2, "Y")
    let shape = try broadcastShape(c.shape, broadcastShape(x.shape, y.shape))
    let mask = c.broadcast(to: shape).int64s
    func pick<T>(_ u: [T], _ v: [T]) -> [T] {
      var out = v
      for i in mask.indices where mask[i] != 0 { out[i] = u[i] }
      return out
    }
    let a = x.broadcast(to: shape), b = y.broadcast(to: shape)
    switch (a.storage, b.storage) {
    case (.float(let u), .float(let v)): return [GraphTensor(shape: shape, floats: pick(u, v))]
    case (.int64(let u), .int64(let v)): return [GraphTensor(shape: shape, int64s: pick(u, v))]
    default: throw ConvolveError.invalidArgument("X is \(x.elementType) and Y \(y.elementType); they must have the same type")
    }
  }
}

/// ONNX Mod with broadcasting: for integers the remainder takes the divisor's sign (`fmod` 0, Python's `%`) or
/// the dividend's (`fmod` 1, C's `fmod`); Float32 always as C's `fmod`.
struct ModOperator: GraphOperator {
  let fmod: Bool

  init(_ node: Node) throws { fmod = try node.int("fmod", default: 0) != 0 }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let a = try required(inputs, 0, "A"), b = try required(inputs, 1, "B")
    guard a.type.elementType == b.type.elementType else {
      throw ConvolveError.invalidArgument("inputs are \(a.type.elementType) and \(b.type.elementType); they must have the same type")
    }
    return [ValueType(try broadcastShape(a.shape, b.shape), a.type.elementType)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let a = try inputs.get(0, "A"), b = try inputs.get(1, "B")
    let shape = try broadcastShape(a.shape, b.shape)
    let x = a.broadcast(to: shape), y = b.broadcast(to: shape)
    switch (x.storage, y.storage) {
    case (.int64(let u), .int64(let v)):
      guard !v.contains(0) else { throw ConvolveError.invalidArgument("integer modulo by zero") }
      var out = [Int64](repeating: 0, count: u.count)
      for i in u.indices {
        let r = v[i] == -1 ? 0 : u[i] % v[i]
        out[i] = !fmod && r != 0 && (r < 0) != (v[i] < 0) ? r + v[i] : r
      }
      return [GraphTensor(shape: shape, int64s: out)]
    case (.float(let u), .float(let v)):
      var out = [Float](repeating: 0, count: u.count)
      for i in u.indices { out[i] = u[i].truncatingRemainder(dividingBy: v[i]) }
      return [GraphTensor(shape: shape, floats: out)]
    default:
      throw ConvolveError.invalidArgument("inputs are \(a.elementType) and \(b.elementType); they must have the same type")
    }
  }
}
