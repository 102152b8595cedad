import ConvolveCore
import Dispatch
import Foundation

/// A Float32 array of `count` elements whose every element the caller writes; large ones in transparent
/// huge pages, as `Tensor.uninitialized` allocates them.
@inline(__always)
func uninitializedFloats(_ count: Int) -> [Float] {
  if count >= 1 << 20 { return Tensor.uninitialized(channels: 1, height: 1, width: count).data }
  return [Float](unsafeUninitializedCapacity: count) { _, n in n = count }
}

/// The Float32 values of a tensor, or an error naming the operator's need.
func requireFloat(_ t: GraphTensor, _ what: String = "input") throws -> [Float] {
  guard case .float(let v) = t.storage else {
    throw ConvolveError.invalidArgument("\(what) is \(t.elementType); this operator needs float32")
  }
  return v
}

/// Rank-4 NCHW (or rank-3 NCW, treated as height 1) as (n, c, h, w).
func spatialDims(_ shape: [Int], _ what: String = "input") throws -> (n: Int, c: Int, h: Int, w: Int) {
  switch shape.count {
  case 4: return (shape[0], shape[1], shape[2], shape[3])
  case 3: return (shape[0], shape[1], 1, shape[2])
  default:
    throw ConvolveError.shapeMismatch("\(what) has shape \(shapeText(shape)); this operator needs N x C x H x W (or N x C x W)")
  }
}

/// Spatial attribute lists (kernel, strides, dilations, output padding) for 1-D or 2-D as (y, x); a 1-D list's y is the
/// default.
func pair(_ values: [Int]?, rank spatial: Int, default value: Int, _ what: String) throws -> (Int, Int) {
  guard let values else { return (value, value) }
  guard values.count == spatial else {
    throw ConvolveError.invalidArgument("\(what) has \(values.count) values; the input has \(spatial) spatial dimensions")
  }
  return spatial == 1 ? (value, values[0]) : (values[0], values[1])
}

/// ONNX pads `[y_begin, x_begin, y_end, x_end]` (or `[x_begin, x_end]` for 1-D) as a `Padding`.
func padding(_ pads: [Int]?, spatial: Int) throws -> Padding {
  guard let pads else { return .zero }
  guard pads.count == 2 * spatial else {
    throw ConvolveError.invalidArgument("pads has \(pads.count) values; \(2 * spatial) are needed")
  }
  guard pads.allSatisfy({ $0 >= 0 }) else { throw ConvolveError.invalidArgument("pads \(pads) must not be negative") }
  return spatial == 1
    ? Padding(top: 0, bottom: 0, left: pads[0], right: pads[1])
    : Padding(top: pads[0], bottom: pads[2], left: pads[1], right: pads[3])
}

/// ONNX `auto_pad`.
enum AutoPad: String {
  case notSet = "NOTSET", sameUpper = "SAME_UPPER", sameLower = "SAME_LOWER", valid = "VALID"

  init(_ node: Node) throws {
    let text = try node.string("auto_pad", default: "NOTSET")
    guard let value = AutoPad(rawValue: text.isEmpty ? "NOTSET" : text) else {
      throw ConvolveError.invalidArgument("auto_pad '\(text)' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID")
    }
    self = value
  }

  /// Begin and end padding along one axis for a sliding window, as ONNX Runtime computes it.
  func pads(input n: Int, kernel k: Int, stride s: Int, dilation d: Int, explicit: (Int, Int)) -> (Int, Int) {
    switch self {
    case .notSet: return explicit
    case .valid: return (0, 0)
    case .sameUpper, .sameLower:
      let out = (n + s - 1) / s
      let total = max(0, (out - 1) * s + d * (k - 1) + 1 - n)
      return self == .sameUpper ? (total / 2, total - total / 2) : (total - total / 2, total / 2)
    }
  }
}

/// The sliding-window attributes Conv and the pools read alike: strides, dilations, pads and auto_pad.
struct WindowAttributes: Sendable {
  let strides: [Int]?, dilations: [Int]?, pads: [Int]?
  let autoPad: AutoPad

  init(_ node: Node) throws {
    strides = try node.ints("strides")
    dilations = try node.ints("dilations")
    pads = try node.ints("pads")
    autoPad = try AutoPad(node)
  }

  /// Strides, dilations and padding, as (y, x), for an input of `height x width` under a `kernel` window
  /// (`spatial` 1: a 1-D input as height 1), auto_pad resolved.
  func resolve(spatial: Int, height h: Int, width w: Int, kernel: (h: Int, w: Int)) throws
    -> (stride: (Int, Int), dilation: (Int, Int), padding: Padding)
  {
    let (sy, sx) = try pair(strides, rank: spatial, default: 1, "strides")
    let (dy, dx) = try pair(dilations, rank: spatial, default: 1, "dilations")
    let explicit = try padding(pads, spatial: spatial)
    let (top, bottom) = autoPad.pads(input: h, kernel: kernel.h, stride: sy, dilation: dy, explicit: (explicit.top, explicit.bottom))
    let (left, right) = autoPad.pads(input: w, kernel: kernel.w, stride: sx, dilation: dx, explicit: (explicit.left, explicit.right))
    return ((sy, sx), (dy, dx), Padding(top: top, bottom: bottom, left: left, right: right))
  }
}

/// The element count of a shape inferred or read from a file, checked against overflow and the limit.
func checkedCount(_ shape: [Int], _ what: String = "output") throws -> Int {
  try elementCount(shape, limit: Int.max, what: what)
}
