import ConvolveCore

extension Graph {
  /// Folds element-wise Mul, Div, Add and Sub by a constant right after a Conv (or ConvTranspose) into its
  /// weights and bias, as ONNX Runtime's Conv+Mul and Conv+Add fusions do: `(W·x + B)·c = (c·W)·x + c·B` and
  /// `W·x + B + c = W·x + (B + c)`. The constant must be one value or one per output channel
  /// (`[M, 1, 1]`, `[1, M, 1, 1]`), the Conv's weights and bias initializers, and its output read by that
  /// node alone (and not in `keeping`). Repeats so that Conv → Mul → Add folds whole. Returns how many
  /// nodes were folded.
  @discardableResult
  public mutating func foldConvAffine(keeping: Set<String> = []) -> Int {
    // The maps are made once and kept up to date: a folded node's output becomes the Conv's, and the
    // removed nodes are dropped at the end (one pass per chain link, not one scan per fold).
    var producer: [String: Int] = [:]
    for (i, node) in nodes.enumerated() { for o in node.outputs where !o.isEmpty { producer[o] = i } }
    let consumers = consumerCounts()
    var removed = Set<Int>()
    var folded = 0
    var changed = true
    while changed {
      changed = false
      for e in nodes.indices where !removed.contains(e) {
        guard let c = convAffineTarget(e, producer: producer, consumers: consumers, keeping: keeping),
          fold(conv: c, op: e)
        else { continue }
        producer[nodes[c].outputs[0]] = c
        removed.insert(e)
        folded += 1
        changed = true
      }
    }
    if folded > 0 {
      nodes = nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
      dropUnusedInitializers()
    }
    return folded
  }

  /// Folds node `e` into the Conv `c` before it: new weights and bias initializers, the Conv takes over the
  /// node's output. False when the weights are not what `convAffineTarget` checked.
  private mutating func fold(conv c: Int, op e: Int) -> Bool {
    let conv = nodes[c], op = nodes[e]
    let constantName = op.inputs[0] == conv.outputs[0] ? op.inputs[1] : op.inputs[0]
    guard let wName = conv.input(1), case .float(let w)? = initializers[wName]?.storage,
      let wShape = initializers[wName]?.shape, let layout = OutputChannels(conv, weightShape: wShape, count: w.count),
      let constant = initializers[constantName]?.floats
    else { return false }
    let m = layout.count
    var bias = [Float](repeating: 0, count: m)
    if let bName = conv.input(2), let b = initializers[bName]?.floats { bias = b }
    var newW = w
    for o in 0 ..< m {
      let v = constant.count == 1 ? constant[0] : constant[o]
      switch op.opType {
      case "Mul":
        for r in layout.slices(o) { for i in r { newW[i] = w[i] * v } }
        bias[o] *= v
      case "Div":
        for r in layout.slices(o) { for i in r { newW[i] = w[i] / v } }
        bias[o] /= v
      case "Add": bias[o] += v
      default: bias[o] -= v
      }
    }
    let base = (conv.name.isEmpty ? op.outputs[0] : conv.name) + "/folded_\(op.opType.lowercased())"
    var wKey = base + "/W", bKey = base + "/B"
    while initializers[wKey] != nil || initializers[bKey] != nil {
      wKey += "_"
      bKey += "_"
    }
    if op.opType == "Mul" || op.opType == "Div" {
      initializers[wKey] = GraphTensor(shape: wShape, floats: newW)
    } else {
      wKey = wName
    }
    initializers[bKey] = GraphTensor(shape: [m], floats: bias)
    var fused = conv
    fused.inputs = [conv.inputs[0], wKey, bKey]
    fused.outputs = [op.outputs[0]]
    nodes[c] = fused
    return true
  }

  /// The Conv that node `e` (an element-wise node by a constant) folds into, if any.
  private func convAffineTarget(_ e: Int, producer: [String: Int], consumers: [String: Int], keeping: Set<String>) -> Int? {
    let op = nodes[e]
    guard ["Mul", "Div", "Add", "Sub"].contains(op.opType), isDefaultDomain(op) else { return nil }
    guard op.inputs.count == 2, op.outputs.count == 1 else { return nil }
    for side in 0 ..< 2 {
      let value = op.inputs[side], constantName = op.inputs[1 - side]
      // Div and Sub fold only as conv / c and conv - c.
      if side == 1 && (op.opType == "Div" || op.opType == "Sub") { continue }
      guard let c = producer[value], ["Conv", "ConvTranspose"].contains(nodes[c].opType), isDefaultDomain(nodes[c]),
        nodes[c].outputs.count == 1, consumers[value] == 1, !keeping.contains(value),
        let wName = nodes[c].input(1), let w = initializers[wName], w.elementType == .float32,
        let m = OutputChannels(nodes[c], weightShape: w.shape, count: w.count)?.count,
        nodes[c].input(2).map({ initializers[$0]?.count == m && initializers[$0]?.elementType == .float32 }) ?? true,
        let constant = initializers[constantName], constant.elementType == .float32,
        fitsPerChannel(constant.shape, channels: m, outputRank: w.rank)
      else { continue }
      if op.opType == "Div" && constant.floats.contains(0) { continue }
      return c
    }
    return nil
  }

