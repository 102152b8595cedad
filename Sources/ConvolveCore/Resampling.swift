import Foundation

/// How a resized sample is computed from the input samples around its source coordinate.
public enum InterpolationMode: String, CaseIterable, Sendable {
  /// The input sample picked by the nearest-rounding rule.
  case nearest
  /// Bilinear interpolation between the two samples around the source coordinate on each axis.
  case linear
}

/// How an output coordinate maps to an input coordinate (ONNX Resize's `coordinate_transformation_mode`).
/// `x` is the output index, `scale` the output/input size ratio, `n`/`m` the input/output lengths.
public enum CoordinateTransformation: String, CaseIterable, Sendable {
  /// `(x + 0.5) / scale - 0.5`: pixel centres line up (PyTorch `align_corners=False`, OpenCV).
  case halfPixel = "half_pixel"
  /// As `halfPixel`, but 0 when the output is one sample long (PyTorch's exact rule).
  case pytorchHalfPixel = "pytorch_half_pixel"
  /// `x · (n - 1) / (m - 1)`: the corner samples line up (PyTorch `align_corners=True`).
  case alignCorners = "align_corners"
  /// `x / scale` (PyTorch's `nearest`, TensorFlow 1 without half pixels).
  case asymmetric
  /// `(x + 0.5) / scale`, TensorFlow's nearest-neighbour rule with half pixels.
  case tfHalfPixelForNN = "tf_half_pixel_for_nn"

  /// The source coordinate of output index `x`, in Float as ONNX Runtime computes it.
  @inline(__always)
  public func source(_ x: Int, scale: Float, inputLength n: Int, outputLength m: Int) -> Float {
    let xf = Float(x)
    switch self {
    case .halfPixel: return (xf + 0.5) / scale - 0.5
    case .pytorchHalfPixel: return m > 1 ? (xf + 0.5) / scale - 0.5 : 0
    case .alignCorners: return m == 1 ? 0 : xf * Float(n - 1) / Float(m - 1)
    case .asymmetric: return xf / scale
    case .tfHalfPixelForNN: return (xf + 0.5) / scale
    }
  }
}

/// How `nearest` turns a source coordinate into an index (ONNX Resize's `nearest_mode`).
public enum NearestRounding: String, CaseIterable, Sendable {
  /// Round to nearest, halves down.
  case roundPreferFloor = "round_prefer_floor"
  /// Round to nearest, halves up.
  case roundPreferCeil = "round_prefer_ceil"
  case floor
  case ceil
  /// ONNX Runtime's rule for Upsample and Resize before opset 11: `ceil` when shrinking, else truncation.
  case simple

  @inline(__always)
  public func index(_ x: Float, downsampling: Bool) -> Int {
    func int(_ v: Float) -> Int { v.isFinite ? Int(Swift.max(Swift.min(v, 1e9), -1e9)) : 0 }
    switch self {
    case .roundPreferFloor: return x == Float(int(x)) + 0.5 ? int(x.rounded(.down)) : int(x.rounded(.toNearestOrAwayFromZero))
    case .roundPreferCeil: return int(x.rounded(.toNearestOrAwayFromZero))
    case .floor: return int(x.rounded(.down))
    case .ceil: return int(x.rounded(.up))
    case .simple: return downsampling ? int(x.rounded(.up)) : int(x.rounded(.towardZero))
    }
  }
}

/// The rule `Tensor.resized` follows: mode, coordinate mapping, and for `nearest` the rounding.
public struct ResizeOptions: Equatable, Sendable {
  public var mode: InterpolationMode
  public var coordinates: CoordinateTransformation
  public var nearest: NearestRounding

  public init(
    mode: InterpolationMode, coordinates: CoordinateTransformation = .halfPixel,
    nearest: NearestRounding = .roundPreferFloor
  ) {
    self.mode = mode
    self.coordinates = coordinates
    self.nearest = nearest
  }
}

/// The two source indices and weights of each output position along one axis.
struct ResizeTaps {
  var i0: [Int], i1: [Int], w0: [Float], w1: [Float]

