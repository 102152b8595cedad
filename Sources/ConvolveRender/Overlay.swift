import ConvolveCNN
import ConvolveCore
import ConvolveFormats

/// `heat` as a colour overlay on `photo`: resized to the photo's size (bilinear, `ResizeMethod.bilinear`),
/// coloured by `colormap`, and blended as `(1 − alpha)·photo + alpha·colour`.
/// - Parameters:
///   - heat: one channel with values in [0, 1], e.g. an activation map after `mapOutput(_:_:)` with `.normalize`.
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
  let resized = heat.height == photo.height && heat.width == photo.width
    ? heat : try heat.resized(height: photo.height, width: photo.width, options: ResizeMethod.bilinear.options)
  var out = try colormap.apply(resized)
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

/// `heat` over `photo` with an opacity that follows the map, as class activation maps are shown: a pixel's
/// colour is `colormap(h)` blended in with opacity `maxOpacity · h`, so the photo stays clear where the map is
/// low. `heat` (one channel, values in [0, 1]) is resized bilinearly to the photo's size.
/// - Returns: three channels at the photo's size.
/// - Throws: as `overlay(_:on:colormap:alpha:)`, with `maxOpacity` in place of `alpha`.
public func followingOverlay(_ heat: Tensor, on photo: Tensor, colormap: Colormap = .jet, maxOpacity: Float = 0.6) throws
  -> Tensor
{
  guard maxOpacity >= 0 && maxOpacity <= 1 else {
    throw ConvolveError.invalidArgument("overlay opacity \(maxOpacity) is not in [0, 1]")
  }
  var out = try overlay(heat, on: photo, colormap: colormap, alpha: 1)  // the colours alone
  let resized = heat.height == photo.height && heat.width == photo.width
    ? heat : try heat.resized(height: photo.height, width: photo.width, options: ResizeMethod.bilinear.options)
  let n = photo.planeSize
  photo.data.withUnsafeBufferPointer { src in
    resized.data.withUnsafeBufferPointer { h in
      out.data.withUnsafeMutableBufferPointer { dst in
        for c in 0 ..< 3 {
          let from = photo.channels == 1 ? 0 : c * n
          for p in 0 ..< n {
            let a = maxOpacity * min(max(h[p], 0), 1)
            dst[c * n + p] = (1 - a) * src[from + p] + a * dst[c * n + p]
          }
        }
      }
    }
  }
  return out
}
