import ConvolveCore

extension Graph {
  /// Folds every inference-mode BatchNormalization whose input is the output of a Conv or ConvTranspose (read
  /// by nothing else) into it, as ONNX Runtime does at load: with `a = scale / sqrt(var + epsilon)` per output
  /// channel, `W' = a·W` and `B' = a·(B - mean) + beta`. The Conv takes over the BatchNormalization's output
  /// name. Weights and parameters must be initializers; anything else is left for the BatchNormalization
  /// operator; so is one whose input is in `keeping`. Returns how many were folded.
  @discardableResult
  public mutating func foldBatchNormalization(keeping: Set<String> = []) -> Int {
    var producer: [String: Int] = [:]
    for (i, node) in nodes.enumerated() { for o in node.outputs where !o.isEmpty { producer[o] = i } }
    let consumers = consumerCounts()
    var removed = Set<Int>()
    var folded = 0
    for (b, bn) in nodes.enumerated() where bn.opType == "BatchNormalization" && (bn.domain.isEmpty || bn.domain == "ai.onnx") {
      guard bn.inputs.count == 5, bn.outputs.count >= 1, bn.outputs.dropFirst().allSatisfy({ $0.isEmpty }),
        (try? bn.int("training_mode", default: 0)) == 0,
        let c = producer[bn.inputs[0]], !removed.contains(c), ["Conv", "ConvTranspose"].contains(nodes[c].opType),
        nodes[c].domain.isEmpty || nodes[c].domain == "ai.onnx", nodes[c].outputs.count == 1,
        consumers[bn.inputs[0]] == 1, !keeping.contains(bn.inputs[0]),
        let epsilon = try? bn.float("epsilon", default: 1e-5)
      else { continue }
      let conv = nodes[c]
      guard let wName = conv.input(1), case .float(let w)? = initializers[wName]?.storage,
        let wShape = initializers[wName]?.shape, let layout = OutputChannels(conv, weightShape: wShape, count: w.count)
      else { continue }
      let m = layout.count
      var params: [[Float]] = []
      for name in bn.inputs[1...4] {
        guard case .float(let v)? = initializers[name]?.storage, v.count == m else { break }
        params.append(v)
      }
      guard params.count == 4 else { continue }
      var bias = [Float](repeating: 0, count: m)
      if let bName = conv.input(2) {
        guard case .float(let v)? = initializers[bName]?.storage, v.count == m else { continue }
        bias = v
      }
      let (scale, beta, mean, variance) = (params[0], params[1], params[2], params[3])
      var newW = w, newB = bias
      for o in 0 ..< m {
        let a = Double(scale[o]) / (Double(variance[o]) + Double(epsilon)).squareRoot()
        for r in layout.slices(o) { for i in r { newW[i] = Float(Double(w[i]) * a) } }
        newB[o] = Float(a * (Double(bias[o]) - Double(mean[o])) + Double(beta[o]))
      }
      let base = (conv.name.isEmpty ? bn.outputs[0] : conv.name) + "/folded_batchnorm"
      var wKey = base + "/W", bKey = base + "/B"
      while initializers[wKey] != nil || initializers[bKey] != nil || producer[wKey] != nil || producer[bKey] != nil {
        wKey += "_"
        bKey += "_"
      }
      initializers[wKey] = GraphTensor(shape: wShape, floats: newW)
      initializers[bKey] = GraphTensor(shape: [m], floats: newB)
      var fused = conv
      fused.inputs = [conv.inputs[0], wKey, bKey]
      fused.outputs = [bn.outputs[0]]
      nodes[c] = fused
      producer[bn.outputs[0]] = c
      removed.insert(b)
      folded += 1
    }
    guard folded > 0 else { return 0 }
    nodes = nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    // Drop initializers nothing reads any more (the unfolded weights and BatchNormalization parameters).
    var used = Set(outputs.map(\.name))
    for node in nodes { used.formUnion(node.inputs) }
    initializers = initializers.filter { used.contains($0.key) }
    return folded
  }
}

/// The output channels of a Conv or ConvTranspose weight: how many, and the weight elements of each (Conv
/// `[M][C/g][k...]`: one run per channel; ConvTranspose `[C][M/g][k...]`: one run per input channel of its group).
struct OutputChannels {
  let count: Int
  let slices: (Int) -> [Range<Int>]

  init?(_ node: Node, weightShape s: [Int], count elements: Int) {
    guard s.count >= 3, s.allSatisfy({ $0 > 0 }), s.reduce(1, *) == elements else { return nil }
    if node.opType == "Conv" {
      let m = s[0], per = elements / m
      count = m
      slices = { o in [o * per ..< (o + 1) * per] }
    } else {
      guard let group = try? node.int("group", default: 1), group >= 1, s[0] % group == 0 else { return nil }
      let (cin, coutG, kk) = (s[0], s[1], s.dropFirst(2).reduce(1, *))
      let cinG = cin / group
      count = coutG * group
      slices = { o in
        let (g, oo) = (o / coutG, o % coutG)
        return (g * cinG ..< (g + 1) * cinG).map { ci in (ci * coutG + oo) * kk ..< (ci * coutG + oo + 1) * kk }
      }
    }
  }
}