  init(output m: Int, input n: Int, scale: Float, options: ResizeOptions) {
    (i0, i1, w0, w1) = ([], [], [], [])
    i0.reserveCapacity(m)
    for x in 0 ..< m {
      let s = options.coordinates.source(x, scale: scale, inputLength: n, outputLength: m)
      switch options.mode {
      case .nearest:
        let i = Swift.max(0, Swift.min(options.nearest.index(s, downsampling: scale < 1), n - 1))
        i0.append(i)
        i1.append(i)
        w0.append(1)
        w1.append(0)
      case .linear:
        // As ONNX Runtime: clamp into the input, then weigh the two neighbours by distance.
        let c = s.isNaN ? 0 : Swift.max(0, Swift.min(s, Float(n - 1)))
        let a = Swift.min(Int(c), n - 1)
        let b = Swift.min(a + 1, n - 1)
        var (d0, d1) = (Swift.abs(c - Float(a)), Swift.abs(c - Float(b)))
        if a == b { (d0, d1) = (0.5, 0.5) }
        i0.append(a)
        i1.append(b)
        w0.append(d1)
        w1.append(d0)
      }
    }
  }
}

extension Tensor {
  /// Every channel resized to `height × width` by `options` (ONNX Resize's rules, matching ONNX Runtime).
  /// `scaleY`/`scaleX` are the output/input ratios used in the coordinate mapping; they default to
  /// `height / self.height` and `width / self.width` (ONNX's `sizes` input); pass ONNX's `scales` when given.
  public func resized(
    height: Int, width: Int, scaleY: Float? = nil, scaleX: Float? = nil, options: ResizeOptions
  ) throws -> Tensor {
    guard self.height > 0 && self.width > 0 else {
      throw ConvolveError.invalidArgument("cannot resize an empty \(planeSizeText(height: self.height, width: self.width)) input")
    }
    guard height > 0 && width > 0 else {
      throw ConvolveError.invalidArgument("resized size would be \(planeSizeText(height: height, width: width)); it must be at least 1x1")
    }
    let sy = scaleY ?? Float(height) / Float(self.height), sx = scaleX ?? Float(width) / Float(self.width)
    for s in [sy, sx] where !(s.isFinite && s > 0) {
      throw ConvolveError.invalidArgument("resize scale is \(s); it must be a positive number")
    }
    guard channels > 0 else { return Tensor(channels: 0, height: height, width: width) }
    // Checked before the taps, which hold four values per output row and column.
    var output = try Tensor.checkedUninitialized(channels: channels, height: height, width: width, what: "resized output")
    let rows = ResizeTaps(output: height, input: self.height, scale: sy, options: options)
    let cols = ResizeTaps(output: width, input: self.width, scale: sx, options: options)
    let (inH, inW) = (self.height, self.width)
    let nearest = options.mode == .nearest
    data.withUnsafeBufferPointer { src in
      output.data.withUnsafeMutableBufferPointer { dst in
        cols.i0.withUnsafeBufferPointer { c0 in
          cols.i1.withUnsafeBufferPointer { c1 in
            cols.w0.withUnsafeBufferPointer { u0 in
              cols.w1.withUnsafeBufferPointer { u1 in
                let shared = Shared((src, dst, c0, c1, u0, u1))
                parallelRanges(channels * height, minimumPerChunk: Swift.max(1, 8192 / width)) { range in
                  let (src, dst, c0, c1, u0, u1) = shared.value
                  for task in range {
                    let c = task / height, y = task % height
                    let a = src.baseAddress! + (c * inH + rows.i0[y]) * inW
                    let out = dst.baseAddress! + (c * height + y) * width
                    if nearest {
                      for x in 0 ..< width { out[x] = a[c0[x]] }
                      continue
                    }
                    let b = src.baseAddress! + (c * inH + rows.i1[y]) * inW
                    let (v0, v1) = (rows.w0[y], rows.w1[y])
                    for x in 0 ..< width {
                      let (i, j, p, q) = (c0[x], c1[x], u0[x], u1[x])
                      out[x] = p * v0 * a[i] + q * v0 * a[j] + p * v1 * b[i] + q * v1 * b[j]
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return output
  }
}
