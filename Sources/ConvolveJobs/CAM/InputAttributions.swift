import ConvolveCNN
import ConvolveCore
import Foundation

/// Attributions over the input's pixels that run the model many times: occlusion, integrated gradients and
/// SmoothGrad, as captum (github.com/pytorch/captum) defines them. `gradients(batch)` gives, for a batch of
/// inputs (B×C×H×W), the gradient of the explained class's score of each item with respect to it;
/// `scores(batch)` gives the output rows (B×classes).
extension ClassActivationMaps {
  /// Gauss–Legendre nodes moved to [0, 1] and their weights (summing to 1): captum's default `gausslegendre`
  /// (`numpy.polynomial.legendre.leggauss`), the roots of the Legendre polynomial P_n by Newton's method.
  public static func gaussLegendre(_ n: Int) -> (alphas: [Double], weights: [Double]) {
    var alphas = [Double](repeating: 0, count: n), weights = [Double](repeating: 0, count: n)
    for i in 0 ..< n {
      // Root n - i (ascending) from the usual first guess.
      var x = cos(Double.pi * (Double(n - i) - 0.25) / (Double(n) + 0.5))
      var derivative: Double = 1
      for _ in 0 ..< 100 {
        var (p0, p1) = (1.0, x)  // P_{k-1}, P_k
        if n >= 2 {
          for k in 2 ... n { (p0, p1) = (p1, ((2 * Double(k) - 1) * x * p1 - (Double(k) - 1) * p0) / Double(k)) }
        }
        derivative = Double(n) * (x * p1 - p0) / (x * x - 1)
        let step = p1 / derivative
        x -= step
        if abs(step) < 1e-16 { break }
      }
      alphas[i] = (x + 1) / 2
      weights[i] = 1 / ((1 - x * x) * derivative * derivative)  // 2 / ((1 - x²) P'²), halved for [0, 1]
    }
    return (alphas, weights)
  }

  /// Integrated gradients (Sundararajan et al. 2017; captum's `IntegratedGradients` with its default
  /// Gauss–Legendre rule and a baseline of zeros): `x ⊙ Σ_i w_i ∂S/∂x (α_i x)` over `steps` nodes, the
  /// scaled inputs run `batchSize` at a time. Returns the attribution, shaped as `input` (1×C×H×W).
  public static func integratedGradients(
    input: GraphTensor, steps: Int, batchSize: Int = 8, gradients: (GraphTensor) throws -> GraphTensor
  ) throws -> GraphTensor {
    let x = input.floats, n = x.count
    let (alphas, weights) = gaussLegendre(steps)
    var sum = [Double](repeating: 0, count: n)
    try inBatches(count: steps, batchSize: batchSize, item: input.shape.dropFirst(), gradients: gradients) { i, batch in
      let a = Float(alphas[i])
      for j in 0 ..< n { batch[j] = a * x[j] }
    } add: { i, g in
      let w = weights[i]
      for j in 0 ..< n { sum[j] += w * Double(g[j]) }
    }
    return GraphTensor(shape: input.shape, floats: (0 ..< n).map { Float(Double(x[$0]) * sum[$0]) })
  }

  /// SmoothGrad (Smilkov et al. 2017; captum's `NoiseTunnel` over `Saliency`, `smoothgrad`): the mean of
  /// `|∂S/∂x|` over `samples` copies of the input with Gaussian noise of standard deviation `sigma` added to
  /// every value (`CAMNoise(seed:)`, drawn sample by sample in the input's order). Shaped as `input`.
  public static func smoothGrad(
    input: GraphTensor, samples: Int, sigma: Double, seed: UInt64, batchSize: Int = 8,
    gradients: (GraphTensor) throws -> GraphTensor
  ) throws -> GraphTensor {
    let x = input.floats, n = x.count
    var noise = CAMNoise(seed: seed)
    var sum = [Double](repeating: 0, count: n)
    try inBatches(count: samples, batchSize: batchSize, item: input.shape.dropFirst(), gradients: gradients) { _, batch in
      for j in 0 ..< n { batch[j] = x[j] + Float(sigma * noise.gaussian()) }
    } add: { _, g in
      for j in 0 ..< n { sum[j] += Double(abs(g[j])) }
    }
    return GraphTensor(shape: input.shape, floats: sum.map { Float($0 / Double(samples)) })
  }

  /// Runs `count` inputs through `gradients`, `batchSize` at a time: `fill(i, item)` writes input i and
  /// `add(i, gradient)` reads its gradient, both in order of i.
  static func inBatches(
    count: Int, batchSize: Int, item: ArraySlice<Int>, gradients: (GraphTensor) throws -> GraphTensor,
    fill: (Int, inout [Float]) -> Void, add: (Int, [Float]) -> Void
  ) throws {
    let n = item.reduce(1, *)
    var start = 0
    var one = [Float](repeating: 0, count: n)
    while start < count {
      let b = min(batchSize, count - start)
      var values = [Float]()
      values.reserveCapacity(b * n)
      for k in 0 ..< b {
        fill(start + k, &one)
        values += one
      }
      let g = try gradients(GraphTensor(shape: [b] + item, floats: values))
      guard g.count == b * n else {
        throw ConvolveError.invalidArgument("the input gradient for \(b) inputs is \(shapeText(g.shape))")
      }
      let gv = g.floats
      for k in 0 ..< b { add(start + k, Array(gv[(k * n) ..< ((k + 1) * n)])) }
      start += b
    }
  }

