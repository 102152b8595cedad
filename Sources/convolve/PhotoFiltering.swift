import ArgumentParser
import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveLecture
import ConvolveRender
import Foundation

/// Filters the colour channels of a photo (used by `filter` and `batch`): returns the raw result and the
/// image to save, mapped by `outputRange` or the filter's own choice, with the alpha channel carried over
/// when the size is unchanged.
func filterImage(
  _ image: LoadedImage, with filter: ResolvedFilter, options: ConvolutionOptions, outputRange: OutputMapping?
) throws -> (result: Tensor, mapped: Tensor) {
  let alphaIndex = image.tensor.channels == 2 || image.tensor.channels == 4 ? image.tensor.channels - 1 : nil
  let color = alphaIndex.map { image.tensor.firstChannels($0) } ?? image.tensor
  let result = try filter.apply(to: color, options: options)
  let mapping = outputRange ?? filter.output
  // saveImage clamps to [0, 1] (NaN to 0), which is `.clip`: skip a pass over, and a copy of, the result.
  var mapped = mapping == .clip ? result : ConvolveCore.map(result, mapping)
  if let alphaIndex, result.height == image.tensor.height, result.width == image.tensor.width {
    mapped.data += image.tensor.plane(alphaIndex).data
    mapped.channels += 1
  }
  return (result, mapped)
}

extension Tensor {
  /// The first `n` channels.
  func firstChannels(_ n: Int) -> Tensor {
    Tensor(channels: n, height: height, width: width, data: Array(data[0 ..< n * planeSize]))
  }
}
