import ConvolveCore
import Foundation

extension SmoothActivationOperator {
  var reverseReads: ReverseReads? { .inputs }

  /// Gelu: `Φ(x) + x·φ(x)`; its tanh form, Softplus (the logistic function) and Mish by the chain rule.
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let x = try context.input(0)
    let xs = try requireFloat(x, "X")
    var g = context.gradient(0)
    for i in g.indices {
      let v = Double(xs[i])
      let d: Double
      switch kind {
      case .gelu:
        d = 0.5 * (1 + Foundation.erf(v / 2.0.squareRoot())) + v * Foundation.exp(-v * v / 2) / (2 * Double.pi).squareRoot()
      case .geluTanh:
        let (k, a) = (Double(Self.tanhScale), Double(Self.cubic))
        let t = Foundation.tanh(k * (v + a * v * v * v))
        d = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * k * (1 + 3 * a * v * v)
      case .softplus:
        d = 1 / (1 + Foundation.exp(-v))
      case .mish:
        let sp = v > 0 ? v + Foundation.log1p(Foundation.exp(-v)) : Foundation.log1p(Foundation.exp(v))
        let t = Foundation.tanh(sp)
        d = t + v * (1 - t * t) / (1 + Foundation.exp(-v))
      }
      g[i] = Float(Double(g[i]) * d)
    }
    return context.only(x.shape, g)
  }
}
