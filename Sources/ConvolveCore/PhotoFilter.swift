import Foundation

/// How `applyToPhoto` treats a photo's alpha channel (the last of 2 or 4 channels).
public enum AlphaHandling: String, CaseIterable, Sendable {
  /// Filter premultiplied colour: every colour channel is multiplied by alpha, colour and alpha are filtered
  /// alike, and the colour is divided back by the filtered alpha where that is above 0 (0 elsewhere). The
  /// colour hidden under transparent pixels then cannot bleed into visible ones, and alpha follows the
  /// filter (a blurred logo gets soft edges), at any output size. A filter whose weights sum to 0 (an edge
  /// detector) or that combines kernels (sobel) sees the colour over black and the alpha is kept instead.
  case premultiply
  /// Filter the colour channels alone and carry alpha over unchanged (dropped when the size changes).
  case keep
}

/// How a photo's values are filtered: in which light, and with which alpha rule.
public struct PhotoFilterOptions: Equatable, Sendable {
  /// Decode the colour channels to linear light by this curve before filtering and encode the result again;
  /// nil filters the stored values. Alpha is linear already.
  public var linear: ToneCurve?
  public var alpha: AlphaHandling

  public init(linear: ToneCurve? = nil, alpha: AlphaHandling = .premultiply) {
    (self.linear, self.alpha) = (linear, alpha)
  }
}

extension ResolvedFilter {
  /// Filters the colour channels of a photo (what `filter` and `batch` do): returns the raw result (the
  /// colour channels, encoded again with `photoOptions.linear`) and the image to save, mapped by `outputRange`
  /// or the filter's own choice, with the alpha channel as `photoOptions.alpha` says.
  public func applyToPhoto(
    _ photo: Tensor, options: ConvolutionOptions = .init(), outputRange: OutputMapping? = nil,
    photoOptions settings: PhotoFilterOptions = .init()
  ) throws -> (result: Tensor, mapped: Tensor) {
    let alphaIndex = photo.channels == 2 || photo.channels == 4 ? photo.channels - 1 : nil
    var color = alphaIndex.map { photo.firstChannels($0) } ?? photo
    if let curve = settings.linear { color = color.decoded(curve) }
    var result: Tensor
    var alpha: Tensor?
    if let alphaIndex, settings.alpha == .premultiply, photo.plane(alphaIndex).data.contains(where: { $0 != 1 }) {
      (result, alpha) = try applyPremultiplied(color, alpha: photo.plane(alphaIndex), options: options)
    } else {
      result = try apply(to: color, options: options)
      if let alphaIndex, result.height == photo.height, result.width == photo.width { alpha = photo.plane(alphaIndex) }
    }
    if let curve = settings.linear { result = result.encoded(curve) }
    let mapping = outputRange ?? output
    // saveImage clamps to [0, 1] (NaN to 0), which is `.clip`: skip a pass over, and a copy of, the result.
    var mapped = mapping == .clip ? result : ConvolveCore.map(result, mapping)
    if let alpha {
      mapped.data += alpha.data
      mapped.channels += 1
    }
    return (result, mapped)
  }

  /// Whether the filter keeps a constant image's level up to a positive factor (a blur, sharpen, unsharp
  /// mask): then alpha can be filtered with the colour and divided out.
  var averages: Bool { combine == .single && kernels.count == 1 && kernels[0].sum > 1e-6 }

  /// The colour result and the alpha to attach, by `AlphaHandling.premultiply`.
  private func applyPremultiplied(_ color: Tensor, alpha: Tensor, options: ConvolutionOptions) throws
    -> (Tensor, Tensor?)
  {
    var premultiplied = color
    let n = color.planeSize
    for c in 0 ..< color.channels {
      for i in 0 ..< n { premultiplied.data[c * n + i] *= alpha.data[i] }
    }
    guard averages else {
      let result = try apply(to: premultiplied, options: options)
      return (result, result.height == color.height && result.width == color.width ? alpha : nil)
    }
    premultiplied.data += alpha.data
    premultiplied.channels += 1
    let filtered = try apply(to: premultiplied, options: options)
    let m = filtered.planeSize
    let colors = filtered.channels - 1
    var result = filtered.firstChannels(colors)
    var outAlpha = filtered.plane(colors)
    for i in 0 ..< m {
      let a = outAlpha.data[i]
      for c in 0 ..< colors { result.data[c * m + i] = a > 0 ? result.data[c * m + i] / a : 0 }
      outAlpha.data[i] = Swift.min(Swift.max(a, 0), 1)
    }
    return (result, outAlpha)
  }
}
