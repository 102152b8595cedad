import ConvolveCore
import Foundation

/// ROAD (Rong et al. 2022, "A Consistent and Efficient Evaluation Strategy for Attribution Methods") as
/// pytorch-grad-cam computes it (`metrics/road.py`, `metrics/perturbation_confidence.py`): the pixels a map
/// ranks highest (most relevant first, MoRF) or lowest (least relevant first, LeRF) are removed and filled in
/// by noisy linear imputation, and the class's score is taken again, at each of `percentiles`.
public enum ROAD {
  /// The percentiles `ROADCombined` averages over: MoRF at p removes the pixels at or above the map's p-th
  /// percentile, LeRF at p those at or above the p-th percentile of 1 − map.
  public static let percentiles = [10, 20, 30, 40, 50, 60, 70, 80, 90]
  /// `NoisyLinearImputer`'s noise: this times a standard normal value is added to every imputed value.
  public static let noise: Float = 0.01

  /// `RemoveMostRelevantFirst`'s mask: which of `values` stay, `values < np.percentile(values, p)` with
  /// NumPy's linear interpolation in Float32 as NumPy computes it for a Float32 array.
  public static func kept(_ values: [Float], percentile p: Int) -> [Bool] {
    guard !values.isEmpty else { return [] }
    let sorted = values.sorted()
    let position = Double(p) / 100 * Double(sorted.count - 1)
    let low = Int(position.rounded(.down))
    let high = min(low + 1, sorted.count - 1)
    let t = Float(position - Double(low))
    let (a, b) = (sorted[low], sorted[high])
    let difference = b - a
    let threshold = t >= 0.5 ? b - difference * (1 - t) : a + difference * t
    return values.map { $0 < threshold }
  }

  /// The 8 neighbours of `NoisyLinearImputer`: (row offset, column offset, weight).
  static let neighbours: [(Int, Int, Double)] = [
    (1, 1, 1.0 / 12), (0, 1, 1.0 / 6), (-1, 1, 1.0 / 12), (1, -1, 1.0 / 12), (0, -1, 1.0 / 6), (-1, -1, 1.0 / 12),
    (1, 0, 1.0 / 6), (-1, 0, 1.0 / 6),
  ]

  /// `NoisyLinearImputer`: every removed pixel (`kept` false) of each channel of `image` (C×H×W) becomes the
  /// weighted mean of its neighbours inside the image (1/6 beside, 1/12 diagonal), solved jointly for all
  /// removed pixels (a sparse symmetric positive system, here by conjugate gradients in Double with Jacobi
  /// preconditioning, to 1e-8 of the right-hand side: far below the noise added), plus `noise` times `CAMNoise(seed)`'s values drawn
  /// channel by channel in pixel order (as `torch.randn_like` fills them). Removed pixels that reach no kept
  /// one (SciPy's solver has no answer there) get 0 plus the noise.
  public static func impute(
    _ image: [Float], channels c: Int, height h: Int, width w: Int, kept: [Bool], seed: UInt64, noise: Float = noise
  ) -> [Float] {
    let n = h * w
    var number = [Int](repeating: -1, count: n)
    var unknowns: [Int] = []
    for p in 0 ..< n where !kept[p] {
      number[p] = unknowns.count
      unknowns.append(p)
    }
    let m = unknowns.count
    guard m > 0 else { return image }
    // M x = r: M_ii the weights of the neighbours inside the image, M_ij = −w for a removed neighbour j;
    // r_i (per channel) the weighted kept neighbours.
    var diagonal = [Double](repeating: 0, count: m)
    var links = [Int](repeating: -1, count: 8 * m)
    var weights = [Double](repeating: 0, count: 8 * m)
    var rhs = [Double](repeating: 0, count: c * m)
    for (i, p) in unknowns.enumerated() {
      let (y, x) = (p / w, p % w)
      var inside = 1.0
      for (k, (dy, dx, weight)) in neighbours.enumerated() {
        let (yy, xx) = (y + dy, x + dx)
        guard yy >= 0, yy < h, xx >= 0, xx < w else {
          inside -= weight
          continue
        }
        let q = yy * w + xx
        if number[q] >= 0 {
          (links[8 * i + k], weights[8 * i + k]) = (number[q], weight)
        } else {
          for ch in 0 ..< c { rhs[ch * m + i] += weight * Double(image[ch * n + q]) }
        }
      }
      diagonal[i] = inside
    }
    var out = image
    var draws = CAMNoise(seed: seed)
    for ch in 0 ..< c {
      let x = conjugateGradients(diagonal: diagonal, links: links, weights: weights, rhs: Array(rhs[(ch * m) ..< ((ch + 1) * m)]))
      for i in 0 ..< m { out[ch * n + unknowns[i]] = Float(x[i]) + noise * Float(draws.gaussian()) }
    }
    return out
  }

