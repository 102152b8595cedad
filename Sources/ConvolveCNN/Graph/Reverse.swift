import CKernels
import ConvolveCore

/// The forward tensors a reverse rule reads besides its outputs' gradients.
struct ReverseReads: OptionSet, Sendable {
  let rawValue: Int
  static let inputs = ReverseReads(rawValue: 1)
  static let outputs = ReverseReads(rawValue: 2)
  /// Only the output gradients and shapes (reshapes, sums, copies).
  static let nothing: ReverseReads = []
}

/// One node's reverse step: the forward tensors its rule declared (`reverseReads`; constants are always
/// there), the gradients of its outputs (nil: zero) and which inputs need a gradient.
struct ReverseContext {
  let inputs: [GraphTensor?]
  let outputs: [GraphTensor?]
  let gradients: [GraphTensor?]
  let wanted: [Bool]
  let inputTypes: [ValueType?]
  let outputTypes: [ValueType]

  func wants(_ i: Int) -> Bool { i < wanted.count && wanted[i] }

  func input(_ i: Int) throws -> GraphTensor {
    guard i < inputs.count, let v = inputs[i] else {
      throw ConvolveError.invalidArgument("the reverse rule needs input \(i + 1), which was not kept")
    }
    return v
  }

  func output(_ i: Int) throws -> GraphTensor {
    guard i < outputs.count, let v = outputs[i] else {
      throw ConvolveError.invalidArgument("the reverse rule needs output \(i + 1), which was not kept")
    }
    return v
  }

  /// Input `i` when present and kept.
  func optional(_ i: Int) -> GraphTensor? { i < inputs.count ? inputs[i] : nil }

  func inputShape(_ i: Int) throws -> [Int] {
    guard i < inputTypes.count, let t = inputTypes[i] else { throw ConvolveError.invalidArgument("input \(i + 1) is missing") }
    return t.shape
  }

  /// The Float32 values of output `i`'s gradient, zeros when none reached it.
  func gradient(_ i: Int = 0) -> [Float] {
    if i < gradients.count, let g = gradients[i] { return g.floats }
    return [Float](repeating: 0, count: outputTypes[i].shape.reduce(1, *))
  }

  /// No gradient for any input.
  var none: [GraphTensor?] { [GraphTensor?](repeating: nil, count: inputTypes.count) }

  /// Input 0's gradient, nil for the others.
  func only(_ shape: [Int], _ values: [Float]) -> [GraphTensor?] {
    [GraphTensor(shape: shape, floats: values)] + [GraphTensor?](repeating: nil, count: max(0, inputTypes.count - 1))
  }
}

/// `g` (of shape `from`) summed over the dimensions that broadcasting added or stretched to reach `to`.
func sumToShape(_ g: [Float], from: [Int], to shape: [Int]) -> [Float] {
  if from == shape { return g }
  var out = [Float](repeating: 0, count: shape.reduce(1, *))
  let plan = BroadcastPlan(from, shape, output: from)
  guard plan.count > 0 else { return out }
  let inner = plan.dims.count - 1, n = plan.dims[inner], sb = plan.bStrides[inner]
  g.withUnsafeBufferPointer { pg in
    out.withUnsafeMutableBufferPointer { po in
      plan.forEachRun { o, _, bo in
        let src = pg.baseAddress! + o, dst = po.baseAddress! + bo
        if sb == 1 {
          for i in 0 ..< n { dst[i] += src[i] }
        } else {
          var s: Float = 0
          for i in 0 ..< n { s += src[i] }
          dst[0] += s
        }
      }
    }
  }
  return out
}

/// `v` (of shape `shape`) broadcast to `out`.
func expand(_ v: [Float], _ shape: [Int], to out: [Int]) -> [Float] {
  if shape == out { return v }
  var result = [Float](repeating: 0, count: out.reduce(1, *))
  let plan = BroadcastPlan(out, shape, output: out)
  guard plan.count > 0 else { return result }
  result.withUnsafeMutableBufferPointer { po in
    v.withUnsafeBufferPointer { pv in broadcastLoop(AddF.self, plan, po.baseAddress!, pv.baseAddress!, po.baseAddress!) }
  }
  return result
}

/// Adds `g` (in row-major order of `shape`) to `dst[offset + Σ index[d]·strides[d]]`: the reverse of `stridedCopy`.
func stridedScatterAdd(_ g: [Float], into dst: inout [Float], offset: Int, shape: [Int], strides: [Int]) {
  let count = shape.reduce(1, *)
  guard count > 0 else { return }
  if shape.isEmpty {
    dst[offset] += g[0]
    return
  }
  let rank = shape.count, n = shape[rank - 1], inner = strides[rank - 1]
  g.withUnsafeBufferPointer { src in
    dst.withUnsafeMutableBufferPointer { out in
      forEachStridedRow(offset: offset, shape: shape, strides: strides) { o, k in
        for i in 0 ..< n { out[o + i * inner] += src[k * n + i] }
      }
    }
  }
}

/// `c = alpha · op(a) · op(b) + beta · c` for row-major matrices given by their stored shapes.
func matrixProduct(
  _ a: UnsafePointer<Float>, _ aShape: (Int, Int), transposed ta: Bool, _ b: UnsafePointer<Float>, _ bShape: (Int, Int),
  transposed tb: Bool, into c: UnsafeMutablePointer<Float>, alpha: Float = 1, beta: Float = 0
) {
  let m = ta ? aShape.1 : aShape.0, k = ta ? aShape.0 : aShape.1, n = tb ? bShape.0 : bShape.1
  guard m > 0, n > 0 else { return }
  guard k > 0 else {
    if beta == 0 { c.update(repeating: 0, count: m * n) }
    return
  }
  ck_sgemm(
    ta ? 1 : 0, tb ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha, a, Int32(aShape.1), b, Int32(bShape.1), beta, c, Int32(n))
}

/// The same on arrays, returning `op(a) · op(b)`.
func matrixProduct(_ a: [Float], _ aShape: (Int, Int), transposed ta: Bool, _ b: [Float], _ bShape: (Int, Int), transposed tb: Bool)
  -> [Float]
{
  var out = [Float](repeating: 0, count: (ta ? aShape.1 : aShape.0) * (tb ? bShape.0 : bShape.1))
  a.withUnsafeBufferPointer { pa in
    b.withUnsafeBufferPointer { pb in
      out.withUnsafeMutableBufferPointer { po in
        guard let pa = pa.baseAddress, let pb = pb.baseAddress, let po = po.baseAddress else { return }
        matrixProduct(pa, aShape, transposed: ta, pb, bShape, transposed: tb, into: po)
      }
    }
  }
  return out
}
