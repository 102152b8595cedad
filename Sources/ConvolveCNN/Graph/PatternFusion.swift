import ConvolveCore
import Foundation

/// Operators exporters spell out node by node, recognised in the planned steps and run as one: the LayerNorm
/// written before opset 17 (`ReduceMean → Sub → Pow 2 → ReduceMean → Add ε → Sqrt → Div`, then an optional
/// `Mul` by a constant scale and `Add` of a constant bias) becomes a `LayerNormalizationOperator` over the reduced
/// axes (contiguous, any of them: ConvNeXt's channels-first form reduces axis 1), and any small chain of
/// element-wise nodes computing `x · Φ(x)` (Gelu's Erf form) or its tanh approximation from one value becomes
/// one Gelu. A chain is recognised by its value: it is evaluated on sample inputs and compared with the
/// function, so every order and spelling of the constants is found. Intermediates must have no reader outside
/// the pattern and not be kept.
enum PatternFusion {
  static func fuse(_ pending: [PendingStep], constants: [String: GraphTensor], readers: [String: Int], keep: Set<String>)
    -> [PendingStep]
  {
    var context = Context(steps: pending, constants: constants, readers: readers, keep: keep)
    for i in pending.indices { context.layerNorm(tail: i) }
    for i in pending.indices { context.gelu(tail: i) }
    return context.result()
  }

  struct Context {
    var steps: [PendingStep]
    let constants: [String: GraphTensor]
    let readers: [String: Int]
    let keep: Set<String>
    var producer: [String: Int] = [:]
    var removed = Set<Int>()

    init(steps: [PendingStep], constants: [String: GraphTensor], readers: [String: Int], keep: Set<String>) {
      (self.steps, self.constants, self.readers, self.keep) = (steps, constants, readers, keep)
      for (i, p) in steps.enumerated() { for o in p.node.outputs where !o.isEmpty { producer[o] = i } }
    }

    func result() -> [PendingStep] { steps.enumerated().filter { !removed.contains($0.offset) }.map(\.element) }

    func scalar(_ name: String) -> Float? {
      guard let c = constants[name], c.elementType == .float32, c.count == 1 else { return nil }
      return c.floats[0]
    }

    /// The step producing `value`, when it is live, has that one output and `value` is read `uses` times, all
    /// inside the pattern, and not kept.
    func inner(_ value: String, uses: Int = 1) -> Int? {
      guard let j = producer[value], !removed.contains(j), steps[j].node.outputs.count == 1, readers[value] == uses,
        !keep.contains(value)
      else { return nil }
      return j
    }

    func binary(_ j: Int, _ kind: BinaryOperator.Kind) -> Bool {
      (steps[j].op as? BinaryOperator)?.kind == kind && steps[j].node.inputs.count == 2
    }

    /// The normalised axes of a ReduceMean step keeping its dimensions, as a contiguous range of the input's.
    func meanAxes(_ j: Int) -> ClosedRange<Int>? {
      guard let r = steps[j].op as? ReduceOperator, r.kind == .mean, r.keepDims, let x = steps[j].inputTypes.first ?? nil
      else { return nil }
      let given = r.axesFromInput ? steps[j].node.input(1).flatMap { constants[$0]?.ints } : r.attributeAxes
      guard let given, !given.isEmpty,
        let axes = try? given.map({ try normalizedAxis($0, rank: x.shape.count) }).sorted(),
        axes.last! - axes.first! == axes.count - 1, Set(axes).count == axes.count
      else { return nil }
      return axes.first! ... axes.last!
    }

    /// The other operand of a two-input step when one is `value`.
    func other(_ j: Int, _ value: String) -> String? {
      let ins = steps[j].node.inputs
      return ins[0] == value ? ins[1] : ins[1] == value ? ins[0] : nil
    }

