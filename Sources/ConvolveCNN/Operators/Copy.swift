import ConvolveCore

/// Calls `row(o, k)` for the `k`-th innermost row of `shape` in row-major order (its elements at flat positions
/// `k·n ..< (k+1)·n`, `n` the last dimension), `o` the offset of its first element `offset + Σ index[d]·strides[d]`.
/// `shape` has at least one dimension and no zero.
@inline(__always)
func forEachStridedRow(offset: Int, shape: [Int], strides: [Int], _ row: (Int, Int) -> Void) {
  let rank = shape.count, rows = shape.dropLast().reduce(1, *)
  var index = [Int](repeating: 0, count: rank)
  var o = offset
  for k in 0 ..< rows {
    row(o, k)
    var d = rank - 2
    while d >= 0 {
      index[d] += 1
      o += strides[d]
      if index[d] < shape[d] { break }
      o -= strides[d] * shape[d]
      index[d] = 0
      d -= 1
    }
  }
}

/// Copies `src[offset + Σ index[d]·strides[d]]` for every index of `shape`, in row-major output order.
/// Strides may be zero or negative (Slice with negative steps, Transpose's permuted strides).
func stridedCopy<T>(_ src: [T], offset: Int, shape: [Int], strides: [Int]) -> [T] {
  let count = shape.reduce(1, *)
  guard count > 0 else { return [] }
  if shape.isEmpty { return [src[offset]] }
  let rank = shape.count
  let n = shape[rank - 1], inner = strides[rank - 1]
  return [T](unsafeUninitializedCapacity: count) { out, initialized in
    src.withUnsafeBufferPointer { s in
      let base = out.baseAddress!
      forEachStridedRow(offset: offset, shape: shape, strides: strides) { o, k in
        let row = base + k * n
        if inner == 1 {
          row.initialize(from: s.baseAddress! + o, count: n)
        } else {
          for i in 0 ..< n { (row + i).initialize(to: s[o + i * inner]) }
        }
      }
    }
    initialized = count
  }
}

extension GraphTensor {
  /// A tensor of the same element type built from this one's values by `body` (applied to either storage).
  func mapped(shape: [Int], _ floats: ([Float]) -> [Float], _ ints: ([Int64]) -> [Int64]) -> GraphTensor {
    switch storage {
    case .float(let v): return GraphTensor(shape: shape, floats: floats(v))
    case .int64(let v): return GraphTensor(shape: shape, int64s: ints(v))
    }
  }

  /// The strided copy of this tensor's values (see `stridedCopy`).
  func strided(offset: Int, shape: [Int], strides: [Int]) -> GraphTensor {
    mapped(
      shape: shape, { stridedCopy($0, offset: offset, shape: shape, strides: strides) },
      { stridedCopy($0, offset: offset, shape: shape, strides: strides) })
  }
}
