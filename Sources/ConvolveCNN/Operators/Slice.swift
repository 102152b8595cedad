import ConvolveCore

/// ONNX Slice: starts, ends, axes and steps as attributes (before opset 10) or inputs (10 on), negative
/// indices and steps, clamped as NumPy does.
struct SliceOperator: GraphOperator {
  let attributes: (starts: [Int], ends: [Int], axes: [Int]?)?

  init(_ node: Node, opset: Int) throws {
    if opset < 10 {
      guard let starts = try node.ints("starts"), let ends = try node.ints("ends") else {
        throw ConvolveError.invalidArgument("starts and ends are missing")
      }
      attributes = (starts, ends, try node.ints("axes"))
    } else {
      attributes = nil
    }
  }

  /// Output shape, the offset of the first element and the input strides to walk.
  static func plan(_ shape: [Int], starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?) throws
    -> (shape: [Int], offset: Int, strides: [Int])
  {
    let rank = shape.count
    let axes = axes ?? Array(0 ..< starts.count)
    guard starts.count == ends.count, axes.count == starts.count, steps == nil || steps!.count == starts.count else {
      throw ConvolveError.invalidArgument("starts, ends, axes and steps must have the same length")
    }
    let inStrides = stridesOf(shape)
    var out = shape, strides = inStrides, offset = 0
    var seen = Set<Int>()
    for (i, axis) in axes.enumerated() {
      let a = try normalizedAxis(axis, rank: rank)
      guard seen.insert(a).inserted else { throw ConvolveError.invalidArgument("axis \(axis) is sliced twice") }
      let step = steps?[i] ?? 1
      guard step != 0 else { throw ConvolveError.invalidArgument("a slice step is 0") }
      let dim = shape[a]
      var start = starts[i], end = ends[i]
      if start < 0 { start += dim }
      if end < 0 { end += dim }
      let length: Int
      if step > 0 {
        start = max(0, min(start, dim))
        end = max(0, min(end, dim))
        length = end > start ? (end - start - 1) / step + 1 : 0
      } else {
        start = max(0, min(start, dim - 1))
        end = max(-1, min(end, dim - 1))
        length = start > end ? (start - end - 1) / (step == .min ? .max : -step) + 1 : 0
      }
      out[a] = length
      if length > 0 { offset += start * inStrides[a] }
      // A step past the axis takes one element; its stride is never used.
      let (stride, overflow) = inStrides[a].multipliedReportingOverflow(by: step)
      strides[a] = overflow || length <= 1 ? 0 : stride
    }
    if out.contains(0) { offset = 0 }
    return (out, offset, strides)
  }

  func arguments(_ value: (Int, String) throws -> GraphTensor?) throws -> ([Int], [Int], [Int]?, [Int]?) {
    if let attributes { return (attributes.starts, attributes.ends, attributes.axes, nil) }
    guard let starts = try value(1, "starts")?.ints, let ends = try value(2, "ends")?.ints else {
      throw ConvolveError.invalidArgument("starts and ends are missing")
    }
    return (starts, ends, try value(3, "axes")?.ints, try value(4, "steps")?.ints)
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "data")
    let (starts, ends, axes, steps) = try arguments { try constantInput(inputs, $0, $1) }
    return [ValueType(try Self.plan(x.shape, starts: starts, ends: ends, axes: axes, steps: steps).shape, x.type.elementType)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.take(0, "data")
    let (starts, ends, axes, steps) = try arguments { i, _ in inputs.optional(i) }
    let p = try Self.plan(x.shape, starts: starts, ends: ends, axes: axes, steps: steps)
    return [x.strided(offset: p.offset, shape: p.shape, strides: p.strides)]
  }
}

extension SliceOperator {
  var reverseReads: ReverseReads? { .inputs }

  /// The output's gradient put back where the slice took it from; zero elsewhere.
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let shape = try context.inputShape(0)
    let (starts, ends, axes, steps) = try arguments { i, _ in context.optional(i) }
    let p = try Self.plan(shape, starts: starts, ends: ends, axes: axes, steps: steps)
    var dx = [Float](repeating: 0, count: shape.reduce(1, *))
    stridedScatterAdd(context.gradient(0), into: &dx, offset: p.offset, shape: p.shape, strides: p.strides)
    return context.only(shape, dx)
  }
}
