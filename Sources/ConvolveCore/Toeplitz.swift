/// A dense row-major matrix, for the matrix form of convolution.
public struct Matrix: Equatable, Sendable {
  public let rows: Int
  public let columns: Int
  public var data: [Float]

  public init(rows: Int, columns: Int, data: [Float]? = nil) {
    self.rows = rows
    self.columns = columns
    self.data = data ?? [Float](repeating: 0, count: rows * columns)
  }

  public subscript(r: Int, c: Int) -> Float {
    get { data[r * columns + c] }
    set { data[r * columns + c] = newValue }
  }

  /// `self × v`.
  public func multiplied(by v: [Float]) -> [Float] {
    precondition(v.count == columns, "vector length \(v.count) does not match \(columns) columns")
    return (0 ..< rows).map { r in (0 ..< columns).reduce(Float(0)) { $0 + self[r, $1] * v[$1] } }
  }
}

/// The doubly block-Toeplitz matrix `A` with `vec(h * x) = A · vec(x)` for full 2-D convolution of an
/// `inputHeight x inputWidth` input `x` with `kernel` (vectors row-major).
///
/// Block `(i, j)` is `H[i - j]`, the Toeplitz matrix built from kernel row `i - j` (zero outside the
/// kernel), exactly as the lecture builds `A = [H0 0; H1 H0; 0 H1]` from the rows of `x1`.
public func convolutionMatrix(kernel: Kernel, inputHeight: Int, inputWidth: Int) -> Matrix {
  let outH = inputHeight + kernel.height - 1, outW = inputWidth + kernel.width - 1
  var a = Matrix(rows: outH * outW, columns: inputHeight * inputWidth)
  for oy in 0 ..< outH {
    for ox in 0 ..< outW {
      for iy in 0 ..< inputHeight where oy - iy >= 0 && oy - iy < kernel.height {
        for ix in 0 ..< inputWidth where ox - ix >= 0 && ox - ix < kernel.width {
          a[oy * outW + ox, iy * inputWidth + ix] = kernel[oy - iy, ox - ix]
        }
      }
    }
  }
  return a
}
