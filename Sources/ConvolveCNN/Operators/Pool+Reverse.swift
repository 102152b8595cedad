import ConvolveCore

extension PoolAttributes {
  /// The input's gradient of a max pool (each output's gradient to its window's first largest input) or an
  /// average pool (spread over the window's inputs by the forward divisor, as `Pooling.apply` counts it).
  func reverse(_ kind: PoolingKind, _ x: GraphTensor, gradient g: [Float], countIncludesPadding: Bool) throws -> GraphTensor {
    let (p, outShape) = try pooling(kind, input: x.shape, countIncludesPadding: countIncludesPadding)
    let (n, c, h, w) = try spatialDims(x.shape)
    let (oh, ow) = (outShape.count == 4 ? outShape[2] : 1, outShape[outShape.count - 1])
    let pad = p.padding
    func taps(_ o: Int, _ s: Int, _ before: Int, _ k: Int, _ d: Int, _ len: Int) -> [Int] {
      (0 ..< k).map { o * s - before + $0 * d }.filter { $0 >= 0 && $0 < len }
    }
    func clipped(_ o: Int, _ s: Int, _ before: Int, _ after: Int, _ k: Int, _ d: Int, _ len: Int) -> Int {
      let start = o * s - before
      return (0 ..< k).filter { start + $0 * d < len + after }.count
    }
    let rowTaps = (0 ..< oh).map { taps($0, p.strideY, pad.top, p.kernelHeight, p.dilationY, h) }
    let colTaps = (0 ..< ow).map { taps($0, p.strideX, pad.left, p.kernelWidth, p.dilationX, w) }
    let rowWindow = (0 ..< oh).map { clipped($0, p.strideY, pad.top, pad.bottom, p.kernelHeight, p.dilationY, h) }
    let colWindow = (0 ..< ow).map { clipped($0, p.strideX, pad.left, pad.right, p.kernelWidth, p.dilationX, w) }
    let xs = try requireFloat(x, "X")
    var dx = [Float](repeating: 0, count: xs.count)
    for plane in 0 ..< n * c {
      let base = plane * h * w, outBase = plane * oh * ow
      for y in 0 ..< oh {
        let rows = rowTaps[y]
        for xo in 0 ..< ow {
          let cols = colTaps[xo], gv = g[outBase + y * ow + xo]
          guard !rows.isEmpty, !cols.isEmpty, gv != 0 else { continue }
          if kind == .max {
            var best = -1
            var value = -Float.infinity
            for r in rows {
              for q in cols where best < 0 || xs[base + r * w + q] > value {
                best = base + r * w + q
                value = xs[best]
              }
            }
            dx[best] += gv
          } else {
            let divisor = countIncludesPadding ? rowWindow[y] * colWindow[xo] : rows.count * cols.count
            let share = gv / Float(divisor)
            for r in rows { for q in cols { dx[base + r * w + q] += share } }
          }
        }
      }
    }
    return GraphTensor(shape: x.shape, floats: dx)
  }
}

extension MaxPoolOperator {
  var reverseReads: ReverseReads? { .inputs }

  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    [try attributes.reverse(.max, try context.input(0), gradient: context.gradient(0), countIncludesPadding: true)]
  }
}

extension AveragePoolOperator {
  var reverseReads: ReverseReads? { .inputs }

  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    [try attributes.reverse(.average, try context.input(0), gradient: context.gradient(0), countIncludesPadding: countIncludePad)]
  }
}

extension GlobalPoolOperator {
  var reverseReads: ReverseReads? { kind == .max ? .inputs : .nothing }

  /// The average spreads each channel's gradient evenly; the max gives it to the first largest sample.
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let shape = try context.inputShape(0)
    let planes = shape[0] * shape[1], plane = shape.dropFirst(2).reduce(1, *)
    let g = context.gradient(0)
    var dx = [Float](repeating: 0, count: planes * plane)
    guard plane > 0 else { return [GraphTensor(shape: shape, floats: dx)] }
    switch kind {
    case .average:
      for c in 0 ..< planes {
        let share = g[c] / Float(plane)
        for i in 0 ..< plane { dx[c * plane + i] = share }
      }
    case .max:
      let xs = try requireFloat(try context.input(0), "X")
      for c in 0 ..< planes {
        var best = c * plane
        for i in c * plane ..< (c + 1) * plane where xs[i] > xs[best] { best = i }
        dx[best] = g[c]
      }
    }
    return [GraphTensor(shape: shape, floats: dx)]
  }
}
