import CKernels
import ConvolveCore

/// Checks that a matrix dimension fits the Int32 that CBLAS takes.
func blasDimension(_ n: Int) throws -> Int32 {
  guard n >= 0, n <= Int(Int32.max) else { throw ConvolveError.invalidArgument("matrix dimension \(n) is too large") }
  return Int32(n)
}

/// ONNX Gemm: `alpha · A' · B' + beta · C` (A', B' optionally transposed; C broadcast to M × N), through `ck_sgemm` (OpenBLAS).
struct GemmOperator: GraphOperator {
  let alpha: Float, beta: Float
  let transA: Bool, transB: Bool

  init(_ node: Node) throws {
    alpha = try node.float("alpha", default: 1)
    beta = try node.float("beta", default: 1)
    transA = try node.int("transA", default: 0) != 0
    transB = try node.int("transB", default: 0) != 0
  }

  func dims(_ a: [Int], _ b: [Int], _ c: [Int]?) throws -> (m: Int, n: Int, k: Int) {
    guard a.count == 2, b.count == 2 else {
      throw ConvolveError.shapeMismatch("Gemm needs two matrices; the inputs have shapes \(shapeText(a)) and \(shapeText(b))")
    }
    let (m, k) = transA ? (a[1], a[0]) : (a[0], a[1])
    let (k2, n) = transB ? (b[1], b[0]) : (b[0], b[1])
    guard k == k2 else {
      throw ConvolveError.shapeMismatch("A is \(shapeText(a)) and B is \(shapeText(b)): inner dimensions \(k) and \(k2) differ")
    }
    if let c, try broadcastShape(c, [m, n]) != [m, n] {
      throw ConvolveError.shapeMismatch("C has shape \(shapeText(c)); it must broadcast to \(m)x\(n)")
    }
    return (m, n, k)
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let a = try required(inputs, 0, "A"), b = try required(inputs, 1, "B")
    let (m, n, _) = try dims(a.shape, b.shape, (inputs.count > 2 ? inputs[2] : nil)?.shape)
    return [ValueType([m, n])]
  }

  func multiplyAdds(inputs: [ValueType?], outputs: [ValueType]) -> Int {
    guard let a = inputs[0], let out = outputs.first else { return 0 }
    return out.shape.reduce(1, *) * (transA ? a.shape[0] : a.shape[1])
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let a = try inputs.take(0, "A"), b = try inputs.get(1, "B"), c = inputs.optional(2)
    let (m, n, k) = try dims(a.shape, b.shape, c?.shape)
    var out: [Float]
    if let c, beta != 0 {
      let plan = BroadcastPlan([m, n], c.shape, output: [m, n])
      out = [Float](repeating: 0, count: m * n)
      let cv = try requireFloat(c, "C")
      if m * n > 0 {
        out.withUnsafeMutableBufferPointer { o in
          cv.withUnsafeBufferPointer { p in broadcastLoop(AddF.self, plan, o.baseAddress!, p.baseAddress!, o.baseAddress!) }
        }
      }
      if beta != 1 { for i in out.indices { out[i] *= beta } }
    } else {
      out = [Float](repeating: 0, count: m * n)
    }
    let av = try requireFloat(a, "A"), bv = try requireFloat(b, "B")
    let (M, N, K) = (try blasDimension(m), try blasDimension(n), try blasDimension(k))
    if m > 0 && n > 0 && k > 0 {
      av.withUnsafeBufferPointer { pa in
        bv.withUnsafeBufferPointer { pb in
          out.withUnsafeMutableBufferPointer { po in
            ck_sgemm(
              transA ? 1 : 0, transB ? 1 : 0, M, N, K, alpha,
              pa.baseAddress!, transA ? M : K, pb.baseAddress!, transB ? K : N, 1, po.baseAddress!, N)
          }
        }
      }
    }
    return [GraphTensor(shape: [m, n], floats: out)]
  }
}

/// ONNX MatMul with NumPy semantics: rank-1 operands promoted and the added axis dropped, batch
/// dimensions broadcast; one `ck_sgemm` per batch matrix (one in all when B is a plain matrix).
struct MatMulOperator: GraphOperator {
  struct Plan {
    var batch: [Int], m: Int, n: Int, k: Int
    var outShape: [Int]
    var aBatch: [Int], bBatch: [Int]

