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

/// What a kernel planned at load time needs (Conv, ConvTranspose): a Float32 image input and constant Float32
/// weights and bias (`bias` empty, `biasShape` nil when there is none); nil when any of them is missing or not so.
func plannableWeights(_ inputs: [KnownValue?]) -> (
  x: [Int], dims: (n: Int, c: Int, h: Int, w: Int), w: GraphTensor, bias: [Float], biasShape: [Int]?
)? {
  guard let x = inputs.first ?? nil, x.type.elementType == .float32, inputs.count > 1, let w = inputs[1]?.constant,
    w.elementType == .float32, let dims = try? spatialDims(x.shape)
  else { return nil }
  guard inputs.count > 2, let b = inputs[2] else { return (x.shape, dims, w, [], nil) }
  guard let bias = b.constant, bias.elementType == .float32 else { return nil }
  return (x.shape, dims, w, bias.floats, b.shape)
}

/// A kernel planned for one image shape at load time (`ConvKernelPlan`, `ConvTransposeKernelPlan`): `run` maps one
/// image `channels × height × width` to `outputCount` floats.
protocol PlannedImageKernel {
  var channels: Int { get }
  var height: Int { get }
  var width: Int { get }
  var outputCount: Int { get }
  func run(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>)
  /// The same kernel with element-wise steps applied to its output as it is written.
  func fusing(_ more: [ElementwiseStage]) -> Self
}

/// An operator that runs a kernel planned at load time when it has one (Conv, ConvTranspose); the element-wise
/// steps after it fuse into that kernel.
protocol PlannedKernelOperator: GraphOperator {
  associatedtype Kernel: PlannedImageKernel
  var kernel: Kernel? { get set }
}

extension PlannedKernelOperator {
  /// This operator running `plan`.
  func with(_ plan: Kernel) -> any GraphOperator {
    var copy = self
    copy.kernel = plan
    return copy
  }

  func fusing(_ stages: [ElementwiseStage]) -> (any GraphOperator)? { kernel.map { with($0.fusing(stages)) } }
}

extension PlannedImageKernel {
  /// Every image of the batch `x` (NCHW, or NCW as height 1) run in turn; an error when `x` is not the shape the
  /// kernel was planned for, or when the caller's own check `fits` fails.
  func runBatch(_ x: GraphTensor, fits: Bool = true) throws -> (n: Int, out: [Float]) {
    let (n, c, h, w) = try spatialDims(x.shape)
    guard fits, c == channels, h == height, w == width else {
      throw ConvolveError.shapeMismatch("input \(shapeText(x.shape)) is not the shape the layer was planned for")
    }
    let data = try requireFloat(x, "X")
    let per = c * h * w, outPer = outputCount
    var out = uninitializedFloats(n * outPer)
    data.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for i in 0 ..< n { run(src.baseAddress! + i * per, dst.baseAddress! + i * outPer) }
      }
    }
    return (n, out)
  }
}

/// Input `i` with its Float32 values changed in place: `body(start, count)` over disjoint runs of at least
/// `minimumPerChunk` values, run in parallel.
func transformedInPlace(
  _ inputs: inout OperatorInputs, _ i: Int, _ what: String, minimumPerChunk: Int,
  _ body: @escaping @Sendable (UnsafeMutablePointer<Float>, Int) -> Void
) throws -> [GraphTensor] {
  var x = try inputs.take(i, what)
  let shape = x.shape
  var v = x.takeFloats()
  v.withUnsafeMutableBufferPointer { buffer in
    guard let base = buffer.baseAddress else { return }
    let shared = Shared(base)
    parallelRanges(buffer.count, minimumPerChunk: minimumPerChunk) { range in
      body(shared.value + range.lowerBound, range.count)
    }
  }
  return [GraphTensor(shape: shape, floats: v)]
}

/// Moves the multi-index `index` one step in row-major order over the first `axes` axes of `shape` (all when nil),
/// back to zeros after the last position.
@inline(__always)
func stepIndex(_ index: inout [Int], over shape: [Int], axes: Int? = nil) {
  var d = (axes ?? shape.count) - 1
  while d >= 0 {
    index[d] += 1
    if index[d] < shape[d] { return }
    index[d] = 0
    d -= 1
  }
}
