import ConvolveCore

/// ONNX Einsum for one or two operands whose letters each appear once per operand (`...` for leading
/// dimensions): batched matrix products (`bij,bjk->bik`), attention (`bhid,bhjd->bhij`), outer products,
/// transposes and sums. Each operand is summed over the letters only it has and the output lacks, permuted to
/// `batch × kept × contracted`, and the two multiplied batch by batch (SGEMM). Others are refused naming the
/// equation.
struct EinsumOperator: GraphOperator {
  let equation: String
  let terms: [[Character]]
  let output: [Character]?

  init(_ node: Node) throws {
    guard let text = try node.string("equation") else { throw ConvolveError.invalidArgument("equation is missing") }
    equation = text
    let clean = text.filter { !$0.isWhitespace }
    let sides = clean.components(separatedBy: "->")
    guard sides.count <= 2 else { throw Self.refusal(text, "it has more than one ->") }
    terms = sides[0].split(separator: ",", omittingEmptySubsequences: false).map { Array($0.replacingOccurrences(of: "...", with: "*")) }
    output = sides.count == 2 ? Array(sides[1].replacingOccurrences(of: "...", with: "*")) : nil
    guard terms.count == 1 || terms.count == 2 else { throw Self.refusal(text, "only one or two operands are supported") }
    for term in terms + [output ?? []] {
      guard term.allSatisfy({ $0 == "*" || $0.isLetter }), Set(term).count == term.count else {
        throw Self.refusal(text, "a letter repeated within one operand (a diagonal) or a character other than letters and ...")
      }
    }
  }

  static func refusal(_ equation: String, _ why: String) -> ConvolveError {
    .invalidArgument("Einsum '\(equation)' is not supported: \(why)")
  }

  /// Each operand's letters with `...` expanded to digits standing for its leading dimensions, and the output's.
  func labels(_ shapes: [[Int]]) throws -> (inputs: [[Character]], output: [Character]) {
    var ellipsis = 0
    var inputs: [[Character]] = []
    for (term, shape) in zip(terms, shapes) {
      let named = term.filter { $0 != "*" }.count
      guard term.contains("*") ? shape.count >= named : shape.count == named else {
        throw Self.refusal(equation, "operand '\(String(term))' does not match its rank \(shape.count)")
      }
      let extra = shape.count - named
      if term.contains("*") { ellipsis = max(ellipsis, extra) }
      let dims = (0 ..< extra).map { Character(UnicodeScalar(UInt8(48 + ellipsis - extra + $0))) }
      inputs.append(term.flatMap { $0 == "*" ? dims : [$0] })
    }
    guard ellipsis <= 10 else { throw Self.refusal(equation, "too many dimensions under ...") }
    let broadcastDims = (0 ..< ellipsis).map { Character(UnicodeScalar(UInt8(48 + $0))) }
    if let output {
      return (inputs, output.flatMap { $0 == "*" ? broadcastDims : [$0] })
    }
    // Implicit output: the ... dimensions, then the letters that appear once, in alphabetical order.
    let letters = terms.flatMap { $0 }.filter { $0 != "*" }
    let once = Set(letters).filter { c in letters.filter { $0 == c }.count == 1 }.sorted()
    return (inputs, broadcastDims + once)
  }

  /// Every label's size, checked to agree between operands (a size 1 of a `...` dimension broadcasts).
  func sizes(_ labels: [[Character]], _ shapes: [[Int]]) throws -> [Character: Int] {
    var size: [Character: Int] = [:]
    for (l, s) in zip(labels, shapes) {
      for (c, n) in zip(l, s) {
        if let m = size[c], m != n {
          guard c.isNumber, m == 1 || n == 1 else {
            throw Self.refusal(equation, "'\(c)' is \(m) in one operand and \(n) in another")
          }
          size[c] = max(m, n)
        } else {
          size[c] = n
        }
      }
    }
    return size
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let shapes = try (0 ..< terms.count).map { try required(inputs, $0, "operand").shape }
    guard inputs.count == terms.count else { throw Self.refusal(equation, "it names \(terms.count) operands; the node has \(inputs.count)") }
    for i in 0 ..< terms.count where inputs[i]?.type.elementType != .float32 { throw Self.refusal(equation, "operands must be float32") }
    let (ins, out) = try labels(shapes)
    let size = try sizes(ins, shapes)
    for c in out where size[c] == nil { throw Self.refusal(equation, "output letter '\(c)' is in no operand") }
    for (l, s) in zip(ins, shapes) where zip(l, s).contains(where: { $0.0.isNumber && $0.1 != size[$0.0] }) {
      throw Self.refusal(equation, "broadcasting an operand of shape \(shapeText(s)) under ... is not supported")
    }
    let shape = out.map { size[$0]! }
    _ = try checkedCount(shape)
    return [ValueType(shape)]
  }

