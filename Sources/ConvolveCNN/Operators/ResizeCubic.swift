import ConvolveCore
import Foundation

/// ONNX Resize's `cubic` mode over the last two dimensions: Keys' cubic convolution with coefficient
/// `cubic_coeff_a` (-0.75, PyTorch's bicubic, by default; TensorFlow uses -0.5), the four taps clamped to the
/// edge, or with `exclude_outside` those outside the input dropped and the rest renormalised. Separable: rows,
/// then columns.
struct CubicResize: Sendable, Equatable {
  let a: Float
  let excludeOutside: Bool

  /// Per output sample along one axis: the four input indices and their weights.
  func taps(n: Int, m: Int, scale: Float, coordinates: CoordinateTransformation) -> (index: [Int], weight: [Float]) {
    var index = [Int](repeating: 0, count: 4 * m), weight = [Float](repeating: 0, count: 4 * m)
    let a = Double(self.a)
    for o in 0 ..< m {
      let x = Double(coordinates.source(o, scale: scale, inputLength: n, outputLength: m))
      let x0 = x.rounded(.down), t = x - x0
      let distances = [1 + t, t, 1 - t, 2 - t]
      var w = distances.map { d -> Double in
        d <= 1 ? ((a + 2) * d - (a + 3)) * d * d + 1 : ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
      }
      let first = Int(x0) - 1
      if excludeOutside {
        for k in 0 ..< 4 where first + k < 0 || first + k >= n { w[k] = 0 }
        let sum = w.reduce(0, +)
        if sum != 0 { w = w.map { $0 / sum } }
      }
      for k in 0 ..< 4 {
        index[4 * o + k] = Swift.min(Swift.max(first + k, 0), n - 1)
        weight[4 * o + k] = Float(w[k])
      }
    }
    return (index, weight)
  }

  /// `planes` planes of `h × w` resized to `oh × ow`.
  func apply(
    _ data: [Float], planes: Int, h: Int, w: Int, oh: Int, ow: Int, scaleY: Float, scaleX: Float,
    coordinates: CoordinateTransformation
  ) -> [Float] {
    let (xi, xw) = taps(n: w, m: ow, scale: scaleX, coordinates: coordinates)
    let (yi, yw) = taps(n: h, m: oh, scale: scaleY, coordinates: coordinates)
    var rows = [Float](repeating: 0, count: planes * h * ow)
    var out = [Float](repeating: 0, count: planes * oh * ow)
    data.withUnsafeBufferPointer { src in
      rows.withUnsafeMutableBufferPointer { mid in
        forEachChunk(planes * h, minimumPerChunk: Swift.max(1, 4096 / Swift.max(1, ow))) { range in
          for r in range {
            let s = src.baseAddress! + r * w, d = mid.baseAddress! + r * ow
            for x in 0 ..< ow {
              var v: Float = 0
              for k in 0 ..< 4 { v += xw[4 * x + k] * s[xi[4 * x + k]] }
              d[x] = v
            }
          }
        }
      }
    }
    rows.withUnsafeBufferPointer { mid in
      out.withUnsafeMutableBufferPointer { dst in
        forEachChunk(planes * oh, minimumPerChunk: Swift.max(1, 4096 / Swift.max(1, ow))) { range in
          for r in range {
            let (p, y) = (r / oh, r % oh)
            let d = dst.baseAddress! + r * ow
            for k in 0 ..< 4 {
              let s = mid.baseAddress! + (p * h + yi[4 * y + k]) * ow, c = yw[4 * y + k]
              for x in 0 ..< ow { d[x] += c * s[x] }
            }
          }
        }
      }
    }
    return out
  }
}
