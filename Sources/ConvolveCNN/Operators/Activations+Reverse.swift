import ConvolveCore
import Foundation

extension UnaryOperator {
  var reverseReads: ReverseReads? { .inputs }

  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let x = try context.input(0)
    let xs = try requireFloat(x, "X")
    var g = context.gradient(0)
    let (alpha, beta) = (self.alpha, self.beta)
    let n = g.count
    g.withUnsafeMutableBufferPointer { pg in
      xs.withUnsafeBufferPointer { px in
        guard let g = pg.baseAddress, let x = px.baseAddress else { return }
        switch kind {
        case .relu: for i in 0 ..< n where !(x[i] > 0) { g[i] = 0 }
        case .leakyRelu: for i in 0 ..< n where !(x[i] > 0) { g[i] *= alpha }
        case .sigmoid:
          for i in 0 ..< n {
            let s = 1 / (1 + Foundation.exp(-x[i]))
            g[i] *= s * (1 - s)
          }
        case .tanh:
          for i in 0 ..< n {
            let t = Foundation.tanh(x[i])
            g[i] *= 1 - t * t
          }
        case .elu: for i in 0 ..< n where !(x[i] > 0) { g[i] *= alpha * Foundation.exp(x[i]) }
        case .hardSigmoid:
          for i in 0 ..< n {
            let v = alpha * x[i] + beta
            g[i] = v > 0 && v < 1 ? g[i] * alpha : 0
          }
        case .hardSwish:
          for i in 0 ..< n {
            let v = alpha * x[i] + beta
            g[i] *= v <= 0 ? 0 : v >= 1 ? 1 : v + x[i] * alpha
          }
        }
      }
    }
    return context.only(x.shape, g)
  }
}

extension ClipOperator {
  var reverseReads: ReverseReads? { .inputs }

  /// The gradient passes where `min ≤ x ≤ max`; the bounds get none.
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let x = try context.input(0)
    let lo = attributeBounds?.0 ?? context.optional(1)?.floats.first ?? -.infinity
    let hi = attributeBounds?.1 ?? context.optional(2)?.floats.first ?? .infinity
    let xs = try requireFloat(x, "input")
    var g = context.gradient(0)
    for i in g.indices where !(xs[i] >= lo && xs[i] <= hi) { g[i] = 0 }
    return context.only(x.shape, g)
  }
}

extension PReluOperator {
  var reverseReads: ReverseReads? { .inputs }

  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let x = try context.input(0), slope = try context.input(1)
    let xs = try requireFloat(x, "X")
    let full = expand(try requireFloat(slope, "slope"), slope.shape, to: x.shape)
    let g = context.gradient(0)
    var gx = g
    for i in gx.indices where xs[i] < 0 { gx[i] *= full[i] }
    var gs: GraphTensor?
    if context.wants(1) {
      var t = [Float](repeating: 0, count: g.count)
      for i in t.indices where xs[i] < 0 { t[i] = g[i] * xs[i] }
      gs = GraphTensor(shape: slope.shape, floats: sumToShape(t, from: x.shape, to: slope.shape))
    }
    return [GraphTensor(shape: x.shape, floats: gx), gs]
  }
}
