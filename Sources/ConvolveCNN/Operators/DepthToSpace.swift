import ConvolveCore

/// ONNX DepthToSpace (modes DCR and CRD) and SpaceToDepth: blocks of `blocksize × blocksize` moved between the
/// channels and the plane of an N×C×H×W tensor, as a reshape, a transpose and a reshape.
struct DepthToSpaceOperator: GraphOperator {
  let block: Int
  /// SpaceToDepth when false.
  let toSpace: Bool
  let columnRowDepth: Bool

  init(_ node: Node, toSpace: Bool) throws {
    guard let b = try node.int("blocksize"), b >= 1, b <= 4096 else {
      throw ConvolveError.invalidArgument("blocksize is missing or outside 1 ... 4096")
    }
    block = b
    self.toSpace = toSpace
    let mode = try node.string("mode", default: "DCR")
    guard toSpace || mode == "DCR", ["DCR", "CRD"].contains(mode) else {
      throw ConvolveError.invalidArgument("mode '\(mode)' is not DCR or CRD")
    }
    columnRowDepth = mode == "CRD"
  }

  /// The intermediate 6-D shape, the permutation, and the output shape.
  func layout(_ s: [Int]) throws -> (inner: [Int], perm: [Int], output: [Int]) {
    guard s.count == 4 else { throw ConvolveError.shapeMismatch("input has shape \(shapeText(s)); it needs N x C x H x W") }
    let (n, c, h, w, b) = (s[0], s[1], s[2], s[3], block)
    if toSpace {
      guard c % (b * b) == 0 else { throw ConvolveError.shapeMismatch("\(c) channels are not a multiple of blocksize² \(b * b)") }
      let out = [n, c / (b * b), h * b, w * b]
      return columnRowDepth
        ? ([n, c / (b * b), b, b, h, w], [0, 1, 4, 2, 5, 3], out) : ([n, b, b, c / (b * b), h, w], [0, 3, 4, 1, 5, 2], out)
    }
    guard h % b == 0, w % b == 0 else { throw ConvolveError.shapeMismatch("\(h) x \(w) is not a multiple of blocksize \(b)") }
    return ([n, c, h / b, b, w / b, b], [0, 3, 5, 1, 2, 4], [n, c * b * b, h / b, w / b])
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "input")
    return [ValueType(try layout(x.shape).output, x.type.elementType)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.take(0, "input")
    let (inner, perm, output) = try layout(x.shape)
    let strides = stridesOf(inner)
    return [x.strided(offset: 0, shape: perm.map { inner[$0] }, strides: perm.map { strides[$0] }).reshaped(output)]
  }
}
