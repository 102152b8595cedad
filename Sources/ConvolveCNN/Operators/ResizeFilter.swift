import ConvolveCore
import Foundation

/// ONNX Resize's `cubic` mode, and `antialias` (opset 18) for linear and cubic, over the last two dimensions:
/// each output sample a weighted sum of input samples along each axis (rows, then columns).
///
/// Cubic is Keys' cubic convolution with coefficient `cubic_coeff_a` (-0.75, PyTorch's bicubic, by default;
/// TensorFlow uses -0.5), four taps clamped to the edge. Antialias widens the filter (the triangle or the cubic)
/// by the downscaling factor, as Pillow does, and normalises its weights. Taps outside the input read the
/// edge sample, or with `exclude_outside` are dropped and the rest renormalised (as onnxruntime).
struct ResizeFilter: Sendable, Equatable {
  let cubic: Bool
  let a: Float
  let excludeOutside: Bool
  let antialias: Bool

  /// The filter at distance `x` (in input samples, or widened ones under antialias).
  func filter(_ x: Double) -> Double {
    let x = abs(x), a = Double(self.a)
    guard cubic else { return max(0, 1 - x) }
    if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
    if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
    return 0
  }

  /// Per output sample along one axis, its taps: `offsets[o] ..< offsets[o + 1]` index `index` and `weight`.
  func taps(n: Int, m: Int, scale: Float, coordinates: CoordinateTransformation) -> (offsets: [Int], index: [Int], weight: [Float]) {
    var offsets = [0], index: [Int] = [], weight: [Float] = []
    let widen = antialias ? max(1, Double(n) / Double(m)) : 1
    let support = (cubic ? 2 : 1) * widen
    for o in 0 ..< m {
      let x = Double(coordinates.source(o, scale: scale, inputLength: n, outputLength: m))
      var taps: [(Int, Double)]
      if antialias {
        let center = x + 0.5
        let lo = Int((center - support + 0.5).rounded(.down)), hi = Int((center + support + 0.5).rounded(.down))
        taps = (lo ..< max(lo, hi)).map { ($0, filter((Double($0) - center + 0.5) / widen)) }
      } else {
        let x0 = x.rounded(.down)
        taps = (-1 ... 2).map { k in (Int(x0) + k, filter(x - x0 - Double(k))) }
      }
      if excludeOutside { taps = taps.filter { $0.0 >= 0 && $0.0 < n } }
      let total = antialias || excludeOutside ? taps.reduce(0) { $0 + $1.1 } : 1
      for (i, w) in taps {
        index.append(min(max(i, 0), n - 1))
        weight.append(Float(total != 0 ? w / total : 0))
      }
      offsets.append(index.count)
    }
    return (offsets, index, weight)
  }

  /// `planes` planes of `h × w` resized to `oh × ow`.
  func apply(
    _ data: [Float], planes: Int, h: Int, w: Int, oh: Int, ow: Int, scaleY: Float, scaleX: Float,
    coordinates: CoordinateTransformation
  ) -> [Float] {
    let xt = taps(n: w, m: ow, scale: scaleX, coordinates: coordinates)
    let yt = taps(n: h, m: oh, scale: scaleY, coordinates: coordinates)
    var rows = [Float](repeating: 0, count: planes * h * ow)
    var out = [Float](repeating: 0, count: planes * oh * ow)
    let minimum = Swift.max(1, 4096 / Swift.max(1, ow))
    parallelRanges(planes * h, minimumPerChunk: minimum, reading: data, writing: &rows) { src, mid, range in
      for r in range {
        let s = src + r * w, d = mid + r * ow
        for x in 0 ..< ow {
          var v: Float = 0
          for k in xt.offsets[x] ..< xt.offsets[x + 1] { v += xt.weight[k] * s[xt.index[k]] }
          d[x] = v
        }
      }
    }
    parallelRanges(planes * oh, minimumPerChunk: minimum, reading: rows, writing: &out) { mid, dst, range in
      for r in range {
        let (p, y) = (r / oh, r % oh)
        let d = dst + r * ow
        for k in yt.offsets[y] ..< yt.offsets[y + 1] {
          let s = mid + (p * h + yt.index[k]) * ow, c = yt.weight[k]
          for x in 0 ..< ow { d[x] += c * s[x] }
        }
      }
    }
    return out
  }
}
