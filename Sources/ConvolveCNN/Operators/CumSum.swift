import ConvolveCore

/// ONNX CumSum: running sums along the axis given as a scalar input, optionally `exclusive` (each sum leaves out
/// its own element) and in `reverse` order.
struct CumSumOperator: GraphOperator {
  let exclusive: Bool, reverse: Bool

  init(_ node: Node) throws {
    exclusive = try node.int("exclusive", default: 0) != 0
    reverse = try node.int("reverse", default: 0) != 0
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "x")
    _ = try required(inputs, 1, "axis")
    return [x.type]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.take(0, "x")
    guard let a = try inputs.get(1, "axis").ints.first else { throw ConvolveError.invalidArgument("axis is empty") }
    let axis = try normalizedAxis(a, rank: x.rank)
    let n = x.shape[axis], inner = x.shape[(axis + 1)...].reduce(1, *), outer = x.shape[..<axis].reduce(1, *)
    let (exclusive, reverse) = (self.exclusive, self.reverse)
    func sums<T: AdditiveArithmetic>(_ v: [T]) -> [T] {
      var out = v
      for o in 0 ..< outer {
        for i in 0 ..< inner {
          var total = T.zero
          for step in 0 ..< n {
            let j = (o * n + (reverse ? n - 1 - step : step)) * inner + i
            if exclusive {
              out[j] = total
              total += v[j]
            } else {
              total += v[j]
              out[j] = total
            }
          }
        }
      }
      return out
    }
    return [x.mapped(shape: x.shape, sums, sums)]
  }
}
