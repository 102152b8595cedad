import ConvolveCore
import Foundation

/// Gelu (opset 20; `approximate` none or tanh, also made by the planner from the Erf and Tanh patterns older
/// exporters write), Softplus and Mish, applied in place.
struct SmoothActivationOperator: GraphOperator {
  enum Kind: String, Sendable, Equatable {
    case gelu = "Gelu", geluTanh = "Gelu(tanh)", softplus = "Softplus", mish = "Mish"
  }
  let kind: Kind

  init(kind: Kind) { self.kind = kind }

  init(gelu node: Node) throws {
    switch try node.string("approximate", default: "none") {
    case "none": kind = .gelu
    case "tanh": kind = .geluTanh
    case let other: throw ConvolveError.invalidArgument("approximate '\(other)' is not none or tanh")
    }
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try requiredFloat(inputs, 0, "X", for: "\(kind.rawValue)")
    return [x.type]
  }

  func elementwiseStage(_ inputs: [KnownValue?]) -> (input: Int, stage: ElementwiseStage)? {
    guard let x = inputs.first ?? nil, x.type.elementType == .float32 else { return nil }
    return (0, .smooth(kind))
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let kind = self.kind
    return try transformedInPlace(&inputs, 0, "X", minimumPerChunk: 1 << 14) { Self.apply(kind, $0, $1) }
  }

  /// `√(2/π)` and the cubic's coefficient of the tanh approximation.
  static let tanhScale: Float = 0.7978845608028654, cubic: Float = 0.044715

  /// `log(1 + eˣ)` without overflow.
  @inline(__always)
  static func softplus(_ x: Float) -> Float { x > 0 ? x + Foundation.log1p(Foundation.exp(-x)) : Foundation.log1p(Foundation.exp(x)) }

  static func apply(_ kind: Kind, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
    switch kind {
    case .gelu:
      for i in 0 ..< n { p[i] = 0.5 * p[i] * (1 + Foundation.erf(p[i] * Float(0.70710678118654752))) }
    case .geluTanh:
      for i in 0 ..< n {
        let x = p[i]
        p[i] = 0.5 * x * (1 + Foundation.tanh(tanhScale * (x + cubic * x * x * x)))
      }
    case .softplus: for i in 0 ..< n { p[i] = softplus(p[i]) }
    case .mish: for i in 0 ..< n { p[i] = p[i] * Foundation.tanh(softplus(p[i])) }
    }
  }
}
