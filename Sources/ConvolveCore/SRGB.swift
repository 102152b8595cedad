import Foundation

/// The sRGB transfer curve (IEC 61966-2-1), for filtering in linear light.
public enum SRGB {
  /// Linear light from an sRGB-encoded value in [0, 1]: `v / 12.92` up to 0.04045, else
  /// `((v + 0.055) / 1.055)^2.4`. Negative values mirror the curve, so it is odd and monotonic everywhere.
  @inline(__always)
  public static func decode(_ v: Float) -> Float {
    let a = Swift.abs(v)
    let l = a <= 0.04045 ? a / 12.92 : pow((a + 0.055) / 1.055, 2.4)
    return v < 0 ? -l : l
  }

  /// The sRGB encoding of linear light: `12.92 · l` up to 0.0031308, else `1.055 · l^(1/2.4) − 0.055`;
  /// negative values mirror the curve (a high-pass result keeps its sign).
  @inline(__always)
  public static func encode(_ l: Float) -> Float {
    let a = Swift.abs(l)
    let v = a <= 0.0031308 ? 12.92 * a : 1.055 * pow(a, 1 / 2.4) - 0.055
    return l < 0 ? -v : v
  }
}

extension Tensor {
  /// Every value decoded from sRGB to linear light (`SRGB.decode`).
  public func srgbToLinear() -> Tensor { mapped(SRGB.decode) }

  /// Every value encoded from linear light to sRGB (`SRGB.encode`).
  public func linearToSRGB() -> Tensor { mapped(SRGB.encode) }

  private func mapped(_ f: (Float) -> Float) -> Tensor {
    var out = self
    data.withUnsafeBufferPointer { src in
      out.data.withUnsafeMutableBufferPointer { dst in
        parallelRanges(count, minimumPerChunk: 1 << 16) { range in
          for i in range { dst[i] = f(src[i]) }
        }
      }
    }
    return out
  }
}
