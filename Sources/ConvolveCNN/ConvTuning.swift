/// Switches for measuring the convolution kernels against each other (the bench and tests set them; plans made
/// afterwards follow them). Not user settings.
public enum ConvTuning {
  /// Whether 3x3 stride-1 layers may take the Winograd path.
  // Unsafe: set by the bench and tests before plans are made, never while one is being made.
  nonisolated(unsafe) public static var winograd = true
  /// gemm and pointwise: tiles whose taps are copied side by side before the filter panels run (nil: chosen
  /// from the layer's size).
  nonisolated(unsafe) public static var copyTiles: Int?
}
