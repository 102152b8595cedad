import ConvolveCore

/// ONNX ScatterND: a copy of `data` with the slices addressed by the last axis of Int64 `indices` replaced by
/// (or, with `reduction`, combined with) `updates`.
struct ScatterNDOperator: GraphOperator {
  enum Reduction: String { case none, add, mul, max, min }
  let reduction: Reduction

  init(_ node: Node) throws {
    let text = try node.string("reduction", default: "none")
    guard let r = Reduction(rawValue: text) else { throw ConvolveError.invalidArgument("reduction '\(text)' is not supported") }
    reduction = r
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let data = try required(inputs, 0, "data"), indices = try required(inputs, 1, "indices")
    let updates = try required(inputs, 2, "updates")
    try check(data.shape, indices.shape, updates.shape)
    return [data.type]
  }

  /// The depth `k` of each index, after checking the three shapes agree.
  @discardableResult
  func check(_ data: [Int], _ indices: [Int], _ updates: [Int]) throws -> Int {
    guard let k = indices.last, k >= 0, k <= data.count,
      updates == Array(indices.dropLast()) + Array(data[k...])
    else {
      throw ConvolveError.shapeMismatch(
        "data \(shapeText(data)), indices \(shapeText(indices)) and updates \(shapeText(updates)) do not fit together")
    }
    return k
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let data = try inputs.take(0, "data"), indices = try inputs.get(1, "indices"), updates = try inputs.get(2, "updates")
    let k = try check(data.shape, indices.shape, updates.shape)
    let strides = stridesOf(data.shape)
    let slice = data.shape[k...].reduce(1, *)
    let index = indices.int64s
    // The flat offset of each addressed slice (k = 0: every update replaces the whole tensor).
    var offsets = [Int](repeating: 0, count: indices.shape.dropLast().reduce(1, *))
    for n in offsets.indices where k > 0 {
      for d in 0 ..< k {
        let dim = data.shape[d]
        var i = Int(truncatingIfNeeded: index[n * k + d])
        if i < 0 { i += dim }
        guard i >= 0 && i < dim else { throw ConvolveError.invalidArgument("index \(index[n * k + d]) is outside axis \(d) of length \(dim)") }
        offsets[n] += i * strides[d]
      }
    }
    func scatter<T: Comparable>(_ base: [T], _ u: [T], _ combine: (T, T) -> T) -> [T] {
      var out = base
      for (n, offset) in offsets.enumerated() {
        for j in 0 ..< slice {
          out[offset + j] = reduction == .none ? u[n * slice + j] : combine(out[offset + j], u[n * slice + j])
        }
      }
      return out
    }
    switch (data.storage, updates.storage) {
    case (.float(let d), .float(let u)):
      return [GraphTensor(shape: data.shape, floats: scatter(d, u, { a, b in
        switch reduction { case .add: a + b; case .mul: a * b; case .max: Swift.max(a, b); default: Swift.min(a, b) }
      }))]
    case (.int64(let d), .int64(let u)):
      return [GraphTensor(shape: data.shape, int64s: scatter(d, u, { a, b in
        switch reduction { case .add: a &+ b; case .mul: a &* b; case .max: Swift.max(a, b); default: Swift.min(a, b) }
      }))]
    default: throw ConvolveError.invalidArgument("data is \(data.elementType) and updates \(updates.elementType)")
    }
  }
}
