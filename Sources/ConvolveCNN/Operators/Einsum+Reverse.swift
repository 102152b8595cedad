import ConvolveCore

extension EinsumOperator {
  var reverseReads: ReverseReads? { .inputs }

  /// The gradient of an operand is itself an Einsum: the output's gradient contracted with the other operand
  /// back to the operand's letters (`bik,bjk->bij` for `bij,bjk->bik`); a letter the output and the other
  /// operand lack (summed away) is broadcast back. One operand: the gradient permuted and broadcast back.
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let shapes = try (0 ..< terms.count).map { try context.inputShape($0) }
    let (ins, out) = try labels(shapes)
    let size = try sizes(ins, shapes)
    let g = GraphTensor(shape: context.outputTypes[0].shape, floats: context.gradient(0))
    // The digits standing for `...` dimensions renamed to letters the equation does not use.
    let free = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz").filter { c in !(ins + [out]).contains { $0.contains(c) } }
    func spelled(_ l: [Character]) -> String { String(l.map { $0.isNumber ? free[Int(String($0))!] : $0 }) }
    return try ins.indices.map { k -> GraphTensor? in
      guard context.wants(k) else { return nil }
      let mine = ins[k]
      // The letters this operand's gradient gets by contraction; the rest are broadcast.
      var sources = [(g, out)]
      if ins.count == 2 { sources.append((try context.input(1 - k), ins[1 - k])) }
      let reached = Set(sources.flatMap(\.1))
      let kept = mine.filter { reached.contains($0) }
      let partial: GraphTensor
      if sources.count == 1 {
        partial = try Self.arranged(g, out, keep: Set(kept), order: kept)
      } else {
        let op = try EinsumOperator(
          Node(name: "", opType: "Einsum", inputs: [], outputs: [], attributes: [
            "equation": .string(spelled(sources[0].1) + "," + spelled(sources[1].1) + "->" + spelled(kept))
          ]))
        var operands = OperatorInputs(values: [sources[0].0, sources[1].0])
        partial = try op.run(&operands)[0]
      }
      let keptShape = mine.map { reached.contains($0) ? size[$0]! : 1 }
      return GraphTensor(shape: shapes[k], floats: expand(partial.floats, keptShape, to: shapes[k]))
    }
  }
}
