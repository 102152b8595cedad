import ConvolveCore

extension GemmOperator {
  var reverseReads: ReverseReads? { .inputs }

  /// `dA' = alpha · dY · B'ᵀ`, `dB' = alpha · A'ᵀ · dY` (stored transposed when the input is), `dC = beta · dY`
  /// summed to C's shape.
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let a = try context.input(0), b = try context.input(1)
    let (m, n, _) = try dims(a.shape, b.shape, nil)
    let av = try requireFloat(a, "A"), bv = try requireFloat(b, "B"), g = context.gradient(0)
    let aShape = (a.shape[0], a.shape[1]), bShape = (b.shape[0], b.shape[1])
    var result = context.none
    if context.wants(0) {
      var ga = transA
        ? matrixProduct(bv, bShape, transposed: transB, g, (m, n), transposed: true)
        : matrixProduct(g, (m, n), transposed: false, bv, bShape, transposed: !transB)
      if alpha != 1 { for i in ga.indices { ga[i] *= alpha } }
      result[0] = GraphTensor(shape: a.shape, floats: ga)
    }
    if context.wants(1) {
      var gb = transB
        ? matrixProduct(g, (m, n), transposed: true, av, aShape, transposed: transA)
        : matrixProduct(av, aShape, transposed: !transA, g, (m, n), transposed: false)
      if alpha != 1 { for i in gb.indices { gb[i] *= alpha } }
      result[1] = GraphTensor(shape: b.shape, floats: gb)
    }
    if context.wants(2), let cShape = context.inputTypes[2]?.shape {
      var gc = sumToShape(g, from: [m, n], to: cShape)
      if beta != 1 { for i in gc.indices { gc[i] *= beta } }
      result[2] = GraphTensor(shape: cShape, floats: gc)
    }
    return result
  }
}

extension MatMulOperator {
  var reverseReads: ReverseReads? { .inputs }

  /// Per batch matrix `dA = dY · Bᵀ`, `dB = Aᵀ · dY`, summed over the batch dimensions an operand was
  /// broadcast along.
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let a = try context.input(0), b = try context.input(1)
    let p = try plan(a.shape, b.shape)
    let av = try requireFloat(a, "A"), bv = try requireFloat(b, "B"), g = context.gradient(0)
    var ga = [Float](repeating: 0, count: av.count), gb = [Float](repeating: 0, count: bv.count)
    let (wantA, wantB) = (context.wants(0), context.wants(1))
    av.withUnsafeBufferPointer { pa in
      bv.withUnsafeBufferPointer { pb in
        g.withUnsafeBufferPointer { pg in
          ga.withUnsafeMutableBufferPointer { qa in
            gb.withUnsafeMutableBufferPointer { qb in
              guard let pa = pa.baseAddress, let pb = pb.baseAddress, let pg = pg.baseAddress, let qa = qa.baseAddress,
                let qb = qb.baseAddress
              else { return }
              p.forEachBatch { t, ao, bo in
                let gt = pg + t * p.m * p.n
                if wantA {
                  matrixProduct(
                    gt, (p.m, p.n), transposed: false, pb + bo * p.k * p.n, (p.k, p.n), transposed: true,
                    into: qa + ao * p.m * p.k, beta: 1)
                }
                if wantB {
                  matrixProduct(
                    pa + ao * p.m * p.k, (p.m, p.k), transposed: true, gt, (p.m, p.n), transposed: false,
                    into: qb + bo * p.k * p.n, beta: 1)
                }
              }
            }
          }
        }
      }
    }
    return [
      wantA ? GraphTensor(shape: a.shape, floats: ga) : nil, wantB ? GraphTensor(shape: b.shape, floats: gb) : nil,
    ]
  }
}
