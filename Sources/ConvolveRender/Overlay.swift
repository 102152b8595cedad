import ConvolveCNN
import ConvolveCore
import ConvolveFormats

/// `heat` as a colour overlay on `photo`: resized to the photo's size (bilinear, see `resizeBilinear`),
/// coloured by `colormap`, and blended as `(1 − alpha)·photo + alpha·colour`.
/// - Parameters:
///   - heat: one channel with values in [0, 1], e.g. an activation map after `map(_:_:)` with `.normalize`.
///   - photo: three-channel RGB, or one channel drawn as grey.
/// - Returns: three channels at the photo's size.
/// - Throws: `ConvolveError.shapeMismatch` for a `heat` without exactly one channel or empty beside a
///   non-empty photo, or a photo without 1 or 3 channels; `ConvolveError.invalidArgument` for `alpha` outside [0, 1].
public func overlay(_ heat: Tensor, on photo: Tensor, colormap: Colormap = .jet, alpha: Float = 0.5) throws -> Tensor {
  guard photo.channels == 1 || photo.channels == 3 else {
    throw ConvolveError.shapeMismatch("an overlay needs a 1- or 3-channel photo, got \(photo.channels) channels")
  }
  guard alpha >= 0 && alpha <= 1 else { throw ConvolveError.invalidArgument("overlay alpha \(alpha) is not in [0, 1]") }
  if heat.planeSize == 0 && photo.planeSize > 0 {
    throw ConvolveError.shapeMismatch("an empty \(heat.height)×\(heat.width) map cannot cover a photo")
  }
  var out = try colormap.apply(resizeBilinear(heat, height: photo.height, width: photo.width))
  let n = photo.planeSize
  photo.data.withUnsafeBufferPointer { src in
    out.data.withUnsafeMutableBufferPointer { dst in
      for c in 0 ..< 3 {
        let from = photo.channels == 1 ? 0 : c * n
        for p in 0 ..< n { dst[c * n + p] = (1 - alpha) * src[from + p] + alpha * dst[c * n + p] }
      }
    }
  }
  return out
}

/// `t` resized to `height × width` by bilinear interpolation with pixel centres aligned
/// (PyTorch's `align_corners=False`): output pixel `i` samples source position `(i + 0.5)·in/out − 0.5`,
/// clamped to the edge pixels.
func resizeBilinear(_ t: Tensor, height: Int, width: Int) -> Tensor {
  if t.height == height && t.width == width { return t }
  let xs = samplePositions(from: t.width, to: width)
  let ys = samplePositions(from: t.height, to: height)
  var out = Tensor(channels: t.channels, height: height, width: width)
  t.data.withUnsafeBufferPointer { src in
    out.data.withUnsafeMutableBufferPointer { dst in
      for c in 0 ..< t.channels {
        let plane = c * t.planeSize
        for y in 0 ..< height {
          let row0 = plane + ys.low[y] * t.width, row1 = plane + ys.high[y] * t.width, fy = ys.fraction[y]
          let outRow = (c * height + y) * width
          for x in 0 ..< width {
            let x0 = xs.low[x], x1 = xs.high[x], fx = xs.fraction[x]
            let top = src[row0 + x0] + fx * (src[row0 + x1] - src[row0 + x0])
            let bottom = src[row1 + x0] + fx * (src[row1 + x1] - src[row1 + x0])
            dst[outRow + x] = top + fy * (bottom - top)
          }
        }
      }
    }
  }
  return out
}

/// For each of `count` output positions along an axis of `size` source pixels: the source pixels on either
/// side of its sample point and how far the point lies from the first towards the second.
private func samplePositions(from size: Int, to count: Int) -> (low: [Int], high: [Int], fraction: [Float]) {
  var low = [Int](repeating: 0, count: count), high = low
  var fraction = [Float](repeating: 0, count: count)
  let scale = Double(size) / Double(count)
  for i in 0 ..< count {
    let s = min(max((Double(i) + 0.5) * scale - 0.5, 0), Double(size - 1))
    low[i] = Int(s)
    high[i] = min(low[i] + 1, size - 1)
    fraction[i] = Float(s - Double(low[i]))
  }
  return (low, high, fraction)
}
