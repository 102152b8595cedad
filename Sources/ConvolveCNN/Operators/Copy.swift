import ConvolveCore

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
      var index = [Int](repeating: 0, count: rank)
      var o = offset
      var written = 0
      let base = out.baseAddress!
      while written < count {
        let row = base + written
        if inner == 1 {
          row.initialize(from: s.baseAddress! + o, count: n)
        } else {
          for i in 0 ..< n { (row + i).initialize(to: s[o + i * inner]) }
        }
        written += n
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
