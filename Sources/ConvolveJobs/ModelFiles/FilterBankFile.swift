import ConvolveCNN
import ConvolveCore
import ConvolveFormats

extension FilterBank {
  /// A bank from PyTorch-layout weights `[N][C/groups][kh][kw]` and an optional bias of `N` values.
  public init(weights: NPYArray, bias: NPYArray? = nil) throws {
    guard weights.shape.count == 4 else {
      throw ConvolveError.shapeMismatch(
        "filter weights need a rank 4 [N][C][kh][kw] array; the shape is \(weights.shape)")
    }
    if let bias, bias.shape.count != 1 {
      throw ConvolveError.shapeMismatch("a bias needs a rank 1 array; the shape is \(bias.shape)")
    }
    let s = weights.shape
    try self.init(
      outChannels: s[0], inChannelsPerGroup: s[1], kernelHeight: s[2], kernelWidth: s[3], weights: weights.data,
      bias: bias?.data ?? [])
    if !self.bias.isEmpty && self.bias.count != outChannels {
      throw ConvolveError.shapeMismatch("bias has \(self.bias.count) values; the weights have \(outChannels) filters")
    }
  }
}