    mutating func layerNorm(tail div: Int) {
      guard !removed.contains(div), !steps[div].dynamic, binary(div, .div) else { return }
      let (d, r) = (steps[div].node.inputs[0], steps[div].node.inputs[1])
      guard let sqrt = inner(r), (steps[sqrt].op as? MathUnaryOperator)?.kind == .sqrt,
        let add = inner(steps[sqrt].node.inputs[0]), binary(add, .add)
      else { return }
      let addIns = steps[add].node.inputs
      guard let (variance, epsilon) = scalar(addIns[1]).map({ (addIns[0], $0) }) ?? scalar(addIns[0]).map({ (addIns[1], $0) }),
        let reduce2 = inner(variance), let axes = meanAxes(reduce2), let pow = inner(steps[reduce2].node.inputs[0])
      else { return }
      // (x − mean)² as Pow(d, 2) or Mul(d, d); d is read by it and the Div.
      let squares = (binary(pow, .pow) && steps[pow].node.inputs[0] == d && scalar(steps[pow].node.inputs[1]) == 2)
        || (binary(pow, .mul) && steps[pow].node.inputs == [d, d])
      guard squares, let sub = inner(d, uses: binary(pow, .mul) ? 3 : 2), binary(sub, .sub),
        let reduce1 = inner(steps[sub].node.inputs[1]), meanAxes(reduce1) == axes,
        steps[reduce1].node.inputs[0] == steps[sub].node.inputs[0], let xType = steps[sub].inputTypes[0],
        xType.elementType == .float32, steps[div].outputTypes.first?.shape == xType.shape
      else { return }
      let x = steps[sub].node.inputs[0]
      var members = [reduce1, sub, pow, reduce2, add, sqrt, div]
      var inputs = [x, "", ""]
      var last = div
      // An affine map after it: Mul by a constant, then Add of one, each broadcast to the input's shape.
      for (slot, kind) in [(1, BinaryOperator.Kind.mul), (2, .add)] {
        let out = steps[last].node.outputs[0]
        guard readers[out] == 1, !keep.contains(out),
          let next = steps.indices.first(where: { $0 > last && !removed.contains($0) && binary($0, kind) && steps[$0].node.inputs.contains(out) }),
          let name = other(next, out), let t = constants[name], t.elementType == .float32,
          (try? broadcastShape(xType.shape, t.shape)) == xType.shape
        else { continue }
        inputs[slot] = name
        members.append(next)
        last = next
      }
      replace(
        members, at: last, opType: "LayerNormalization", inputs: inputs,
        op: LayerNormalizationOperator(axis: axes.lowerBound, lastAxis: axes.upperBound, epsilon: epsilon),
        inputTypes: inputs.map { $0.isEmpty ? nil : $0 == x ? xType : constants[$0].map { ValueType($0.shape) } }, stage: nil)
    }

    /// Replaces `members` by one step at `at`'s place (keeping its output) running `op`.
    mutating func replace(
      _ members: [Int], at: Int, opType: String, inputs: [String], op: any GraphOperator, inputTypes: [ValueType?],
      attributes: [String: Attribute] = [:], stage: (input: Int, stage: ElementwiseStage)?
    ) {
      let ordered = members.sorted()
      let fused = ordered.flatMap { steps[$0].fusedNodes }
      let node = Node(
        name: fused.map(\.name).filter { !$0.isEmpty }.joined(separator: "+"), opType: opType, inputs: inputs,
        outputs: steps[at].node.outputs, attributes: attributes)
      steps[at] = PendingStep(
        node: node, op: op, inputTypes: inputTypes, outputTypes: steps[at].outputTypes, fusedNodes: fused, stage: stage)
      removed.formUnion(ordered.filter { $0 != at })
    }