  /// Solves M x = r for `impute`'s M (diagonal minus the linked weights), from 0, until the residual is
  /// below 1e-8 of r's norm.
  static func conjugateGradients(diagonal: [Double], links: [Int], weights: [Double], rhs: [Double]) -> [Double] {
    let m = diagonal.count
    var x = [Double](repeating: 0, count: m)
    var r = rhs
    let limit = 1e-8 * (r.reduce(0) { $0 + $1 * $1 }).squareRoot()
    guard limit > 0 else { return x }
    var z = [Double](repeating: 0, count: m), p = [Double](repeating: 0, count: m), q = [Double](repeating: 0, count: m)
    diagonal.withUnsafeBufferPointer { d in
      links.withUnsafeBufferPointer { link in
        weights.withUnsafeBufferPointer { weight in
          x.withUnsafeMutableBufferPointer { x in
            r.withUnsafeMutableBufferPointer { r in
              z.withUnsafeMutableBufferPointer { z in
                p.withUnsafeMutableBufferPointer { p in
                  q.withUnsafeMutableBufferPointer { q in
                    var rz: Double = 0
                    for i in 0 ..< m {
                      z[i] = d[i] > 0 ? r[i] / d[i] : 0
                      p[i] = z[i]
                      rz += r[i] * z[i]
                    }
                    for _ in 0 ..< (m + 1000) {
                      var pq: Double = 0
                      for i in 0 ..< m {
                        var s = d[i] * p[i]
                        let base = 8 * i
                        for k in base ..< (base + 8) where link[k] >= 0 { s -= weight[k] * p[link[k]] }
                        q[i] = s
                        pq += p[i] * s
                      }
                      guard pq > 0 else { break }
                      let alpha = rz / pq
                      var norm: Double = 0, next: Double = 0
                      for i in 0 ..< m {
                        x[i] += alpha * p[i]
                        r[i] -= alpha * q[i]
                        norm += r[i] * r[i]
                        z[i] = d[i] > 0 ? r[i] / d[i] : 0
                        next += r[i] * z[i]
                      }
                      if norm.squareRoot() <= limit { break }
                      let beta = next / rz
                      rz = next
                      for i in 0 ..< m { p[i] = z[i] + beta * p[i] }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return x
  }

  /// The removed-pixel masks of one map (H·W values in [0, 1], as pytorch-grad-cam's scaled cams): MoRF at
  /// each percentile, then LeRF at each (from `1 − map` in Float32).
  public static func masks(_ map: [Float]) -> [[Bool]] {
    let inverse = map.map { 1 - $0 }
    return percentiles.map { kept(map, percentile: $0) } + percentiles.map { kept(inverse, percentile: $0) }
  }

  /// The MoRF and LeRF averages and `ROADCombined`'s `(LeRF − MoRF) / 2` from the score changes in `masks`'s
  /// order (the class's score after imputation minus its score for the input).
  public static func summary(_ changes: [Double]) -> (mostRelevantFirst: Double, leastRelevantFirst: Double, combined: Double) {
    let k = percentiles.count
    let morf = changes.prefix(k).reduce(0, +) / Double(k)
    let lerf = changes.dropFirst(k).prefix(k).reduce(0, +) / Double(k)
    return (morf, lerf, (lerf - morf) / 2)
  }
}
