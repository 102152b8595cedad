import ConvolveCore
import Foundation

/// ONNX Softmax and LogSoftmax (`x − max − log Σ exp(x − max)`): before opset 13 over the input flattened to 2-D
/// at `axis` (default 1); from 13 along the one axis (default -1).
struct SoftmaxOperator: GraphOperator {
  let axis: Int
  let coerced: Bool
  let log: Bool

  init(_ node: Node, opset: Int, log: Bool = false) throws {
    coerced = opset < 13
    axis = try node.int("axis", default: coerced ? 1 : -1)
    self.log = log
  }

  /// (outer, length, inner) of the softmax runs.
  func layout(_ s: [Int]) throws -> (Int, Int, Int) {
    if coerced {
      let a = axis < 0 ? axis + s.count : axis
      guard a >= 0 && a <= s.count else { throw ConvolveError.invalidArgument("axis \(axis) is outside the \(s.count) dimensions") }
      return (s[..<a].reduce(1, *), s[a...].reduce(1, *), 1)
    }
    let a = try normalizedAxis(axis, rank: s.count)
    return (s[..<a].reduce(1, *), s[a], s[(a + 1)...].reduce(1, *))
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "input")
    _ = try layout(x.shape)
    return [x.type]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    var x = try inputs.take(0, "input")
    let shape = x.shape
    let (outer, n, inner) = try layout(shape)
    var v = x.takeFloats()
    let log = self.log
    v.withUnsafeMutableBufferPointer { p in
      guard let base = p.baseAddress, n > 0 else { return }
      for o in 0 ..< outer {
        for i in 0 ..< inner {
          let q = base + o * n * inner + i
          var m = -Float.infinity
          for j in 0 ..< n where q[j * inner] > m { m = q[j * inner] }
          if log {
            var sum = 0.0
            for j in 0 ..< n { sum += Foundation.exp(Double(q[j * inner] - m)) }
            let shift = m + Float(Foundation.log(sum))
            for j in 0 ..< n { q[j * inner] -= shift }
            continue
          }
          var sum: Float = 0
          for j in 0 ..< n {
            let e = Foundation.exp(q[j * inner] - m)
            q[j * inner] = e
            sum += e
          }
          for j in 0 ..< n { q[j * inner] /= sum }
        }
      }
    }
    return [GraphTensor(shape: shape, floats: v)]
  }
}

extension SoftmaxOperator {
  var reverseReads: ReverseReads? { .outputs }

  /// `dx = y · (dy − Σ dy·y)` along each softmax run; for LogSoftmax `dx = dy − exp(y) · Σ dy`.
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let y = try context.output(0)
    let (outer, n, inner) = try layout(y.shape)
    let ys = try requireFloat(y, "output")
    var g = context.gradient(0)
    for o in 0 ..< outer {
      for i in 0 ..< inner {
        let base = o * n * inner + i
        if log {
          var sum: Float = 0
          for j in 0 ..< n { sum += g[base + j * inner] }
          for j in 0 ..< n { g[base + j * inner] -= Foundation.exp(ys[base + j * inner]) * sum }
          continue
        }
        var dot: Float = 0
        for j in 0 ..< n { dot += g[base + j * inner] * ys[base + j * inner] }
        for j in 0 ..< n { g[base + j * inner] = ys[base + j * inner] * (g[base + j * inner] - dot) }
      }
    }
    return [GraphTensor(shape: y.shape, floats: g)]
  }
}
