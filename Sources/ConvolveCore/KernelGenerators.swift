import Foundation

extension Kernel {
  /// The largest radius a generator accepts, so a typo such as `sigma 1000` fails fast instead of
  /// allocating a huge kernel.
  public static let maximumGeneratedRadius = 512

  /// A `(2r+1) x (2r+1)` Gaussian: `exp(-(y² + x²) / 2σ²)` sampled at integer offsets, normalised to sum 1.
  ///
  /// The radius defaults to `ceil(3σ)`. The kernel is the outer product of the normalised 1-D
  /// Gaussian with itself, so it is separable.
  public static func gaussian(sigma: Float, radius: Int? = nil) throws -> Kernel {
    guard sigma.isFinite && sigma > 0 else {
      throw ConvolveError.invalidArgument("gaussian sigma is \(sigma); it must be a finite number greater than 0")
    }
    let r: Int
    if let radius {
      r = try checkedRadius(Double(radius), name: "gaussian")
    } else {
      let automatic = (3 * Double(sigma)).rounded(.up)
      guard automatic <= Double(maximumGeneratedRadius) else {
        throw ConvolveError.invalidArgument(
          "gaussian sigma \(sigma) needs radius \(String(format: "%.0f", automatic)) (3σ rounded up); "
            + "the largest radius is \(maximumGeneratedRadius)")
      }
      r = Int(automatic)
    }
    let line = gaussianLine(sigma: Double(sigma), radius: r)
    let size = 2 * r + 1
    return Kernel(height: size, width: size, weights: line.flatMap { a in line.map { Float(a * $0) } })
  }

  /// The normalised 1-D Gaussian `exp(-x² / 2σ²)`, `x = -r ... r`, in double precision.
  public static func gaussianLine(sigma: Double, radius r: Int) -> [Double] {
    let values = (-r ... r).map { x -> Double in exp(-Double(x * x) / (2 * sigma * sigma)) }
    let total = values.reduce(0, +)
    return values.map { $0 / total }
  }

  /// A `size x size` mean filter: every weight `1 / size²`.
  public static func box(size: Int) throws -> Kernel {
    try box(height: size, width: size)
  }

  /// A `height x width` mean filter: every weight `1 / (height · width)`.
  public static func box(height: Int, width: Int) throws -> Kernel {
    let largest = 2 * maximumGeneratedRadius + 1
    for (name, value) in [("height", height), ("width", width)] where value < 1 || value > largest {
      throw ConvolveError.invalidArgument("box \(name) is \(value); it must be between 1 and \(largest)")
    }
    let n = height * width
    return Kernel(height: height, width: width, weights: [Float](repeating: 1 / Float(n), count: n))
  }

  /// A `size x size` kernel with 1 at the centre and 0 elsewhere; `size` must be odd so the centre is
  /// the same for convolution and correlation.
  public static func identity(size: Int = 1) throws -> Kernel {
    guard size >= 1 && size % 2 == 1 && size <= 2 * maximumGeneratedRadius + 1 else {
      throw ConvolveError.invalidArgument(
        "identity size is \(size); it must be odd and between 1 and \(2 * maximumGeneratedRadius + 1)")
    }
    var weights = [Float](repeating: 0, count: size * size)
    weights[size * size / 2] = 1
    return Kernel(height: size, width: size, weights: weights)
  }

  /// Unsharp masking as one kernel: `identity + amount · (identity − gaussian(sigma, radius))`.
  ///
  /// The weights sum to 1, so flat regions are unchanged; `amount` 0 is the identity.
  public static func unsharp(sigma: Float, amount: Float = 1, radius: Int? = nil) throws -> Kernel {
    guard amount.isFinite && amount >= 0 else {
      throw ConvolveError.invalidArgument("unsharp amount is \(amount); it must be a finite number of at least 0")
    }
    let blur = try gaussian(sigma: sigma, radius: radius)
    let centre = blur.weights.count / 2
    var weights = blur.weights.map { -amount * $0 }
    weights[centre] += 1 + amount
    return Kernel(height: blur.height, width: blur.width, weights: weights)
  }

  private static func checkedRadius(_ r: Double, name: String) throws -> Int {
    guard r >= 0 && r <= Double(maximumGeneratedRadius) else {
      throw ConvolveError.invalidArgument(
        "\(name) radius is \(Int(exactly: r).map(String.init) ?? String(r)); "
          + "it must be between 0 and \(maximumGeneratedRadius)")
    }
    return Int(r)
  }
}
