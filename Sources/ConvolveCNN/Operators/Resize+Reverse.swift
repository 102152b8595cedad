import ConvolveCore

extension ResizeOperator {
  var reverseReads: ReverseReads? { .inputs }

  /// Resize is linear and separable: each axis's weights are found by resizing the unit samples along it
  /// alone (the same code path as the forward pass), and the output's gradient is sent back through them.
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let s = try context.inputShape(0)
    let (scales, sizes) = try scalesAndSizes { context.optional($0) }
    let (outShape, used) = try resolve(input: s, scales: scales, sizes: sizes)
    let rank = s.count
    let (h, w) = (rank >= 2 ? s[rank - 2] : 1, s[rank - 1])
    let (oh, ow) = (rank >= 2 ? outShape[rank - 2] : 1, outShape[rank - 1])
    let rows = try axisWeights(n: h, m: oh, scale: rank >= 2 ? used[rank - 2] : 1, vertical: true)
    let cols = try axisWeights(n: w, m: ow, scale: used[rank - 1], vertical: false)
    let planes = s.dropLast(Swift.min(2, rank)).reduce(1, *)
    let g = context.gradient(0)
    var dx = [Float](repeating: 0, count: planes * h * w)
    var rowsSum = [Float](repeating: 0, count: oh * w)
    for plane in 0 ..< planes {
      for i in rowsSum.indices { rowsSum[i] = 0 }
      let gp = plane * oh * ow, dp = plane * h * w
      for y in 0 ..< oh {
        for x in 0 ..< ow {
          let v = g[gp + y * ow + x]
          for t in cols.start[x] ..< cols.start[x + 1] { rowsSum[y * w + cols.index[t]] += cols.weight[t] * v }
        }
      }
      for y in 0 ..< oh {
        for t in rows.start[y] ..< rows.start[y + 1] {
          let (i, wy) = (rows.index[t], rows.weight[t])
          for j in 0 ..< w { dx[dp + i * w + j] += wy * rowsSum[y * w + j] }
        }
      }
    }
    return context.only(s, dx)
  }

  /// The input samples (and weights) each of the `m` outputs along one axis reads, output `o`'s from
  /// `start[o]` to `start[o + 1]`.
  private func axisWeights(n: Int, m: Int, scale: Float, vertical: Bool) throws
    -> (start: [Int], index: [Int], weight: [Float])
  {
    var unit = [Float](repeating: 0, count: n * n)
    for i in 0 ..< n { unit[i * n + i] = 1 }
    let probe = vertical
      ? try Tensor(channels: n, height: n, width: 1, data: unit).resized(height: m, width: 1, scaleY: scale, scaleX: 1, options: options)
      : try Tensor(channels: n, height: 1, width: n, data: unit).resized(height: 1, width: m, scaleY: 1, scaleX: scale, options: options)
    // Channel i of the probe holds input sample i's weight in every output.
    var start = [0], index: [Int] = [], weight: [Float] = []
    for o in 0 ..< m {
      for i in 0 ..< n where probe.data[i * m + o] != 0 {
        index.append(i)
        weight.append(probe.data[i * m + o])
      }
      start.append(index.count)
    }
    return (start, index, weight)
  }
}
