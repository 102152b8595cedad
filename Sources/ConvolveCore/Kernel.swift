/// A 2-D weight mask, row-major. The anchor is the centre, `(height/2, width/2)` rounded down
/// for the flipped (convolution) orientation and matching `scipy.signal`'s `same` mode.
public struct Kernel: Equatable, Sendable {
  public let height: Int
  public let width: Int
  public var weights: [Float]

  /// Validates the rows: at least one row, all of one non-zero length, all values finite.
  public init(rows: [[Float]]) throws {
    guard let width = rows.first?.count, width > 0 else {
      throw ConvolveError.invalidArgument("kernel is empty")
    }
    for (i, row) in rows.enumerated() where row.count != width {
      throw ConvolveError.invalidArgument("kernel row \(i + 1) has \(row.count) values, row 1 has \(width)")
    }
    for (i, row) in rows.enumerated() {
      if let j = row.firstIndex(where: { !$0.isFinite }) {
        throw ConvolveError.invalidArgument("kernel value at row \(i + 1), column \(j + 1) is \(row[j]), not a finite number")
      }
    }
    self.init(height: rows.count, width: width, weights: rows.flatMap { $0 })
  }

  public init(height: Int, width: Int, weights: [Float]) {
    precondition(height > 0 && width > 0 && weights.count == height * width, "kernel shape does not match its weights")
    self.height = height
    self.width = width
    self.weights = weights
  }

  public subscript(y: Int, x: Int) -> Float { weights[y * width + x] }

  public var rows: [[Float]] { (0 ..< height).map { Array(weights[$0 * width ..< ($0 + 1) * width]) } }

  /// The kernel rotated by 180°: `h[-m, -n]`, the lecture's "folded" kernel.
  public var flipped: Kernel { Kernel(height: height, width: width, weights: weights.reversed()) }

  public var sum: Float { weights.reduce(0, +) }

  public func scaled(by factor: Float) -> Kernel {
    Kernel(height: height, width: width, weights: weights.map { $0 * factor })
  }

  /// Divides by the sum so the weights add up to 1; zero-sum kernels are returned unchanged.
  public var normalized: Kernel {
    let s = sum
    return s == 0 ? self : scaled(by: 1 / s)
  }

  /// A column and a row kernel whose outer product is this kernel (to a relative 1e-6), so that it
  /// can run as two 1-D passes; nil when the kernel is not rank 1.
  public var separableFactors: (column: Kernel, row: Kernel)? {
    guard let pivot = weights.indices.max(by: { abs(weights[$0]) < abs(weights[$1]) }), weights[pivot] != 0 else {
      return nil
    }
    let (pi, pj) = (pivot / width, pivot % width)
    let column = (0 ..< height).map { self[$0, pj] }
    let row = (0 ..< width).map { self[pi, $0] / self[pi, pj] }
    let tolerance = abs(weights[pivot]) * 1e-6
    for i in 0 ..< height {
      for j in 0 ..< width where abs(self[i, j] - column[i] * row[j]) > tolerance { return nil }
    }
    return (Kernel(height: height, width: 1, weights: column), Kernel(height: 1, width: width, weights: row))
  }
}
