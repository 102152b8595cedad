import ConvolveCore
import Foundation

/// How `resize` and `upsample` compute an output sample; `dst` is the output index and `scale` the
/// input/output ratio (`1 / scale_factor` when a factor is given, as PyTorch).
public enum ResizeMethod: String, CaseIterable, Sendable {
  /// The input sample at `floor(dst · scale)`: PyTorch's `mode="nearest"`, ONNX Resize's
  /// `coordinate_transformation_mode="asymmetric"` with `nearest_mode="floor"`. Shifts the picture by up to
  /// half an input pixel towards the top left at fractional factors.
  case nearest
  /// The input sample at `floor((dst + 0.5) · scale)`, the one whose area holds the output pixel's centre:
  /// PyTorch's `mode="nearest-exact"`, OpenCV's and Pillow's nearest, ONNX Resize's `half_pixel` with
  /// `nearest_mode="round_prefer_ceil"`.
  case nearestExact = "nearest-exact"
  /// Interpolation between the four input samples around `(dst + 0.5) · scale - 0.5` (clamped to 0),
  /// PyTorch's `mode="bilinear", align_corners=False`.
  case bilinear
}

extension ResizeMethod {
  /// The general resizer's rule for this method: PyTorch's `nearest` is ONNX's asymmetric coordinates with
  /// floor rounding, `nearest-exact` half-pixel coordinates rounded half up, `bilinear`
  /// (`align_corners=False`) ONNX's linear with half-pixel coordinates.
  public var options: ResizeOptions {
    switch self {
    case .nearest: return ResizeOptions(mode: .nearest, coordinates: .asymmetric, nearest: .floor)
    case .nearestExact: return ResizeOptions(mode: .nearest, coordinates: .halfPixel, nearest: .roundPreferCeil)
    case .bilinear: return ResizeOptions(mode: .linear, coordinates: .halfPixel)
    }
  }
}

/// Resizes every channel to `height × width`, as PyTorch's `interpolate(size=...)`: the scale is `in / out`.
public func resize(_ input: Tensor, height: Int, width: Int, method: ResizeMethod) throws -> Tensor {
  try input.resized(height: height, width: width, options: method.options)
}

/// Scales every channel by the given factors, as PyTorch's `interpolate(scale_factor=...)`: the output is
/// `floor(n · factor)` and the source coordinate uses `1 / factor` itself, not `in / out`.
public func upsample(_ input: Tensor, scaleY: Double, scaleX: Double, method: ResizeMethod) throws -> Tensor {
  let (height, width) = try upsampledSize(height: input.height, width: input.width, scaleY: scaleY, scaleX: scaleX)
  return try input.resized(
    height: height, width: width, scaleY: Float(scaleY), scaleX: Float(scaleX), options: method.options)
}

/// The size `upsample(_:scaleY:scaleX:method:)` gives a `height × width` input: `floor(n · factor)` in
/// double precision, as PyTorch; an error for a factor that is not a positive number or a size too large.
public func upsampledSize(height: Int, width: Int, scaleY: Double, scaleX: Double) throws -> (height: Int, width: Int) {
  for factor in [scaleY, scaleX] where !(factor.isFinite && factor > 0) {
    throw ConvolveError.invalidArgument("scale factor is \(factor); it must be a positive number")
  }
  let h = Double(height) * scaleY
  let w = Double(width) * scaleX
  guard h < Double(Int.max / 2), w < Double(Int.max / 2) else {
    throw ConvolveError.tooLarge(
      "upsampling \(width)x\(height) (WxH) by \(scaleX)x\(scaleY) gives \(w.rounded(.down))x\(h.rounded(.down)), too large")
  }
  return (Int(h.rounded(.down)), Int(w.rounded(.down)))
}

/// `upsample(_:scaleY:scaleX:method:)` with one factor for both axes.
public func upsample(_ input: Tensor, scale: Double, method: ResizeMethod) throws -> Tensor {
  try upsample(input, scaleY: scale, scaleX: scale, method: method)
}

extension Tensor {
  /// The values in C order as a `count × 1 × 1` tensor, so that a fully connected layer is a 1x1 convolution.
  public func flattened() -> Tensor {
    Tensor(channels: count, height: 1, width: 1, data: data)
  }
}
