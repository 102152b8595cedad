import ConvolveCore

/// One in-place map of a fused element-wise chain: the same arithmetic as the operator it replaces, so
/// a fused chain gives bit-for-bit the results of running its nodes one by one.
enum ElementwiseStage: Sendable, Equatable {
  case add(Float), sub(Float), reverseSub(Float), mul(Float), div(Float), reverseDiv(Float)
  case activation(Activation)
  case hardSigmoid(alpha: Float, beta: Float)
  case hardSwish
  case clip(Float, Float)
  case math(MathUnaryOperator.Kind)

  /// Applies the map to `n` values in place.
  @inline(__always)
  func apply(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
    switch self {
    case .add(let c): for i in 0 ..< n { p[i] = p[i] + c }
    case .sub(let c): for i in 0 ..< n { p[i] = p[i] - c }
    case .reverseSub(let c): for i in 0 ..< n { p[i] = c - p[i] }
    case .mul(let c): for i in 0 ..< n { p[i] = p[i] * c }
    case .div(let c): for i in 0 ..< n { p[i] = p[i] / c }
    case .reverseDiv(let c): for i in 0 ..< n { p[i] = c / p[i] }
    case .activation(let a):
      switch a {
      case .relu: for i in 0 ..< n { p[i] = Swift.max(0, p[i]) }
      default: for i in 0 ..< n { p[i] = a(p[i]) }
      }
    case .hardSigmoid(let alpha, let beta): for i in 0 ..< n { p[i] = Swift.max(0, Swift.min(1, alpha * p[i] + beta)) }
    case .hardSwish:
      let (alpha, beta): (Float, Float) = (1 / 6, 0.5)
      for i in 0 ..< n { p[i] = p[i] * Swift.max(0, Swift.min(1, alpha * p[i] + beta)) }
    case .clip(let lo, let hi): for i in 0 ..< n where !p[i].isNaN { p[i] = Swift.min(Swift.max(p[i], lo), hi) }
    case .math(let kind): MathUnaryOperator.apply(kind, p, n)
    }
  }
}

/// A chain of element-wise nodes run as one pass: each block of a few thousand values goes through every
/// stage while it is in cache, so the chain reads and writes memory once instead of once per node.
struct FusedElementwiseOperator: GraphOperator {
  let stages: [ElementwiseStage]

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] { [try required(inputs, 0, "input").type] }

  func multiplyAdds(inputs: [ValueType?], outputs: [ValueType]) -> Int {
    (outputs.first?.shape.reduce(1, *) ?? 0) * stages.count
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    var x = try inputs.take(0, "input")
    let shape = x.shape
    var v = x.takeFloats()
    let stages = self.stages
    v.withUnsafeMutableBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      forEachChunk(buffer.count, minimumPerChunk: 1 << 15) { range in
        var start = range.lowerBound
        while start < range.upperBound {
          let n = Swift.min(4096, range.upperBound - start)
          for stage in stages { stage.apply(base + start, n) }
          start += n
        }
      }
    }
    return [GraphTensor(shape: shape, floats: v)]
  }
}

/// Groups chains of element-wise plan steps into single fused steps.
enum ElementwiseFusion {
  /// Replaces every run of two or more chained element-wise steps (each reading the previous one's output,
  /// which nothing else reads and which is neither a graph output nor kept) by one fused step, placed where
  /// the chain's last node was. The step keeps the last node (its name and output), and lists them all.
  static func fuse(_ pending: [PendingStep], readers: [String: Int], keep: Set<String>) -> [PendingStep] {
    // Groups of indices into `pending`; `tail[v]` is the group whose last output is v.
    var groups: [[Int]] = []
    var groupOf = [Int?](repeating: nil, count: pending.count)
    var tail: [String: Int] = [:]
    for (i, p) in pending.enumerated() {
      guard let (input, _) = p.stage, input < p.node.inputs.count, p.node.outputs.count == 1 else { continue }
      let value = p.node.inputs[input]
      if let g = tail[value], readers[value] == 1, !keep.contains(value) {
        groups[g].append(i)
        groupOf[i] = g
        tail[value] = nil
      } else {
        groups.append([i])
        groupOf[i] = groups.count - 1
      }
      tail[p.node.outputs[0]] = groupOf[i]
    }
    var result: [PendingStep] = []
    for (i, p) in pending.enumerated() {
      guard let g = groupOf[i], groups[g].count > 1 else {
        result.append(p)
        continue
      }
      // Emit the group at its last member; skip the others.
      guard groups[g].last == i else { continue }
      let members = groups[g].map { pending[$0] }
      let first = members[0]
      let input = first.node.inputs[first.stage!.input]
      var node = p.node
      node.inputs = [input]
      result.append(
        PendingStep(
          node: node, op: FusedElementwiseOperator(stages: members.map { $0.stage!.stage }),
          inputTypes: [first.inputTypes[first.stage!.input]], outputTypes: p.outputTypes,
          fusedNodes: members.flatMap(\.fusedNodes), stage: nil))
    }
    return result
  }

  /// Moves each element-wise step (single or fused chain) whose input is the only output of an operator that
  /// can apply it while writing (`GraphOperator.fusing`, a prepared Conv) into that operator's step, when
  /// nothing else reads that value and it is neither a graph output nor kept. The merged step keeps the
  /// producer's node with the chain's output, named by every node's name joined with `+`, and lists every node.
  static func fuseIntoProducers(_ pending: [PendingStep], readers: [String: Int], keep: Set<String>) -> [PendingStep] {
    var result: [PendingStep] = []
    var producer: [String: Int] = [:]
    for p in pending {
      let stages: [ElementwiseStage]?, input: String?
      if let (i, stage) = p.stage, i < p.node.inputs.count {
        (stages, input) = ([stage], p.node.inputs[i])
      } else if let chain = p.op as? FusedElementwiseOperator, let first = p.node.inputs.first {
        (stages, input) = (chain.stages, first)
      } else {
        (stages, input) = (nil, nil)
      }
      if let stages, let input, p.node.outputs.count == 1, readers[input] == 1, !keep.contains(input),
        let j = producer[input], result[j].node.outputs.count == 1, let op = result[j].op.fusing(stages)
      {
        var node = result[j].node
        node.outputs = p.node.outputs
        // Named by every node it runs, so that listings and reports keep each name.
        node.name = (result[j].fusedNodes + p.fusedNodes).map(\.name).filter { !$0.isEmpty }.joined(separator: "+")
        result[j] = PendingStep(
          node: node, op: op, inputTypes: result[j].inputTypes, outputTypes: p.outputTypes,
          fusedNodes: result[j].fusedNodes + p.fusedNodes, stage: nil)
        producer[p.node.outputs[0]] = j
        continue
      }
      result.append(p)
      for o in p.node.outputs where !o.isEmpty { producer[o] = result.count - 1 }
    }
    return result
  }
}
