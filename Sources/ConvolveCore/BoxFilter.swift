/// Box (constant-weight) kernels at stride 1 by running sums: a column sum per input column slides down
/// the rows (one add and one subtract per sample), then a row sum slides along each row, so the cost does
/// not grow with the kernel size. Column sums restart every band of rows so Float rounding cannot drift;
/// row sums accumulate in Double.
struct BoxPlan {
  let weight: Float
  let kh: Int, kw: Int
  let inH: Int, inW: Int, outH: Int, outW: Int
  let rowMap: [Int], colMap: [Int]
  let paddedW: Int, left: Int

  /// The common weight of a kernel whose weights are all equal and non-zero; nil otherwise.
  static func constantWeight(_ k: Kernel) -> Float? {
    guard let w = k.weights.first, w != 0, k.weights.allSatisfy({ $0 == w }) else { return nil }
    return w
  }

  init(weight: Float, kernel: (Int, Int), input: (Int, Int), output: (Int, Int), padding: Padding, border: Border) {
    self.weight = weight
    (kh, kw) = kernel
    (inH, inW) = input
    (outH, outW) = output
    (rowMap, colMap) = border.indexMaps(height: inH, width: inW, padding: padding)
    paddedW = inW + padding.left + padding.right
    left = padding.left
  }

  func run(_ input: Tensor, into output: inout Tensor) {
    guard outH > 0 && outW > 0 && input.channels > 0 else { return }
    let bandRows = 64
    let bands = (outH + bandRows - 1) / bandRows
    input.data.withUnsafeBufferPointer { src in
      output.data.withUnsafeMutableBufferPointer { dst in
        let srcBase = src.baseAddress!, dstBase = dst.baseAddress!
        parallelRanges(input.channels * bands) { tasks in
          let sums = UnsafeMutablePointer<Float>.allocate(capacity: inW)
          let line = UnsafeMutablePointer<Float>.allocate(capacity: paddedW)
          defer {
            sums.deallocate()
            line.deallocate()
          }
          for task in tasks {
            let c = task / bands, y0 = (task % bands) * bandRows
            let plane = srcBase + c * inH * inW, out = dstBase + c * outH * outW
            sums.initialize(repeating: 0, count: inW)
            for i in 0 ..< kh { add(plane, row: rowMap[y0 + i], into: sums, sign: 1) }
            for y in y0 ..< min(outH, y0 + bandRows) {
              if y > y0 {
                add(plane, row: rowMap[y - 1], into: sums, sign: -1)
                add(plane, row: rowMap[y + kh - 1], into: sums, sign: 1)
              }
              (line + left).update(from: sums, count: inW)
              for j in 0 ..< paddedW where j < left || j >= left + inW {
                line[j] = colMap[j] < 0 ? 0 : sums[colMap[j]]
              }
              let o = out + y * outW
              var s: Double = 0
              for j in 0 ..< kw { s += Double(line[j]) }
              o[0] = Float(s) * weight
              if outW > 1 {
                for x in 1 ..< outW {
                  s += Double(line[x + kw - 1]) - Double(line[x - 1])
                  o[x] = Float(s) * weight
                }
              }
            }
          }
        }
      }
    }
  }

  @inline(__always)
  private func add(_ plane: UnsafePointer<Float>, row: Int, into sums: UnsafeMutablePointer<Float>, sign: Float) {
    guard row >= 0 else { return }
    let r = plane + row * inW
    if sign > 0 {
      for x in 0 ..< inW { sums[x] += r[x] }
    } else {
      for x in 0 ..< inW { sums[x] -= r[x] }
    }
  }
}
