import CKernels
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
  case smooth(SmoothActivationOperator.Kind)

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
      case .relu: for i in 0 ..< n { p[i] = Swift.max(p[i], 0) }  // keeps NaN
      case .sigmoid: ck_sigmoid(ck_level(), p, n)
      default: for i in 0 ..< n { p[i] = a(p[i]) }
      }
    case .hardSigmoid(let alpha, let beta): for i in 0 ..< n { p[i] = Swift.max(Swift.min(alpha * p[i] + beta, 1), 0) }
    case .hardSwish:
      let (alpha, beta): (Float, Float) = (1 / 6, 0.5)
      for i in 0 ..< n { p[i] = p[i] * Swift.max(Swift.min(alpha * p[i] + beta, 1), 0) }
    case .clip(let lo, let hi): for i in 0 ..< n where !p[i].isNaN { p[i] = Swift.min(Swift.max(p[i], lo), hi) }
    case .math(let kind): MathUnaryOperator.apply(kind, p, n)
    case .smooth(let kind): SmoothActivationOperator.apply(kind, p, n)
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
    let stages = self.stages
    return try transformedInPlace(&inputs, 0, "input", minimumPerChunk: 1 << 15) { base, count in
      var start = 0
      while start < count {
        let n = Swift.min(4096, count - start)
        for stage in stages { stage.apply(base + start, n) }
        start += n
      }
    }
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

/// `x + x · s` with `s` one value per channel (`N × C × 1 × 1` or `C × 1 × 1`): a squeeze-and-excitation
/// block's scale and its residual add as one pass (the same two roundings as Mul then Add).
struct ScaleResidualOperator: GraphOperator {
  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] { [try required(inputs, 0, "X").type] }

  func multiplyAdds(inputs: [ValueType?], outputs: [ValueType]) -> Int { 2 * (outputs.first?.shape.reduce(1, *) ?? 0) }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    var x = try inputs.take(0, "X")
    let s = try requireFloat(try inputs.get(1, "scale"))
    let shape = x.shape
    guard shape.count >= 3 else { throw ConvolveError.shapeMismatch("input \(shapeText(shape)) has no channels") }
    let channels = shape[1], plane = shape.dropFirst(2).reduce(1, *), planes = shape[0] * channels
    guard s.count == channels || s.count == planes else {
      throw ConvolveError.shapeMismatch("scale has \(s.count) values; the input has \(channels) channels")
    }
    var v = x.takeFloats()
    v.withUnsafeMutableBufferPointer { buffer in
      s.withUnsafeBufferPointer { scale in
        guard let base = buffer.baseAddress else { return }
        let shared = Shared((scale, base))
        parallelRanges(planes, minimumPerChunk: Swift.max(1, (1 << 15) / Swift.max(1, plane))) { range in
          let (scale, base) = shared.value
          for p in range {
            let c = scale[s.count == planes ? p : p % channels]
            let q = base + p * plane
            for i in 0 ..< plane { q[i] = q[i] + q[i] * c }
          }
        }
      }
    }
    return [GraphTensor(shape: shape, floats: v)]
  }
}

extension ElementwiseFusion {
  /// Replaces `Add(x, Mul(x, s))` (either operand order in both) with `s` a per-channel Float32 value computed
  /// at run time, the Mul's output read by the Add alone and not kept, by one `ScaleResidualOperator` step at
  /// the Add's place. The step keeps the Add's node with inputs `[x, s]`, named `mul+add`.
  static func fuseScaleResidual(_ pending: [PendingStep], readers: [String: Int], keep: Set<String>) -> [PendingStep] {
    var producer: [String: Int] = [:]
    for (i, p) in pending.enumerated() { for o in p.node.outputs where !o.isEmpty { producer[o] = i } }
    var removed = Set<Int>()
    var result = pending
    for (i, p) in pending.enumerated() {
      guard !p.dynamic, let add = p.op as? BinaryOperator, add.kind == .add, p.node.inputs.count == 2, p.node.outputs.count == 1,
        let out = p.outputTypes.first, out.elementType == .float32, out.shape.count >= 3
      else { continue }
      for side in 0 ..< 2 {
        let m = p.node.inputs[side], other = p.node.inputs[1 - side]
        guard let j = producer[m], !removed.contains(j), readers[m] == 1, !keep.contains(m),
          let mul = pending[j].op as? BinaryOperator, mul.kind == .mul, pending[j].node.inputs.count == 2,
          let xi = pending[j].node.inputs.firstIndex(of: other), pending[j].node.inputs[1 - xi] != other,
          let xType = pending[j].inputTypes[xi], xType.shape == out.shape,
          let sType = pending[j].inputTypes[1 - xi], sType.elementType == .float32,
          perChannel(sType.shape, of: out.shape)
        else { continue }
        var node = p.node
        node.inputs = [other, pending[j].node.inputs[1 - xi]]
        node.name = (pending[j].fusedNodes + p.fusedNodes).map(\.name).filter { !$0.isEmpty }.joined(separator: "+")
        result[i] = PendingStep(
          node: node, op: ScaleResidualOperator(), inputTypes: [xType, sType], outputTypes: p.outputTypes,
          fusedNodes: pending[j].fusedNodes + p.fusedNodes, stage: nil)
        removed.insert(j)
        break
      }
    }
    return result.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
  }

  /// Whether `s` broadcasts against `x` (`N × C × spatial`) as one value per channel (or per image and channel).
  private static func perChannel(_ s: [Int], of x: [Int]) -> Bool {
    guard s.count <= x.count, s.count >= x.count - 1 else { return false }
    let padded = [Int](repeating: 1, count: x.count - s.count) + s
    return padded[1] == x[1] && (padded[0] == 1 || padded[0] == x[0]) && padded.dropFirst(2).allSatisfy { $0 == 1 }
  }
}