  /// The windows of occlusion along a side of `length`: captum's `1 + ⌈(length − window) / stride⌉` starts,
  /// `stride` apart from 0; the last window is cut at the edge when the stride overshoots it.
  public static func windowStarts(length: Int, window: Int, stride: Int) -> [Int] {
    guard window <= length, stride >= 1 else { return [] }
    let span = length - window
    return (0 ... (span / stride + (span % stride == 0 ? 0 : 1))).map { $0 * stride }
  }

  /// Occlusion (Zeiler and Fergus 2014; captum's `Occlusion` with a window over every channel and a baseline
  /// of zeros): for each `window × window` square (`windowStarts` in both directions) the input with the
  /// square set to 0 is run (`batchSize` at a time), and each pixel's attribution is the mean, over the
  /// squares covering it, of `original − occluded` class score. `stride` is at most `window` (captum's
  /// rule), so every pixel is covered. Returns one H×W attribution per class of `classes`, before any ReLU.
  public static func occlusion(
    input: GraphTensor, window: Int, stride: Int, original: [Float], classes: [Int], batchSize: Int = 16,
    scores: (GraphTensor) throws -> GraphTensor
  ) throws -> [[Float]] {
    guard input.rank == 4, input.shape[0] == 1 else {
      throw ConvolveError.invalidArgument("occlusion needs a 1 x C x H x W input, got \(shapeText(input.shape))")
    }
    let (c, h, w) = (input.shape[1], input.shape[2], input.shape[3])
    guard stride >= 1, stride <= window else {
      throw ConvolveError.invalidArgument("--stride \(stride): use 1 to the window's side (\(window)), so that the windows cover every pixel")
    }
    let rows = windowStarts(length: h, window: window, stride: stride)
    let columns = windowStarts(length: w, window: window, stride: stride)
    guard !rows.isEmpty, !columns.isEmpty else {
      throw ConvolveError.invalidArgument("--window \(window) is larger than the model input (\(planeSizeText(height: h, width: w))); use at most \(min(h, w))")
    }
    let squares = rows.flatMap { y in columns.map { (y, $0) } }
    for cls in classes where cls >= original.count { throw ConvolveError.invalidArgument("occlusion: no class \(cls)") }
    let x = input.floats, plane = h * w
    var total = [[Double]](repeating: [Double](repeating: 0, count: plane), count: classes.count)
    var covered = [Int](repeating: 0, count: plane)
    var start = 0
    while start < squares.count {
      let b = min(batchSize, squares.count - start)
      var batch = [Float](repeating: 0, count: b * x.count)
      for k in 0 ..< b {
        batch.replaceSubrange((k * x.count) ..< ((k + 1) * x.count), with: x)
        let (y0, x0) = squares[start + k]
        for ch in 0 ..< c {
          for y in y0 ..< min(y0 + window, h) {
            let row = k * x.count + ch * plane + y * w
            for xx in x0 ..< min(x0 + window, w) { batch[row + xx] = 0 }
          }
        }
      }
      let out = try scores(GraphTensor(shape: [b, c, h, w], floats: batch))
      let classCount = out.count / b
      guard out.count == b * classCount, classCount == original.count else {
        throw ConvolveError.invalidArgument("occlusion: the output for \(b) inputs is \(shapeText(out.shape))")
      }
      let values = out.floats
      for k in 0 ..< b {
        let (y0, x0) = squares[start + k]
        for (i, cls) in classes.enumerated() {
          let drop = Double(original[cls]) - Double(values[k * classCount + cls])
          for y in y0 ..< min(y0 + window, h) {
            for xx in x0 ..< min(x0 + window, w) { total[i][y * w + xx] += drop }
          }
        }
        for y in y0 ..< min(y0 + window, h) {
          for xx in x0 ..< min(x0 + window, w) { covered[y * w + xx] += 1 }
        }
      }
      start += b
    }
    return total.map { sums in (0 ..< plane).map { Float(sums[$0] / Double(max(covered[$0], 1))) } }
  }

  /// `ReLU(Σ_c attribution_c)` over the input's channels (captum's `visualize_image_attr`, sign `positive`).
  public static func positiveChannelSum(_ attribution: GraphTensor) throws -> CAMMap {
    let (c, h, w) = try layerShape(attribution)
    let v = attribution.floats, n = h * w
    var sum = [Double](repeating: 0, count: n)
    for k in 0 ..< c {
      for p in 0 ..< n { sum[p] += Double(v[k * n + p]) }
    }
    return rectified(sum, height: h, width: w)
  }
}

/// Gaussian noise that is the same on every machine: SplitMix64 and the Box–Muller transform (two values per
/// pair of draws, the cosine one first).
public struct CAMNoise: Sendable {
  private var state: UInt64
  private var spare: Double?

  public init(seed: UInt64) { state = seed }

  /// The next value of a standard normal distribution.
  public mutating func gaussian() -> Double {
    if let s = spare {
      spare = nil
      return s
    }
    // u1 in (0, 1], u2 in [0, 1).
    let u1 = (Double(next() >> 11) + 1) / 9_007_199_254_740_992
    let u2 = Double(next() >> 11) / 9_007_199_254_740_992
    let r = (-2 * log(u1)).squareRoot()
    spare = r * sin(2 * Double.pi * u2)
    return r * cos(2 * Double.pi * u2)
  }

  private mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