  func multiplyAdds(inputs: [ValueType?], outputs: [ValueType]) -> Int {
    guard inputs.count == 2, let a = inputs[0], let b = inputs[1], let o = outputs.first else { return 0 }
    let outCount = o.shape.reduce(1, *)
    return outCount * max(1, a.shape.reduce(1, *) * b.shape.reduce(1, *) / max(1, outCount * outCount))
  }

  /// `x` (labelled `l`) summed over the labels not in `keep`, then permuted to `order`.
  static func arranged(_ x: GraphTensor, _ l: [Character], keep: Set<Character>, order: [Character]) throws -> GraphTensor {
    var t = x, labels = l
    if labels.contains(where: { !keep.contains($0) }) {
      let axes = labels.indices.filter { !keep.contains(labels[$0]) }
      let reduce = try ReduceOperator(
        Node(name: "", opType: "ReduceSum", inputs: [], outputs: [], attributes: ["keepdims": .int(0)]), kind: .sum, opset: 13)
      var operands = OperatorInputs(values: [t, GraphTensor(int64s: axes.map(Int64.init))])
      t = try reduce.run(&operands)[0]
      labels = labels.filter { keep.contains($0) }
    }
    let perm = order.map { labels.firstIndex(of: $0)! }
    if perm == Array(perm.indices) { return t }
    let strides = stridesOf(t.shape)
    return t.strided(offset: 0, shape: perm.map { t.shape[$0] }, strides: perm.map { strides[$0] })
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let xs = try (0 ..< terms.count).map { try inputs.get($0, "operand") }
    let (ins, out) = try labels(xs.map(\.shape))
    let size = try sizes(ins, xs.map(\.shape))
    let outShape = out.map { size[$0]! }
    let outSet = Set(out)
    if xs.count == 1 {
      return [try Self.arranged(xs[0], ins[0], keep: outSet, order: out).reshaped(outShape)]
    }
    let (la, lb) = (ins[0], ins[1])
    let (sa, sb) = (Set(la), Set(lb))
    // Batch: in both and the output; kept: in one and the output; contracted: in both, not the output.
    let batch = out.filter { sa.contains($0) && sb.contains($0) }
    let keptA = out.filter { sa.contains($0) && !sb.contains($0) }, keptB = out.filter { sb.contains($0) && !sa.contains($0) }
    let contracted = la.filter { sb.contains($0) && !outSet.contains($0) }
    let a = try Self.arranged(xs[0], la, keep: sa.intersection(outSet.union(contracted)), order: batch + keptA + contracted)
    let b = try Self.arranged(xs[1], lb, keep: sb.intersection(outSet.union(contracted)), order: batch + contracted + keptB)
    let count = { (l: [Character]) in l.reduce(1) { $0 * size[$1]! } }
    let (nb, m, k, n) = (count(batch), count(keptA), count(contracted), count(keptB))
    let av = try requireFloat(a, "operand 1"), bv = try requireFloat(b, "operand 2")
    var product = [Float](repeating: 0, count: nb * m * n)
    av.withUnsafeBufferPointer { pa in
      bv.withUnsafeBufferPointer { pb in
        product.withUnsafeMutableBufferPointer { pc in
          guard let pa = pa.baseAddress, let pb = pb.baseAddress, let pc = pc.baseAddress, m > 0, n > 0 else { return }
          for i in 0 ..< nb {
            matrixProduct(pa + i * m * k, (m, k), transposed: false, pb + i * k * n, (k, n), transposed: false, into: pc + i * m * n)
          }
        }
      }
    }
    let result = GraphTensor(shape: batch.map { size[$0]! } + keptA.map { size[$0]! } + keptB.map { size[$0]! }, floats: product)
    return [try Self.arranged(result, batch + keptA + keptB, keep: outSet, order: out)]
  }
}
