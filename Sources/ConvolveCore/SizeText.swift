/// Sizes in messages, one rule everywhere: a picture is width x height, as ImageMagick, libvips and `convolve
/// info` write it (`640x427`); an array (a tensor, a feature map, a kernel) is in its index order with the
/// letters (`3x427x640 (CxHxW)`, `5x3 (HxW)`; a square plane needs none).

/// `640x427`: a picture's width x height.
public func pictureSizeText(width: Int, height: Int) -> String { "\(width)x\(height)" }

/// `5x3 (HxW)`, or `3x3` for a square: a 2-D array's rows x columns.
public func planeSizeText(height: Int, width: Int) -> String {
  height == width ? "\(height)x\(width)" : "\(height)x\(width) (HxW)"
}

/// `3x427x640 (CxHxW)`: a planar tensor's channels x height x width.
public func tensorSizeText(channels: Int, height: Int, width: Int) -> String {
  "\(channels)x\(height)x\(width) (CxHxW)"
}
