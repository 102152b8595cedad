import ConvolveCore

/// ONNX Sum, Mean, Max and Min of any number of inputs, broadcast together (NumPy's rules), on Float32 or
/// Int64 (not Mean). Two-input Sum, Max and Min run as `BinaryOperator`.
struct VariadicOperator: GraphOperator {
  enum Kind: String, CaseIterable { case sum = "Sum", mean = "Mean", max = "Max", min = "Min" }
  let kind: Kind

  static func make(_ node: Node, kind: Kind) -> any GraphOperator {
    guard node.inputs.count == 2, !node.inputs.contains("") else { return VariadicOperator(kind: kind) }
    switch kind {
    case .sum: return BinaryOperator(kind: .add)
    case .max: return BinaryOperator(kind: .max)
    case .min: return BinaryOperator(kind: .min)
    case .mean: return VariadicOperator(kind: kind)
    }
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let present = inputs.compactMap { $0 }
    guard let first = present.first, present.count == inputs.count else {
      throw ConvolveError.invalidArgument("\(kind.rawValue) needs at least one input and no empty ones")
    }
    guard present.allSatisfy({ $0.type.elementType == first.type.elementType }) else {
      throw ConvolveError.invalidArgument("the inputs of \(kind.rawValue) must have one element type")
    }
    if kind == .mean && first.type.elementType != .float32 { throw ConvolveError.invalidArgument("Mean needs float32 inputs") }
    let shape = try present.dropFirst().reduce(first.shape) { try broadcastShape($0, $1.shape) }
    _ = try checkedCount(shape)
    return [ValueType(shape, first.type.elementType)]
  }

  func multiplyAdds(inputs: [ValueType?], outputs: [ValueType]) -> Int {
    (outputs.first?.shape.reduce(1, *) ?? 0) * max(0, inputs.count - 1)
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let values = try (0 ..< inputs.count).map { try inputs.get($0) }
    let shape = try values.dropFirst().reduce(values[0].shape) { try broadcastShape($0, $1.shape) }
    /// `acc = M(acc, v)` for each further input, `v` broadcast to the output.
    func reduce<M: BinaryMath>(_ m: M.Type, _ start: [M.Element], _ elements: (GraphTensor) -> [M.Element]) -> [M.Element] {
      var acc = start
      for v in values.dropFirst() {
        let plan = BroadcastPlan(shape, v.shape, output: shape)
        guard plan.count > 0 else { continue }
        let b = elements(v)
        acc.withUnsafeMutableBufferPointer { pa in
          b.withUnsafeBufferPointer { pb in broadcastLoop(m, plan, pa.baseAddress!, pb.baseAddress!, pa.baseAddress!) }
        }
      }
      return acc
    }
    let first = values[0].broadcast(to: shape)
    switch first.storage {
    case .float(let v):
      let floats = { (t: GraphTensor) in t.floats }
      var out: [Float]
      switch kind {
      case .sum, .mean: out = reduce(AddF.self, v, floats)
      case .max: out = reduce(MaxF.self, v, floats)
      case .min: out = reduce(MinF.self, v, floats)
      }
      if kind == .mean {
        let n = Float(values.count)
        for i in out.indices { out[i] /= n }
      }
      return [GraphTensor(shape: shape, floats: out)]
    case .int64(let v):
      let ints = { (t: GraphTensor) in t.int64s }
      switch kind {
      case .sum, .mean: return [GraphTensor(shape: shape, int64s: reduce(AddI.self, v, ints))]
      case .max: return [GraphTensor(shape: shape, int64s: reduce(MaxI.self, v, ints))]
      case .min: return [GraphTensor(shape: shape, int64s: reduce(MinI.self, v, ints))]
      }
    }
  }
}

extension VariadicOperator {
  var reverseReads: ReverseReads? { kind == .max || kind == .min ? [.inputs, .outputs] : .nothing }

  /// Sum: the output's gradient to every input (summed over its broadcast); Mean: divided by the count; Max and
  /// Min: to the first input equal to the result.
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let out = context.outputTypes[0].shape
    var g = context.gradient(0)
    let count = context.inputTypes.count
    if kind == .mean { for i in g.indices { g[i] /= Float(count) } }
    var taken = [Bool](repeating: false, count: g.count)
    let y = kind == .max || kind == .min ? try context.output(0).floats : []
    return try (0 ..< count).map { k -> GraphTensor? in
      let shape = try context.inputShape(k)
      if kind == .sum || kind == .mean {
        return context.wants(k) ? GraphTensor(shape: shape, floats: sumToShape(g, from: out, to: shape)) : nil
      }
      let x = expand(try context.input(k).floats, shape, to: out)
      var d = [Float](repeating: 0, count: g.count)
      for i in g.indices where !taken[i] && x[i] == y[i] {
        d[i] = g[i]
        taken[i] = true
      }
      return context.wants(k) ? GraphTensor(shape: shape, floats: sumToShape(d, from: out, to: shape)) : nil
    }
  }
}
