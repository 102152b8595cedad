import Foundation

/// How a colour channel's stored value `v` in [0, 1] relates to linear light `l`, for filtering in linear light.
/// Negative values mirror the curve (`decode(-v) = -decode(v)`), so a high-pass result keeps its sign.
public enum ToneCurve: Equatable, Sendable {
  /// The sRGB curve (IEC 61966-2-1): `l = v / 12.92` up to 0.04045, else `((v + 0.055) / 1.055)^2.4`.
  case srgb
  /// A pure power, `l = v^γ` (Adobe RGB: 563/256 ≈ 2.2).
  case gamma(Float)
  /// ICC parametric curve type 3: `l = (a·v + b)^g` from `v = d` on, `c·v` below.
  case parametric(g: Float, a: Float, b: Float, c: Float, d: Float)
  /// Linear light sampled at `n ≥ 2` evenly spaced stored values from 0 to 1, non-decreasing (an ICC `curv` table):
  /// interpolated linearly between samples and extended along the end segments, as ICC readers evaluate it.
  case table([Float])

  /// Linear light from a stored value.
  @inline(__always)
  public func decode(_ v: Float) -> Float {
    let x = Swift.abs(v)
    let l: Float
    switch self {
    case .srgb: l = x <= 0.04045 ? x / 12.92 : pow((x + 0.055) / 1.055, 2.4)
    case .gamma(let g): l = pow(x, g)
    case .parametric(let g, let a, let b, let c, let d): l = x >= d ? pow(Swift.max(a * x + b, 0), g) : c * x
    case .table(let t):
      let last = t.count - 1, position = x * Float(last)
      let i = Swift.min(Int(Swift.min(position, Float(last))), last - 1)
      l = t[i] + (position - Float(i)) * (t[i + 1] - t[i])
    }
    return v < 0 ? -l : l
  }

  /// The stored value of linear light: the inverse of `decode`.
  @inline(__always)
  public func encode(_ l: Float) -> Float {
    let x = Swift.abs(l)
    let v: Float
    switch self {
    case .srgb: v = x <= 0.0031308 ? 12.92 * x : 1.055 * pow(x, 1 / 2.4) - 0.055
    case .gamma(let g): v = pow(x, 1 / g)
    case .parametric(let g, let a, let b, let c, let d):
      let knee = d > 0 ? pow(Swift.max(a * d + b, 0), g) : 0
      v = x >= knee ? (pow(x, 1 / g) - b) / a : (c > 0 ? x / c : 0)
    case .table(let t):
      // The first segment whose end reaches x (the last one beyond the table), inverted linearly; flat runs give
      // their first stored value.
      var lo = 0, hi = t.count - 1
      while hi - lo > 1 {
        let mid = (lo + hi) / 2
        if t[mid] < x { lo = mid } else { hi = mid }
      }
      let rise = t[hi] - t[lo]
      v = (Float(lo) + (rise > 0 ? (x - t[lo]) / rise : 0)) / Float(t.count - 1)
    }
    return l < 0 ? -v : v
  }
}

extension Tensor {
  /// Every value decoded to linear light by `curve`.
  public func decoded(_ curve: ToneCurve) -> Tensor { mapped { curve.decode($0) } }

  /// Every value encoded from linear light by `curve`.
  public func encoded(_ curve: ToneCurve) -> Tensor { mapped { curve.encode($0) } }

  private func mapped(_ f: @Sendable (Float) -> Float) -> Tensor {
    var out = self
    data.withUnsafeBufferPointer { src in
      out.data.withUnsafeMutableBufferPointer { dst in
        let (src, dst) = (Shared(src), Shared(dst))
        parallelRanges(count, minimumPerChunk: 1 << 16) { range in
          let (src, dst) = (src.value, dst.value)
          for i in range { dst[i] = f(src[i]) }
        }
      }
    }
    return out
  }
}