    /// Whether step `j` is an element-wise map a Gelu pattern may contain.
    func elementwise(_ j: Int) -> Bool {
      guard !removed.contains(j), !steps[j].dynamic, steps[j].node.outputs.count == 1,
        steps[j].outputTypes.first?.elementType == .float32
      else { return false }
      switch steps[j].op {
      case let b as BinaryOperator: return [.add, .sub, .mul, .div, .pow].contains(b.kind)
      case let m as MathUnaryOperator: return [.erf, .sqrt, .neg].contains(m.kind)
      case let u as UnaryOperator: return u.kind == .tanh
      default: return false
      }
    }

    mutating func gelu(tail: Int) {
      guard elementwise(tail), binary(tail, .mul), let outType = steps[tail].outputTypes.first else { return }
      // The element-wise steps within reach backwards, and the non-constant values they read.
      var reach = Set<Int>(), stack = [tail], values: [String] = []
      while let j = stack.popLast(), reach.count < 16 {
        guard reach.insert(j).inserted else { continue }
        for name in steps[j].node.inputs where !name.isEmpty && constants[name] == nil {
          if !values.contains(name) { values.append(name) }
          if let p = producer[name], elementwise(p) { stack.append(p) }
        }
      }
      for x in values {
        guard let cone = cone(tail, x, within: reach), cone.count >= 4, let kind = recognise(cone, x),
          let reader = cone.first(where: { steps[$0].node.inputs.contains(x) }),
          let xType = steps[reader].inputTypes[steps[reader].node.inputs.firstIndex(of: x)!], xType.shape == outType.shape
        else { continue }
        replace(
          cone, at: tail, opType: "Gelu", inputs: [x], op: SmoothActivationOperator(kind: kind), inputTypes: [xType],
          attributes: ["approximate": .string(kind == .gelu ? "none" : "tanh")], stage: (0, .smooth(kind)))
        return
      }
    }

    /// The steps between `x` and `tail`: every input of each is `x`, a scalar constant, or another's output read
    /// only inside; nil when some other value enters.
    func cone(_ tail: Int, _ x: String, within reach: Set<Int>) -> [Int]? {
      var members = Set<Int>(), stack = [tail]
      while let j = stack.popLast() {
        guard members.insert(j).inserted else { continue }
        for name in steps[j].node.inputs where name != x {
          if scalar(name) != nil { continue }
          guard let p = producer[name], reach.contains(p) else { return nil }
          stack.append(p)
        }
      }
      var uses: [String: Int] = [:]
      for j in members { for name in steps[j].node.inputs { uses[name, default: 0] += 1 } }
      for j in members where j != tail {
        let out = steps[j].node.outputs[0]
        guard uses[out] == readers[out], !keep.contains(out) else { return nil }
      }
      return members.sorted()
    }

    /// Which Gelu the steps compute from `x`, from their values at sample points.
    func recognise(_ cone: [Int], _ x: String) -> SmoothActivationOperator.Kind? {
      let samples = stride(from: -6.0, through: 6.0, by: 0.25).map { Float($0) } + [-0.03, 0.01, 0.4]
      var values: [String: GraphTensor] = [x: GraphTensor(shape: [samples.count], floats: samples)]
      for j in cone {
        var operands = OperatorInputs(values: steps[j].node.inputs.map { values[$0] ?? constants[$0] })
        guard let out = try? steps[j].op.run(&operands).first, out.shape == [samples.count] || out.count == samples.count else { return nil }
        values[steps[j].node.outputs[0]] = out.reshaped([samples.count])
      }
      guard let y = values[steps[cone.last!].node.outputs[0]]?.floats else { return nil }
      func matches(_ f: (Double) -> Double) -> Bool {
        zip(samples, y).allSatisfy { s, v in
          let e = f(Double(s))
          return abs(Double(v) - e) <= 2e-6 * max(1, abs(e))
        }
      }
      if matches({ 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) }) { return .gelu }
      if matches({ 0.5 * $0 * (1 + Foundation.tanh(0.7978845608028654 * ($0 + 0.044715 * $0 * $0 * $0))) }) { return .geluTanh }
      return nil
    }
  }
}
