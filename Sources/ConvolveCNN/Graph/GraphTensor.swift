import ConvolveCore

/// The element types a graph value can hold. Every floating-point ONNX type is held as Float32 and every
/// integer or boolean type as Int64 (shape arithmetic, indices and masks).
public enum ElementType: String, Equatable, Sendable, CustomStringConvertible {
  case float32 = "float32"
  case int64 = "int64"

  public var description: String { rawValue }
}

/// Limits on what a graph may allocate: a tensor with more elements than `maxElements` is an error
/// when shapes are inferred, before anything is allocated.
public struct GraphLimits: Equatable, Sendable {
  public var maxElements: Int

  public init(maxElements: Int = CheckedSize.maxElements) { self.maxElements = maxElements }

  public static let `default` = GraphLimits()
}

/// The number of elements of a shape, or an error when a dimension is negative, the product overflows
/// or exceeds `limit`. Every allocation size read from a file goes through here. Zero dimensions count as
/// 1 in the checks, so that no product of some of the dimensions of an accepted shape can overflow
/// (an empty `[0, 2^40, 2^40]` is refused, not passed on to code that multiplies its last two).
public func elementCount(_ shape: [Int], limit: Int = GraphLimits.default.maxElements, what: @autoclosure () -> String = "tensor")
  throws -> Int
{
  var count = 1, bound = 1
  for d in shape {
    guard d >= 0 else { throw ConvolveError.invalidArgument("\(what()) shape \(shape) has a negative dimension") }
    let (p, overflow) = bound.multipliedReportingOverflow(by: max(d, 1))
    guard !overflow else { throw ConvolveError.tooLarge("\(what()) shape \(shape) is too large (the element count overflows)") }
    bound = p
    count *= d
  }
  guard bound <= limit else {
    throw ConvolveError.tooLarge("\(what()) shape \(shape) has \(bound) elements, more than the limit of \(limit)")
  }
  return count
}

/// An n-dimensional tensor, row-major (C order), of Float32 or Int64 values.
///
/// Moving the Float32 array to a `ConvolveCore.Tensor` and back costs no copy when the array is uniquely
/// referenced: `tensor(...)` shares the buffer and `init(_:shape:)` takes it.
public struct GraphTensor: Equatable, Sendable, CustomStringConvertible {
  public enum Storage: Equatable, Sendable {
    case float([Float])
    case int64([Int64])
  }

  public private(set) var shape: [Int]
  public var storage: Storage

  public init(shape: [Int], floats: [Float]) {
    precondition(checkedProduct(shape) == floats.count, "tensor data does not match its shape \(shape)")
    self.shape = shape
    storage = .float(floats)
  }

  public init(shape: [Int], int64s: [Int64]) {
    precondition(checkedProduct(shape) == int64s.count, "tensor data does not match its shape \(shape)")
    self.shape = shape
    storage = .int64(int64s)
  }

  /// A Float32 tensor of the given shape filled with `value`.
  public init(shape: [Int], repeating value: Float) {
    self.init(shape: shape, floats: [Float](repeating: value, count: shape.reduce(1, *)))
  }

  /// A `Tensor`'s values under a shape with the same element count (no copy).
  public init(_ tensor: Tensor, shape: [Int]) {
    self.init(shape: shape, floats: tensor.data)
  }

  /// A rank-0 Float32 tensor.
  public init(scalar: Float) { self.init(shape: [], floats: [scalar]) }

  /// A rank-1 Int64 tensor.
  public init(int64s: [Int64]) { self.init(shape: [int64s.count], int64s: int64s) }

  public var elementType: ElementType {
    switch storage {
    case .float: return .float32
    case .int64: return .int64
    }
  }

  public var rank: Int { shape.count }
  public var count: Int {
    switch storage {
    case .float(let v): return v.count
    case .int64(let v): return v.count
    }
  }

  /// The Float32 values; Int64 values are converted.
  public var floats: [Float] {
    switch storage {
    case .float(let v): return v
    case .int64(let v): return v.map { Float($0) }
    }
  }

  /// The Int64 values; Float32 values are truncated toward zero (NaN and out-of-range values become 0).
  public var int64s: [Int64] {
    switch storage {
    case .int64(let v): return v
    case .float(let v): return v.map { $0.isFinite && abs($0) < 9.2e18 ? Int64($0) : 0 }
    }
  }

  /// The values as `Int`s, for shape arithmetic.
  public var ints: [Int] {
    int64s.map { Int(truncatingIfNeeded: $0) }
  }

  /// Moves the Float32 values out (converting Int64), leaving this tensor empty; the returned array is
  /// uniquely referenced if this tensor's was.
  public mutating func takeFloats() -> [Float] {
    switch storage {
    case .float(let v):
      storage = .float([])
      shape = [0]
      return v
    case .int64(let v): return v.map { Float($0) }
    }
  }

  /// The same values under another shape with the same element count.
  public func reshaped(_ newShape: [Int]) -> GraphTensor {
    precondition(checkedProduct(newShape) == count, "cannot reshape \(shape) to \(newShape)")
    var copy = self
    copy.shape = newShape
    return copy
  }

  /// Replaces the shape in place (same element count).
  public mutating func reshape(_ newShape: [Int]) {
    precondition(checkedProduct(newShape) == count, "cannot reshape \(shape) to \(newShape)")
    shape = newShape
  }

  /// The values as a `Tensor` `channels × height × width`, sharing the buffer. Rank 4 needs batch 1 (N C H W);
  /// rank 3 is C H W; rank 2 is one H × W channel; rank 1 is one row.
  public func tensor() throws -> Tensor {
    let s = shape
    switch s.count {
    case 4 where s[0] == 1: return Tensor(channels: s[1], height: s[2], width: s[3], data: floats)
    case 3: return Tensor(channels: s[0], height: s[1], width: s[2], data: floats)
    case 2: return Tensor(channels: 1, height: s[0], width: s[1], data: floats)
    case 1: return Tensor(channels: 1, height: 1, width: s[0], data: floats)
    default: throw ConvolveError.shapeMismatch("a tensor of shape \(s) is not one image (C x H x W or 1 x C x H x W)")
    }
  }

  public var description: String {
    "\(elementType)\(shape)"
  }
}

/// `[2, 3, 4]` as `2x3x4`; a scalar as `scalar`; a dimension known only at run time (-1) as `?`.
public func shapeText(_ shape: [Int]) -> String {
  shape.isEmpty ? "scalar" : shape.map { $0 < 0 ? "?" : String($0) }.joined(separator: "x")
}

/// Row-major strides of a shape.
@inline(__always)
func stridesOf(_ shape: [Int]) -> [Int] {
  var strides = [Int](repeating: 1, count: shape.count)
  var s = 1
  for i in stride(from: shape.count - 1, through: 0, by: -1) {
    strides[i] = s
    s *= shape[i]
  }
  return strides
}

/// An axis given as `-rank ..< rank`, as a non-negative index, or an error naming it.
func normalizedAxis(_ axis: Int, rank: Int, what: String = "axis") throws -> Int {
  let a = axis < 0 ? axis + rank : axis
  guard a >= 0 && a < rank else {
    throw ConvolveError.invalidArgument("\(what) \(axis) is outside the \(rank) dimensions of the input")
  }
  return a
}

/// The product of the dimensions, or nil when one is negative or the product overflows.
@inline(__always)
func checkedProduct(_ shape: [Int]) -> Int? { CheckedSize.product(shape) }