  /// Whether a constant broadcast against a Conv output `N × M × spatial...` is one value or one per channel,
  /// leaving the output's shape unchanged.
  private func fitsPerChannel(_ shape: [Int], channels m: Int, outputRank: Int) -> Bool {
    guard shape.count <= outputRank else { return false }
    let count = shape.reduce(1, *)
    if count == 1 { return true }
    guard count == m else { return false }
    let channelAxis = shape.count - (outputRank - 1)
    return channelAxis >= 0 && shape[channelAxis] == m
  }

  func isDefaultDomain(_ node: Node) -> Bool { node.domain.isEmpty || node.domain == "ai.onnx" }

  /// Removes initializers no node and no output reads.
  mutating func dropUnusedInitializers() {
    var used = Set(outputs.map(\.name))
    for node in nodes { used.formUnion(node.inputs) }
    initializers = initializers.filter { used.contains($0.key) }
  }

  /// Replaces `Mul(x, Clip(Add(x, 3), 0, 6))` followed by `Div(·, 6)` (or `Mul(·, 1/6)`), the hard swish
  /// exporters spell out, by one HardSwish node. Intermediates must have no other reader and not be in
  /// `keeping`. Returns how many were replaced.
  @discardableResult
  public mutating func fuseHardSwish(keeping: Set<String> = []) -> Int {
    var producer: [String: Int] = [:]
    for (i, node) in nodes.enumerated() { for o in node.outputs where !o.isEmpty { producer[o] = i } }
    let consumers = consumerCounts()
    func scalar(_ name: String) -> Float? {
      guard let t = initializers[name], t.elementType == .float32, t.count == 1 else { return nil }
      return t.floats[0]
    }
    func single(_ value: String) -> Bool { consumers[value] == 1 && !keeping.contains(value) }
    var remove = Set<Int>()
    var replaced = 0
    for (d, div) in nodes.enumerated() where isDefaultDomain(div) && div.inputs.count == 2 && div.outputs.count == 1 {
      guard (div.opType == "Div" && scalar(div.inputs[1]) == 6) || (div.opType == "Mul" && scalar(div.inputs[1]).map({ abs($0 - 1 / 6) < 1e-7 }) == true),
        let m = producer[div.inputs[0]], nodes[m].opType == "Mul", isDefaultDomain(nodes[m]), single(div.inputs[0]),
        nodes[m].inputs.count == 2, !remove.contains(m)
      else { continue }
      let mul = nodes[m]
      for side in 0 ..< 2 {
        let x = mul.inputs[side], clipOut = mul.inputs[1 - side]
        guard let k = producer[clipOut], nodes[k].opType == "Clip", isDefaultDomain(nodes[k]), single(clipOut),
          let a = producer[nodes[k].inputs.first ?? ""], nodes[a].opType == "Add", isDefaultDomain(nodes[a]),
          single(nodes[k].inputs[0]), nodes[a].inputs.count == 2
        else { continue }
        let clip = nodes[k], add = nodes[a]
        let bounds: (Float?, Float?)
        if opsetVersion < 11 {
          bounds = ((try? clip.float("min")) ?? nil, (try? clip.float("max")) ?? nil)
        } else {
          bounds = (clip.input(1).flatMap(scalar), clip.input(2).flatMap(scalar))
        }
        guard bounds.0 == 0, bounds.1 == 6,
          (add.inputs[0] == x && scalar(add.inputs[1]) == 3) || (add.inputs[1] == x && scalar(add.inputs[0]) == 3)
        else { continue }
        nodes[d] = Node(name: div.name, opType: "HardSwish", inputs: [x], outputs: div.outputs)
        remove.formUnion([m, k, a])
        replaced += 1
        break
      }
    }
    guard replaced > 0 else { return 0 }
    nodes = nodes.enumerated().filter { !remove.contains($0.offset) }.map(\.element)
    dropUnusedInitializers()
    return replaced
  }
}
