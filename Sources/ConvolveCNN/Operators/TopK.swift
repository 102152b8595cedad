import ConvolveCore

/// ONNX TopK: the `K` largest (or smallest) values along `axis` and their Int64 indices, sorted, ties to the
/// lower index (as onnxruntime). A `K` computed at run time (torchvision's `min(k, n)`) makes it a dynamic step.
struct TopKOperator: GraphOperator {
  let axis: Int
  let largest: Bool
  let attributeK: Int?

  init(_ node: Node, opset: Int) throws {
    axis = try node.int("axis", default: -1)
    largest = try node.int("largest", default: 1) != 0
    attributeK = opset < 10 ? try node.int("k") : nil
  }

  func layout(_ s: [Int], k: Int) throws -> (a: Int, shape: [Int]) {
    let a = try normalizedAxis(axis, rank: s.count)
    guard k >= 0 && k <= s[a] else { throw ConvolveError.invalidArgument("K \(k) is outside 0 ... \(s[a]) (the axis length)") }
    var shape = s
    shape[a] = k
    return (a, shape)
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "X")
    if attributeK == nil {
      let k = try required(inputs, 1, "K")
      guard !k.type.isStatic || k.type.shape.reduce(1, *) == 1 else { throw ConvolveError.invalidArgument("K has shape \(shapeText(k.shape)); it must hold one value") }
      if k.constant == nil {
        var shape = x.shape
        let a = try normalizedAxis(axis, rank: shape.count)
        shape[a] = -1
        return [ValueType(shape, x.type.elementType), ValueType(shape, .int64)]
      }
    }
    guard let k = try attributeK ?? constantInput(inputs, 1, "K")?.ints.first else { throw ConvolveError.invalidArgument("K is missing") }
    let shape = try layout(x.shape, k: k).shape
    return [ValueType(shape, x.type.elementType), ValueType(shape, .int64)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.get(0, "X")
    guard let k = try attributeK ?? inputs.get(1, "K").ints.first else { throw ConvolveError.invalidArgument("K is missing") }
    let (a, shape) = try layout(x.shape, k: k)
    let s = x.shape, n = s[a]
    let outer = s[..<a].reduce(1, *), inner = s[(a + 1)...].reduce(1, *)
    let v = x.floats
    var values = [Float](repeating: 0, count: outer * k * inner), indices = [Int64](repeating: 0, count: values.count)
    let largest = self.largest
    var order = [Int](repeating: 0, count: n)
    for o in 0 ..< outer {
      for i in 0 ..< inner {
        let base = o * n * inner + i
        for j in 0 ..< n { order[j] = j }
        order.sort { p, q in
          let (a, b) = (v[base + p * inner], v[base + q * inner])
          if a == b || (a.isNaN && b.isNaN) { return p < q }
          if a.isNaN { return largest }
          if b.isNaN { return !largest }
          return largest ? a > b : a < b
        }
        for j in 0 ..< k {
          let out = (o * k + j) * inner + i
          values[out] = v[base + order[j] * inner]
          indices[out] = Int64(order[j])
        }
      }
    }
    let valueTensor = x.elementType == .int64
      ? GraphTensor(shape: shape, int64s: values.map { Int64($0) }) : GraphTensor(shape: shape, floats: values)
    return [valueTensor, GraphTensor(shape: shape, int64s: indices)]
  }
}
