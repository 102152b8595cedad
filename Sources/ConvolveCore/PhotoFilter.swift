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
    let premultiply =
      settings.alpha == .premultiply && (alphaIndex.map { photo.plane($0).data.contains(where: { $0 != 1 }) } ?? false)
    return try photoPass(
      photo, premultiply: premultiply, outputRange: outputRange, settings: settings,
      alphaFor: { alpha, result in result.height == photo.height && result.width == photo.width ? alpha : nil },
      convolve: { try apply(to: $0, options: options) })
  }

  /// What `applyToPhoto` does around the convolution, shared with the strip path (`PhotoStrips`):
  /// `premultiply` says whether the photo's alpha is anything but opaque, `alphaFor` gives the alpha rows that
  /// go with a result (nil: none), `convolve` filters the colour (and premultiplied alpha) channels.
  func photoPass(
    _ photo: Tensor, premultiply: Bool, outputRange: OutputMapping?, settings: PhotoFilterOptions,
    alphaFor: (_ alpha: Tensor, _ result: Tensor) -> Tensor?, convolve: (Tensor) throws -> Tensor
  ) throws -> (result: Tensor, mapped: Tensor) {
    let alphaIndex = photo.channels == 2 || photo.channels == 4 ? photo.channels - 1 : nil
    var color = alphaIndex.map { photo.firstChannels($0) } ?? photo
    if let curve = settings.linear { color = color.decoded(curve) }
    var result: Tensor
    var alpha: Tensor?
    if let alphaIndex, settings.alpha == .premultiply, premultiply {
      (result, alpha) = try applyPremultiplied(color, alpha: photo.plane(alphaIndex), alphaFor: alphaFor, convolve: convolve)
    } else {
      result = try convolve(color)
      if let alphaIndex { alpha = alphaFor(photo.plane(alphaIndex), result) }
    }
    if let curve = settings.linear { result = result.encoded(curve) }
    let mapping = outputRange ?? output
    // saveImage clamps to [0, 1] (NaN to 0), which is `.clip`: skip a pass over, and a copy of, the result.
    var mapped = mapping == .clip ? result : mapOutput(result, mapping)
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
  private func applyPremultiplied(
    _ color: Tensor, alpha: Tensor, alphaFor: (Tensor, Tensor) -> Tensor?, convolve: (Tensor) throws -> Tensor
  ) throws -> (Tensor, Tensor?) {
    var premultiplied = color
    let n = color.planeSize
    for c in 0 ..< color.channels {
      for i in 0 ..< n { premultiplied.data[c * n + i] *= alpha.data[i] }
    }
    guard averages else {
      let result = try convolve(premultiplied)
      return (result, alphaFor(alpha, result))
    }
    premultiplied.data += alpha.data
    premultiplied.channels += 1
    let filtered = try convolve(premultiplied)
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
