import ConvolveCore
import Foundation

/// How `resize` and `upsample` compute an output sample.
public enum ResizeMethod: String, CaseIterable, Sendable {
  /// The input sample at `floor(dst · scale)`, PyTorch's `mode="nearest"`.
  case nearest
  /// Interpolation between the four input samples around `(dst + 0.5) · scale - 0.5` (clamped to 0),
  /// PyTorch's `mode="bilinear", align_corners=False`.
  case bilinear
}

/// Resizes every channel to `height × width`, as PyTorch's `interpolate(size=...)`: the scale is `in / out`.
public func resize(_ input: Tensor, height: Int, width: Int, method: ResizeMethod) throws -> Tensor {
  try checkResize(input, height, width)
  return interpolate(
    input, height: height, width: width, scaleY: Float(input.height) / Float(height),
    scaleX: Float(input.width) / Float(width), method: method)
}

/// Scales every channel by the given factors, as PyTorch's `interpolate(scale_factor=...)`: the output is
/// `floor(n · factor)` and the source coordinate uses `1 / factor` itself, not `in / out`.
public func upsample(_ input: Tensor, scaleY: Double, scaleX: Double, method: ResizeMethod) throws -> Tensor {
  for factor in [scaleY, scaleX] where !(factor.isFinite && factor > 0) {
    throw ConvolveError.invalidArgument("scale factor is \(factor); it must be a positive number")
  }
  let height = Int((Double(input.height) * scaleY).rounded(.down))
  let width = Int((Double(input.width) * scaleX).rounded(.down))
  try checkResize(input, height, width)
  return interpolate(
    input, height: height, width: width, scaleY: Float(1 / scaleY), scaleX: Float(1 / scaleX), method: method)
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

private func checkResize(_ input: Tensor, _ height: Int, _ width: Int) throws {
  guard input.height > 0 && input.width > 0 else {
    throw ConvolveError.invalidArgument("cannot resize an empty \(input.height)x\(input.width) input")
  }
  guard height > 0 && width > 0 else {
    throw ConvolveError.invalidArgument("resized size would be \(height)x\(width); it must be at least 1x1")
  }
}

/// Source index pairs and the weight of the second, per output position along one axis (Float math, as PyTorch).
private func axisTaps(out: Int, in n: Int, scale: Float, method: ResizeMethod) -> [(Int, Int, Float)] {
  (0 ..< out).map { dst in
    switch method {
    case .nearest:
      let i = out == n ? dst : Swift.min(Int((Float(dst) * scale).rounded(.down)), n - 1)
      return (i, i, 0)
    case .bilinear:
      let src = Swift.max(0, scale * (Float(dst) + 0.5) - 0.5)
      let i0 = Swift.min(Int(src), n - 1)
      let i1 = i0 < n - 1 ? i0 + 1 : i0
      return (i0, i1, Swift.min(Swift.max(src - Float(i0), 0), 1))
    }
  }
}

private func interpolate(
  _ input: Tensor, height: Int, width: Int, scaleY: Float, scaleX: Float, method: ResizeMethod
) -> Tensor {
  let rows = axisTaps(out: height, in: input.height, scale: scaleY, method: method)
  let cols = axisTaps(out: width, in: input.width, scale: scaleX, method: method)
  var output = Tensor(channels: input.channels, height: height, width: width)
  let (inH, inW) = (input.height, input.width)
  input.data.withUnsafeBufferPointer { src in
    output.data.withUnsafeMutableBufferPointer { dst in
      cols.withUnsafeBufferPointer { cols in
        parallelRanges(input.channels * height, minimumPerChunk: Swift.max(1, 8192 / width)) { range in
          for task in range {
            let c = task / height, y = task % height
            let (r0, r1, ly) = rows[y]
            let a = src.baseAddress! + (c * inH + r0) * inW, b = src.baseAddress! + (c * inH + r1) * inW
            let out = dst.baseAddress! + (c * height + y) * width
            for x in 0 ..< width {
              let (c0, c1, lx) = cols[x]
              let top = (1 - lx) * a[c0] + lx * a[c1]
              let bottom = (1 - lx) * b[c0] + lx * b[c1]
              out[x] = (1 - ly) * top + ly * bottom
            }
          }
        }
      }
    }
  }
  return output
}
