import Foundation

extension ResolvedFilter {
  /// Filters the colour channels of a photo (what `filter` and `batch` do): returns the raw result and the
  /// image to save, mapped by `outputRange` or the filter's own choice, with the alpha channel carried over
  /// when the size is unchanged.
  public func applyToPhoto(
    _ photo: Tensor, options: ConvolutionOptions = .init(), outputRange: OutputMapping? = nil
  ) throws -> (result: Tensor, mapped: Tensor) {
    let alphaIndex = photo.channels == 2 || photo.channels == 4 ? photo.channels - 1 : nil
    let color = alphaIndex.map { photo.firstChannels($0) } ?? photo
    let result = try apply(to: color, options: options)
    let mapping = outputRange ?? output
    // saveImage clamps to [0, 1] (NaN to 0), which is `.clip`: skip a pass over, and a copy of, the result.
    var mapped = mapping == .clip ? result : ConvolveCore.map(result, mapping)
    if let alphaIndex, result.height == photo.height, result.width == photo.width {
      mapped.data += photo.plane(alphaIndex).data
      mapped.channels += 1
    }
    return (result, mapped)
  }
}
