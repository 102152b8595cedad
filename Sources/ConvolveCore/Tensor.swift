import Foundation

/// A planar Float32 stack of 2-D maps, laid out `channels × height × width`, each map row-major.
///
/// Images load with values in [0, 1] whatever their bit depth; operations keep Float32 throughout
/// and never clip. Mapping to 8 or 16 bits happens only when an image is written.
public struct Tensor: Equatable, Sendable {
  public var channels: Int
  public var height: Int
  public var width: Int
  public var data: [Float]

  public init(channels: Int, height: Int, width: Int, repeating value: Float = 0) {
    let count = Tensor.elementCount(channels, height, width)
    self.channels = channels
    self.height = height
    self.width = width
    self.data = [Float](repeating: value, count: count)
  }

  /// `channels × height × width` through `CheckedSize`, for the initialisers that cannot throw: a negative or
  /// overflowing size stops the program with the size named (even under `-Ounchecked`), never wraps around.
  /// Callers that take sizes from parameters or files check them first (`checkedUninitialized`).
  static func elementCount(_ channels: Int, _ height: Int, _ width: Int) -> Int {
    guard let count = CheckedSize.product([channels, height, width]) else {
      fatalError("tensor size \(channels) x \(height) x \(width) is negative or overflows")
    }
    return count
  }

  public init(channels: Int, height: Int, width: Int, data: [Float]) {
    precondition(CheckedSize.product([channels, height, width]) == data.count, "tensor data does not match its shape")
    self.channels = channels
    self.height = height
    self.width = width
    self.data = data
  }

  /// A one-channel tensor from a matrix written as rows; all rows must have the same length.
  public init(rows: [[Float]]) {
    let width = rows.first?.count ?? 0
    precondition(rows.allSatisfy { $0.count == width }, "ragged rows")
    self.init(channels: 1, height: rows.count, width: width, data: rows.flatMap { $0 })
  }

  /// A tensor whose channels are the given one-channel matrices.
  public init(planes: [[[Float]]]) {
    let maps = planes.map { Tensor(rows: $0) }
    let first = maps.first ?? Tensor(channels: 0, height: 0, width: 0)
    precondition(maps.allSatisfy { $0.height == first.height && $0.width == first.width }, "planes differ in size")
    self.init(channels: maps.count, height: first.height, width: first.width, data: maps.flatMap { $0.data })
  }

  public var planeSize: Int { height * width }
  public var count: Int { data.count }

  public subscript(c: Int, y: Int, x: Int) -> Float {
    get { data[(c * height + y) * width + x] }
    set { data[(c * height + y) * width + x] = newValue }
  }

  /// Channel `c` as a one-channel tensor.
  public func plane(_ c: Int) -> Tensor {
    Tensor(channels: 1, height: height, width: width, data: Array(data[c * planeSize ..< (c + 1) * planeSize]))
  }

  /// The first `n` channels.
  public func firstChannels(_ n: Int) -> Tensor {
    Tensor(channels: n, height: height, width: width, data: Array(data[0 ..< n * planeSize]))
  }

  /// Channel `c` as rows, for printing and tests.
  public func rows(channel c: Int = 0) -> [[Float]] {
    (0 ..< height).map { y in Array(data[(c * height + y) * width ..< (c * height + y + 1) * width]) }
  }

  public var minimum: Float { data.min() ?? 0 }
  public var maximum: Float { data.max() ?? 0 }

  /// An uninitialized tensor for an output that every path writes in full. Large buffers ask for
  /// transparent huge pages: first touching a fresh 144 MB output in 4 KB pages cost about a third
  /// of a 3x3 filter's time on a 4000x3000 RGB image.
  public static func uninitialized(channels: Int, height: Int, width: Int) -> Tensor {
    let count = elementCount(channels, height, width)
    let data = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      #if os(Linux)
        let huge: UInt = 2 << 20
        if count * 4 >= 4 * Int(huge), let base = buffer.baseAddress {
          let start = (UInt(bitPattern: base) + huge - 1) & ~(huge - 1)
          let end = UInt(bitPattern: base + count) & ~(huge - 1)
          if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), Int(end - start), MADV_HUGEPAGE) }
        }
      #endif
      initialized = count
    }
    return Tensor(channels: channels, height: height, width: width, data: data)
  }

  /// Gives the tensor the shape `channels × height × width` over its own storage when that is held by this
  /// tensor alone and large enough (else over fresh storage, as `uninitialized`): a buffer reused strip after
  /// strip touches no fresh memory. The values are unspecified; callers write every sample.
  public mutating func reshapeReusingStorage(channels: Int, height: Int, width: Int) {
    let count = Tensor.elementCount(channels, height, width)
    if count > data.capacity {
      self = .uninitialized(channels: channels, height: height, width: width)
      return
    }
    if count < data.count {
      data.removeLast(data.count - count)
    } else if count > data.count {
      data.append(contentsOf: repeatElement(0, count: count - data.count))
    }
    (self.channels, self.height, self.width) = (channels, height, width)
  }

  /// `uninitialized`, after checking the size with `CheckedSize.count` (overflow, `limit` elements): the
  /// allocation every output sized from parameters goes through. `what` names it in the error.
  public static func checkedUninitialized(
    channels: Int, height: Int, width: Int, limit: Int = CheckedSize.maxElements, what: String = "output"
  ) throws -> Tensor {
    _ = try CheckedSize.count([channels, height, width], limit: limit, what: what)
    return uninitialized(channels: channels, height: height, width: width)
  }
}
