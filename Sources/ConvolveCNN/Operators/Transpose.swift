import ConvolveCore

/// ONNX Transpose: output dimension i is input dimension perm[i] (reversed when perm is absent).
struct TransposeOperator: GraphOperator {
  let perm: [Int]?

  init(_ node: Node) throws { perm = try node.ints("perm") }

  func permutation(rank: Int) throws -> [Int] {
    let p = perm ?? Array((0 ..< rank).reversed())
    guard p.count == rank, Set(p) == Set(0 ..< rank) else {
      throw ConvolveError.invalidArgument("perm \(p) is not a permutation of the \(rank) dimensions")
    }
    return p
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "data")
    let p = try permutation(rank: x.rank)
    return [ValueType(p.map { x.shape[$0] }, x.type.elementType)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.take(0, "data")
    let p = try permutation(rank: x.rank)
    let strides = stridesOf(x.shape)
    return [x.strided(offset: 0, shape: p.map { x.shape[$0] }, strides: p.map { strides[$0] })]
  }
}

extension TransposeOperator {
  var reverseReads: ReverseReads? { .nothing }

  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let shape = try context.inputShape(0)
    let p = try permutation(rank: shape.count)
    let strides = stridesOf(shape)
    var dx = [Float](repeating: 0, count: shape.reduce(1, *))
    stridedScatterAdd(context.gradient(0), into: &dx, offset: 0, shape: p.map { shape[$0] }, strides: p.map { strides[$0] })
    return [GraphTensor(shape: shape, floats: dx)]
  }
}