    /// Every batch `t` in order with the matrix index of A and of B it multiplies (broadcast batches repeat one).
    func forEachBatch(_ body: (_ t: Int, _ a: Int, _ b: Int) -> Void) {
      let rank = batch.count
      let aStrides = Self.strides(aBatch, rank: rank), bStrides = Self.strides(bBatch, rank: rank)
      var index = [Int](repeating: 0, count: rank)
      for t in 0 ..< batch.reduce(1, *) {
        var ao = 0, bo = 0
        for d in 0 ..< rank {
          ao += index[d] * aStrides[d]
          bo += index[d] * bStrides[d]
        }
        body(t, ao, bo)
        stepIndex(&index, over: batch)
      }
    }

    /// Matrix strides of a batch shape right-aligned to `rank` dimensions, 0 where it broadcasts.
    static func strides(_ s: [Int], rank: Int) -> [Int] {
      let padded = [Int](repeating: 1, count: rank - s.count) + s
      let strides = stridesOf(padded)
      return (0 ..< rank).map { padded[$0] == 1 ? 0 : strides[$0] }
    }
  }

  func plan(_ a0: [Int], _ b0: [Int]) throws -> Plan {
    guard !a0.isEmpty && !b0.isEmpty else { throw ConvolveError.shapeMismatch("MatMul of a scalar") }
    let a = a0.count == 1 ? [1, a0[0]] : a0
    let b = b0.count == 1 ? [b0[0], 1] : b0
    let (m, k) = (a[a.count - 2], a[a.count - 1])
    let (k2, n) = (b[b.count - 2], b[b.count - 1])
    guard k == k2 else {
      throw ConvolveError.shapeMismatch("MatMul of \(shapeText(a0)) and \(shapeText(b0)): inner dimensions \(k) and \(k2) differ")
    }
    let aBatch = Array(a.dropLast(2)), bBatch = Array(b.dropLast(2))
    let batch = try broadcastShape(aBatch, bBatch)
    var out = batch
    if a0.count > 1 { out.append(m) }
    if b0.count > 1 { out.append(n) }
    return Plan(batch: batch, m: m, n: n, k: k, outShape: out, aBatch: aBatch, bBatch: bBatch)
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let a = try required(inputs, 0, "A"), b = try required(inputs, 1, "B")
    return [ValueType(try plan(a.shape, b.shape).outShape)]
  }

  func multiplyAdds(inputs: [ValueType?], outputs: [ValueType]) -> Int {
    guard let a = inputs[0], let out = outputs.first else { return 0 }
    return out.shape.reduce(1, *) * (a.shape.last ?? 0)
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let a = try inputs.take(0, "A"), b = try inputs.get(1, "B")
    let p = try plan(a.shape, b.shape)
    let av = try requireFloat(a, "A"), bv = try requireFloat(b, "B")
    let batches = p.batch.reduce(1, *)
    var out = [Float](repeating: 0, count: batches * p.m * p.n)
    guard !out.isEmpty && p.k > 0 else { return [GraphTensor(shape: p.outShape, floats: out)] }
    // B one matrix shared by every batch: all of A's rows in one product.
    let shared = p.bBatch.reduce(1, *) == 1 && p.aBatch.reduce(1, *) == batches
    let rows = shared ? batches * p.m : p.m
    let (M, N, K) = (try blasDimension(rows), try blasDimension(p.n), try blasDimension(p.k))
    av.withUnsafeBufferPointer { pa in
      bv.withUnsafeBufferPointer { pb in
        out.withUnsafeMutableBufferPointer { po in
          if shared {
            ck_sgemm(0, 0, M, N, K, 1, pa.baseAddress!, K, pb.baseAddress!, N, 0, po.baseAddress!, N)
            return
          }
          p.forEachBatch { t, ao, bo in
            ck_sgemm(
              0, 0, M, N, K, 1, pa.baseAddress! + ao * p.m * p.k, K,
              pb.baseAddress! + bo * p.k * p.n, N, 0, po.baseAddress! + t * p.m * p.n, N)
          }
        }
      }
    }
    return [GraphTensor(shape: p.outShape, floats: out)]
  }
}
