import ConvolveCore
import Foundation

extension BinaryOperator {
  var reverseReads: ReverseReads? { kind == .add || kind == .sub ? .nothing : .inputs }

  /// Each input's gradient is the output's, times the partial derivative, summed over the dimensions its
  /// broadcast stretched. Max and Min pass it to the input they chose (A on ties).
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let aShape = try context.inputShape(0), bShape = try context.inputShape(1)
    let out = context.outputTypes[0].shape
    let g = context.gradient(0)
    var ga: [Float]? = nil, gb: [Float]? = nil
    switch kind {
    case .add, .sub:
      if context.wants(0) { ga = g }
      if context.wants(1) { gb = kind == .add ? g : g.map { -$0 } }
    default:
      let a = expand(try context.input(0).floats, aShape, to: out), b = expand(try context.input(1).floats, bShape, to: out)
      var da = [Float](repeating: 0, count: g.count), db = da
      switch kind {
      case .mul:
        for i in g.indices { (da[i], db[i]) = (g[i] * b[i], g[i] * a[i]) }
      case .div:
        for i in g.indices {
          da[i] = g[i] / b[i]
          db[i] = -g[i] * a[i] / (b[i] * b[i])
        }
      case .pow:
        for i in g.indices {
          da[i] = b[i] == 0 ? 0 : g[i] * b[i] * Foundation.pow(a[i], b[i] - 1)
          db[i] = a[i] > 0 ? g[i] * Foundation.pow(a[i], b[i]) * Foundation.log(a[i]) : 0
        }
      case .max:
        for i in g.indices { if a[i] >= b[i] { da[i] = g[i] } else { db[i] = g[i] } }
      case .min:
        for i in g.indices { if a[i] <= b[i] { da[i] = g[i] } else { db[i] = g[i] } }
      case .add, .sub: break
      }
      if context.wants(0) { ga = da }
      if context.wants(1) { gb = db }
    }
    return [
      ga.map { GraphTensor(shape: aShape, floats: sumToShape($0, from: out, to: aShape)) },
      gb.map { GraphTensor(shape: bShape, floats: sumToShape($0, from: out, to: bShape)) },
    ]
  }
}

extension MathUnaryOperator {
  var reverseReads: ReverseReads? { .inputs }

  /// Floor and Ceil are flat: their gradient is zero.
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let x = try context.input(0)
    let xs = try requireFloat(x, "X")
    var g = context.gradient(0)
    switch kind {
    case .sqrt: for i in g.indices { g[i] /= 2 * xs[i].squareRoot() }
    case .neg: for i in g.indices { g[i] = -g[i] }
    case .abs: for i in g.indices { g[i] = xs[i] > 0 ? g[i] : xs[i] < 0 ? -g[i] : 0 }
    case .exp: for i in g.indices { g[i] *= Foundation.exp(xs[i]) }
    case .log: for i in g.indices { g[i] /= xs[i] }
    case .reciprocal: for i in g.indices { g[i] /= -(xs[i] * xs[i]) }
    case .floor, .ceil: for i in g.indices { g[i] = 0 }
    case .sin: for i in g.indices { g[i] *= Foundation.cos(xs[i]) }
    case .cos: for i in g.indices { g[i] *= -Foundation.sin(xs[i]) }
    case .erf:
      let c = Float(2 / Double.pi.squareRoot())
      for i in g.indices { g[i] *= c * Foundation.exp(-xs[i] * xs[i]) }
    }
    return context.only(x.shape, g)
  }
}
