import ConvolveCore
import Foundation

/// ONNX ReduceMean (and ReduceSum, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceSumSquare,
/// ReduceLogSumExp): axes as an attribute (as an input from opset 18, 13 for ReduceSum), keepdims,
/// noop_with_empty_axes; no axes reduces everything.
struct ReduceOperator: GraphOperator {
  enum Kind: String, CaseIterable {
    case mean = "ReduceMean", sum = "ReduceSum", max = "ReduceMax", min = "ReduceMin", prod = "ReduceProd"
    case l1 = "ReduceL1", l2 = "ReduceL2", sumSquare = "ReduceSumSquare", logSumExp = "ReduceLogSumExp"
  }
  let kind: Kind
  let attributeAxes: [Int]?
  let axesFromInput: Bool
  let keepDims: Bool
  let noopWithEmptyAxes: Bool

  init(_ node: Node, kind: Kind, opset: Int) throws {
    self.kind = kind
    axesFromInput = opset >= (kind == .sum ? 13 : 18)
    attributeAxes = axesFromInput ? nil : try node.ints("axes")
    keepDims = try node.int("keepdims", default: 1) != 0
    noopWithEmptyAxes = try node.int("noop_with_empty_axes", default: 0) != 0
  }

  /// The reduced axes (nil: none, the input passes through) and the output shape.
  func plan(_ s: [Int], axes: [Int]?) throws -> (reduced: Set<Int>?, shape: [Int]) {
    let given = axes ?? []
    if given.isEmpty && noopWithEmptyAxes { return (nil, s) }
    let reduced = given.isEmpty ? Set(s.indices) : Set(try given.map { try normalizedAxis($0, rank: s.count) })
    let shape = s.indices.compactMap { i -> Int? in reduced.contains(i) ? (keepDims ? 1 : nil) : s[i] }
    return (reduced, shape)
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "data")
    let axes = axesFromInput ? try constantInput(inputs, 1, "axes")?.ints : attributeAxes
    let (_, shape) = try plan(x.shape, axes: axes)
    return [ValueType(shape, x.type.elementType)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.take(0, "data")
    let (reduced, shape) = try plan(x.shape, axes: axesFromInput ? inputs.optional(1)?.ints : attributeAxes)
    guard let reduced else { return [x] }
    return [reduce(x, kind, reduced: reduced, shape: shape)]
  }

  /// `x` reduced over the axes `reduced` to `shape`, accumulated in Float64.
  func reduce(_ x: GraphTensor, _ kind: Kind, reduced: Set<Int>, shape: [Int]) -> GraphTensor {
    let v = x.floats
    let s = x.shape
    let outCount = shape.reduce(1, *)
    // Output strides over the input's axes (0 on reduced axes).
    var outStrides = [Int](repeating: 0, count: s.count)
    var stride = 1
    for i in s.indices.reversed() where !reduced.contains(i) {
      outStrides[i] = stride
      stride *= s[i]
    }
    // ReduceLogSumExp: the maxima first, then Σ exp(x − max) in a second pass.
    let maxima = kind == .logSumExp ? reduce(x, .max, reduced: reduced, shape: shape).floats.map(Double.init) : []
    let initial: Double = kind == .max ? -.infinity : kind == .min ? .infinity : kind == .prod ? 1 : 0
    var acc = [Double](repeating: initial, count: outCount)
    if !v.isEmpty {
      var index = [Int](repeating: 0, count: s.count)
      var o = 0
      let last = s.count - 1
      let n = last >= 0 ? s[last] : 1, inner = last >= 0 ? outStrides[last] : 0
      var i = 0
      while i < v.count {
        for j in 0 ..< n {
          let value = Double(v[i + j])
          switch kind {
          case .mean, .sum: acc[o + j * inner] += value
          case .prod: acc[o + j * inner] *= value
          case .max: if value > acc[o + j * inner] || value.isNaN { acc[o + j * inner] = value }
          case .min: if value < acc[o + j * inner] || value.isNaN { acc[o + j * inner] = value }
          case .l1: acc[o + j * inner] += Swift.abs(value)
          case .l2, .sumSquare: acc[o + j * inner] += value * value
          case .logSumExp:
            let m = maxima[o + j * inner]
            if m.isFinite { acc[o + j * inner] += Foundation.exp(value - m) }
          }
        }
        i += n
        var d = last - 1
        while d >= 0 {
          index[d] += 1
          o += outStrides[d]
          if index[d] < s[d] { break }
          o -= outStrides[d] * s[d]
          index[d] = 0
          d -= 1
        }
      }
    }
    let reducedCount = max(1, v.count / max(1, outCount))
    switch kind {
    case .l2: for i in acc.indices { acc[i] = acc[i].squareRoot() }
    case .logSumExp: for i in acc.indices { acc[i] = maxima[i].isFinite ? maxima[i] + Foundation.log(acc[i]) : maxima[i] }
    default: break
    }
    if x.elementType == .int64 {
      return GraphTensor(shape: shape, int64s: acc.map { kind == .mean ? Int64($0 / Double(reducedCount)) : Int64($0) })
    }
    return GraphTensor(shape: shape, floats: acc.map { kind == .mean ? Float($0 / Double(reducedCount)) : Float($0) })
  }
}

extension ReduceOperator {
  var reverseReads: ReverseReads? { [.max, .min, .l2, .logSumExp].contains(kind) ? [.inputs, .outputs] : .inputs }

  /// The output's gradient broadcast back over the reduced axes (divided by their size for the mean; for
  /// the max and min, to every sample equal to the result), times `sign(x)` (L1), `2x` (sum of squares), `x / y`
  /// (L2) or `exp(x − y)` (log-sum-exp).
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    guard kind != .prod else { throw ConvolveError.invalidArgument("ReduceProd has no reverse rule") }
    let s = try context.inputShape(0)
    let axes = axesFromInput ? context.optional(1)?.ints : attributeAxes
    let (reduced, _) = try plan(s, axes: axes)
    var g = context.gradient(0)
    guard let reduced else { return context.only(s, g) }
    let kept = s.indices.map { reduced.contains($0) ? 1 : s[$0] }
    if kind == .mean {
      let count = Float(max(1, s.reduce(1, *) / max(1, kept.reduce(1, *))))
      for i in g.indices { g[i] /= count }
    }
    var dx = expand(g, kept, to: s)
    let xs = try context.input(0).floats
    switch kind {
    case .max, .min:
      let ys = expand(try context.output(0).floats, kept, to: s)
      for i in dx.indices where xs[i] != ys[i] { dx[i] = 0 }
    case .l1: for i in dx.indices { dx[i] *= xs[i] > 0 ? 1 : xs[i] < 0 ? -1 : 0 }
    case .sumSquare: for i in dx.indices { dx[i] *= 2 * xs[i] }
    case .l2:
      let ys = expand(try context.output(0).floats, kept, to: s)
      for i in dx.indices { dx[i] = ys[i] == 0 ? 0 : dx[i] * xs[i] / ys[i] }
    case .logSumExp:
      let ys = expand(try context.output(0).floats, kept, to: s)
      for i in dx.indices { dx[i] *= Foundation.exp(xs[i] - ys[i]) }
    case .mean, .sum, .prod: break
    }
    return context.only(s, dx)
  }
}
