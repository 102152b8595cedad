import CKernels
import ConvolveCore
import Foundation

/// Relu, LeakyRelu, Sigmoid, Tanh and Elu (through ConvolveCore's `Activation`), HardSigmoid and HardSwish,
/// applied in place when the input's buffer is not shared.
struct UnaryOperator: GraphOperator {
  enum Kind: String, CaseIterable {
    case relu = "Relu", leakyRelu = "LeakyRelu", sigmoid = "Sigmoid", tanh = "Tanh", elu = "Elu"
    case hardSigmoid = "HardSigmoid", hardSwish = "HardSwish"
  }
  let kind: Kind
  let alpha: Float, beta: Float

  init(_ node: Node, kind: Kind) throws {
    self.kind = kind
    switch kind {
    case .leakyRelu: (alpha, beta) = (try node.float("alpha", default: 0.01), 0)
    case .elu: (alpha, beta) = (try node.float("alpha", default: 1), 0)
    case .hardSigmoid: (alpha, beta) = (try node.float("alpha", default: 0.2), try node.float("beta", default: 0.5))
    case .hardSwish: (alpha, beta) = (1 / 6, 0.5)
    default: (alpha, beta) = (0, 0)
    }
  }

  /// The ConvolveCore activation this kind is, if any.
  var activation: Activation? {
    switch kind {
    case .relu: return .relu
    case .leakyRelu: return .leakyReLU(slope: alpha)
    case .sigmoid: return .sigmoid
    case .tanh: return .tanh
    case .elu: return .elu(alpha: alpha)
    case .hardSigmoid, .hardSwish: return nil
    }
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try requiredFloat(inputs, 0, "X", for: "\(kind.rawValue)")
    return [x.type]
  }

  func elementwiseStage(_ inputs: [KnownValue?]) -> (input: Int, stage: ElementwiseStage)? {
    guard let x = inputs.first ?? nil, x.type.elementType == .float32 else { return nil }
    if let activation { return (0, .activation(activation)) }
    return (0, kind == .hardSigmoid ? .hardSigmoid(alpha: alpha, beta: beta) : .hardSwish)
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let (alpha, beta) = (self.alpha, self.beta)
    let activation = self.activation
    let kind = self.kind
    return try transformedInPlace(&inputs, 0, "X", minimumPerChunk: 1 << 15) { p, n in
      if let activation {
        switch activation {
        case .relu: for i in 0 ..< n { p[i] = Swift.max(p[i], 0) }  // max(x, 0) keeps NaN, as onnxruntime
        case .sigmoid: ck_sigmoid(ck_level(), p, n)
        default: for i in 0 ..< n { p[i] = activation(p[i]) }
        }
      } else if kind == .hardSigmoid {
        for i in 0 ..< n { p[i] = Swift.max(Swift.min(alpha * p[i] + beta, 1), 0) }
      } else {
        for i in 0 ..< n { p[i] = p[i] * Swift.max(Swift.min(alpha * p[i] + beta, 1), 0) }
      }
    }
  }
}

/// `min(max(x, lo), hi)`; the bounds are attributes before opset 11 and optional inputs from 11 on.
struct ClipOperator: GraphOperator {
  let attributeBounds: (Float, Float)?

  init(_ node: Node, opset: Int) throws {
    attributeBounds = opset < 11
      ? (try node.float("min", default: -.greatestFiniteMagnitude), try node.float("max", default: .greatestFiniteMagnitude))
      : nil
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "input")
    for i in 1 ..< max(1, inputs.count) {
      if let bound = inputs[i], bound.shape.reduce(1, *) != 1 {
        throw ConvolveError.shapeMismatch("Clip's \(i == 1 ? "min" : "max") has shape \(shapeText(bound.shape)); it must be a scalar")
      }
    }
    return [x.type]
  }

  func elementwiseStage(_ inputs: [KnownValue?]) -> (input: Int, stage: ElementwiseStage)? {
    guard let x = inputs.first ?? nil, x.type.elementType == .float32 else { return nil }
    if let (lo, hi) = attributeBounds { return (0, .clip(lo, hi)) }
    let present = { (i: Int) in i < inputs.count && inputs[i] != nil }
    let lo = present(1) ? constantScalar(inputs, 1) : -.infinity
    let hi = present(2) ? constantScalar(inputs, 2) : .infinity
    guard let lo, let hi else { return nil }
    return (0, .clip(lo, hi))
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    var x = try inputs.take(0, "input")
    let shape = x.shape
    if case .int64(var v) = x.storage {
      let lo = inputs.optional(1)?.int64s.first ?? .min, hi = inputs.optional(2)?.int64s.first ?? .max
      for i in v.indices { v[i] = Swift.min(Swift.max(v[i], lo), hi) }
      return [GraphTensor(shape: shape, int64s: v)]
    }
    let lo = attributeBounds?.0 ?? inputs.optional(1)?.floats.first ?? -.infinity
    let hi = attributeBounds?.1 ?? inputs.optional(2)?.floats.first ?? .infinity
    var v = x.takeFloats()
    v.withUnsafeMutableBufferPointer { buffer in
      let shared = Shared(buffer.baseAddress)
      parallelRanges(buffer.count, minimumPerChunk: 1 << 15) { range in
        guard let p = shared.value else { return }
        // NaN stays NaN, as in ONNX Runtime.
        for i in range where !p[i].isNaN { p[i] = Swift.min(Swift.max(p[i], lo), hi) }
      }
    }
    return [GraphTensor(shape: shape, floats: v)]
  }
}

enum PReluF: BinaryMath {
  @inline(__always) static func apply(_ x: Float, _ slope: Float) -> Float { x < 0 ? x * slope : x }
}

/// `x < 0 ? slope · x : x`, the slope broadcast to the input (usually one per channel, `C × 1 × 1`).
struct PReluOperator: GraphOperator {
  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "X"), slope = try required(inputs, 1, "slope")
    guard try broadcastShape(x.shape, slope.shape) == x.shape else {
      throw ConvolveError.shapeMismatch("slope shape \(shapeText(slope.shape)) does not broadcast to the input \(shapeText(x.shape))")
    }
    return [x.type]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    var x = try inputs.take(0, "X")
    let slope = try requireFloat(try inputs.get(1, "slope"), "slope")
    let shape = x.shape
    let plan = BroadcastPlan(shape, try inputs.get(1).shape, output: shape)
    var v = x.takeFloats()
    if plan.count > 0 {
      v.withUnsafeMutableBufferPointer { p in
        slope.withUnsafeBufferPointer { s in broadcastLoop(PReluF.self, plan, p.baseAddress!, s.baseAddress!, p.baseAddress!) }
      }
    }
    return [GraphTensor(shape: shape, floats: v)]
  }
}
