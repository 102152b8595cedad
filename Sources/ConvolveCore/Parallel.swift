import Dispatch
import Foundation

/// Runs `body(i)` for `i` in `0..<count` across the machine's cores; serial when `count` is 1.
@inline(__always)
public func parallelFor(_ count: Int, _ body: @Sendable (Int) -> Void) {
  if count <= 1 {
    for i in 0 ..< count { body(i) }
  } else {
    DispatchQueue.concurrentPerform(iterations: count, execute: body)
  }
}

/// Splits `0..<total` into about `chunks` contiguous ranges and runs them in parallel.
public func parallelRanges(_ total: Int, minimumPerChunk: Int = 1, _ body: @Sendable (Range<Int>) -> Void) {
  let cores = ProcessInfo.processInfo.activeProcessorCount
  let chunks = max(1, min(cores * 4, total / max(1, minimumPerChunk)))
  parallelFor(chunks) { i in
    let lo = total * i / chunks, hi = total * (i + 1) / chunks
    if lo < hi { body(lo ..< hi) }
  }
}

/// `parallelRanges` over `0..<total` with the storage of `source` and `destination`: `body(src, dst, range)`; every
/// task reads `source` and writes only the part of `destination` that its range owns.
public func parallelRanges(
  _ total: Int, minimumPerChunk: Int = 1, reading source: [Float], writing destination: inout [Float],
  _ body: @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Range<Int>) -> Void
) {
  source.withUnsafeBufferPointer { src in
    destination.withUnsafeMutableBufferPointer { dst in
      guard let s = src.baseAddress, let d = dst.baseAddress else { return }
      let shared = Shared((s, d))
      parallelRanges(total, minimumPerChunk: minimumPerChunk) { range in body(shared.value.0, shared.value.1, range) }
    }
  }
}

/// A value handed to concurrent code that the compiler cannot prove safe to share, with a promise it cannot check:
/// for the tasks of `parallelFor` and `parallelRanges`, pointers to memory that every task may read and each
/// writes only in its own part, disjoint from every other task's; otherwise an object that one thread at a time
/// uses, which the call site says.
public struct Shared<Value>: @unchecked Sendable {
  public let value: Value
  @inline(__always) public init(_ value: Value) { self.value = value }
}
