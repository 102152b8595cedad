import ConvolveCNN
import ConvolveCore
import Foundation

/// A class-activation-map method of `convolve model cam`. Each follows pytorch-grad-cam
/// (github.com/jacobgil/pytorch-grad-cam, `pytorch_grad_cam/*.py`): a map over the target layer's H×W,
/// ReLU'd as its `BaseCAM` does, before any normalising or resizing.
public enum CAMMethod: String, CaseIterable, Sendable {
  case gradcam, gradcamPlusPlus = "gradcam++", xgradcam, hirescam, layercam, eigencam, scorecam, ablationcam, saliency
  case occlusion, integratedGradients = "integrated-gradients", smoothgrad

  /// Whether the method reads the gradient of the class score at the target layer (or, for `saliency`, at the
  /// input) from the one reverse pass per class.
  public var needsGradient: Bool { [.gradcam, .gradcamPlusPlus, .xgradcam, .hirescam, .layercam, .saliency].contains(self) }
  /// Whether the map is over the input's pixels rather than the target layer's positions.
  public var atInput: Bool { [.saliency, .occlusion, .integratedGradients, .smoothgrad].contains(self) }
  /// Whether the method needs the target layer (its activation, or its gradient).
  public var needsLayer: Bool { !atInput }
  /// Whether the map depends on the explained class (EigenCAM's does not).
  public var dependsOnClass: Bool { self != .eigencam }

  /// One line for the help: what the map is and where its definition comes from.
  public var summary: String {
    switch self {
    case .gradcam: return "Grad-CAM (Selvaraju et al. 2017; grad_cam.py): ReLU(sum_k w_k A_k), w_k = mean over H,W of dS/dA_k"
    case .gradcamPlusPlus:
      return "Grad-CAM++ (Chattopadhyay et al. 2018; grad_cam_plusplus.py): w_k = sum_ij ReLU(g) a_ij, a = g^2/(2g^2 + sum(A_k) g^3 + 1e-6)"
    case .xgradcam: return "XGrad-CAM (Fu et al. 2020; xgrad_cam.py): w_k = sum_ij g A_k / (sum_ij A_k + 1e-7)"
    case .hirescam: return "HiResCAM (Draelos and Carin 2020; hirescam.py): ReLU(sum_k g_k * A_k), element-wise"
    case .layercam: return "LayerCAM (Jiang et al. 2021; layer_cam.py): ReLU(sum_k ReLU(g_k) * A_k)"
    case .eigencam:
      return "EigenCAM (Muhammad and Yeasin 2020; eigen_cam.py, get_2d_projection): the centred activations projected on their first principal component, ReLU'd; class-independent, up to sign"
    case .scorecam:
      return "Score-CAM (Wang et al. 2020; score_cam.py): ReLU(sum_k w_k A_k), w = softmax over k of the class score of the input masked by upsampled, min-max A_k"
    case .ablationcam:
      return "Ablation-CAM (Ramaswamy and Desai 2020; ablation_cam.py): ReLU(sum_k w_k A_k), w_k = (y - y_k)/y, y_k the class score with channel k zeroed"
    case .saliency: return "Saliency (Simonyan et al. 2014): max over channels of |dS/dinput|, at the input's resolution"
    case .occlusion:
      return "Occlusion (Zeiler and Fergus 2014; captum's Occlusion): the drop of the class score when a window of the input is set to 0, averaged over the windows covering each pixel, ReLU'd"
    case .integratedGradients:
      return "Integrated gradients (Sundararajan et al. 2017; captum's IntegratedGradients, Gauss-Legendre): (x - 0) * integral of dS/dx along the line from 0 to x, summed over channels, ReLU'd"
    case .smoothgrad:
      return "SmoothGrad (Smilkov et al. 2017; captum's NoiseTunnel over Saliency): max over channels of the mean |dS/dx| over inputs with Gaussian noise"
    }
  }
}

/// One map: `height × width` values, row-major.
public struct CAMMap: Equatable, Sendable {
  public var height: Int, width: Int
  public var values: [Float]
  public init(height: Int, width: Int, values: [Float]) { (self.height, self.width, self.values) = (height, width, values) }
}

/// The class activation maps of `A` (the target layer's activation, 1×C×H×W) and `G` (the gradient of the
/// class score S with respect to it), one function per method as pytorch-grad-cam defines it.
public enum ClassActivationMaps {
  /// `(C, H, W)` of a 1×C×H×W activation, or an error saying what the layer is instead.
  public static func layerShape(_ a: GraphTensor) throws -> (c: Int, h: Int, w: Int) {
    guard a.rank == 4, a.shape[0] == 1 else {
      throw ConvolveError.invalidArgument(
        "the target layer is \(shapeText(a.shape)); a class activation map needs a 1 x C x H x W layer (choose one with --layer)")
    }
    return (a.shape[1], a.shape[2], a.shape[3])
  }

  /// `ReLU(Σ_k w_k A_k)` with `w_k = weight(A_k, G_k)`, from channel k's planes of the activation and gradient.
  static func channelWeighted(
    _ a: GraphTensor, _ g: GraphTensor, _ weight: (ArraySlice<Float>, ArraySlice<Float>) -> Float
  ) throws -> CAMMap {
    let (c, h, w) = try layerShape(a)
    let av = a.floats, gv = g.floats, n = h * w
    return weightedSum(a, (0 ..< c).map { k in weight(av[k * n ..< (k + 1) * n], gv[k * n ..< (k + 1) * n]) })
  }

  /// Grad-CAM (`grad_cam.py`): `w_k = mean_ij G_kij`, map = `ReLU(Σ_k w_k A_k)`.
  public static func gradCAM(activation a: GraphTensor, gradient g: GraphTensor) throws -> CAMMap {
    try channelWeighted(a, g) { _, gk in
      var s: Double = 0
      for x in gk { s += Double(x) }
      return Float(s / Double(gk.count))
    }
  }

  /// Grad-CAM++ (`grad_cam_plusplus.py`): `α = G² / (2G² + (Σ_ij A_k) G³ + 1e-6)` where `G ≠ 0` (else 0),
  /// `w_k = Σ_ij ReLU(G) α`, map = `ReLU(Σ_k w_k A_k)`.
  public static func gradCAMPlusPlus(activation a: GraphTensor, gradient g: GraphTensor) throws -> CAMMap {
    try channelWeighted(a, g) { ak, gk in
      var sumA: Float = 0
      for x in ak { sumA += x }
      var s: Float = 0
      for x in gk where x != 0 {
        let x2 = x * x
        s += max(x, 0) * (x2 / (2 * x2 + sumA * x2 * x + 1e-6))
      }
      return s
    }
  }

  /// XGrad-CAM (`xgrad_cam.py`): `w_k = Σ_ij G_kij A_kij / (Σ_ij A_kij + 1e-7)`, map = `ReLU(Σ_k w_k A_k)`.
  public static func xGradCAM(activation a: GraphTensor, gradient g: GraphTensor) throws -> CAMMap {
    try channelWeighted(a, g) { ak, gk in
      var sumA: Double = 0, sumGA: Double = 0
      for (x, y) in zip(ak, gk) {
        sumA += Double(x)
        sumGA += Double(y) * Double(x)
      }
      return Float(sumGA / (sumA + 1e-7))
    }
  }

  /// HiResCAM (`hirescam.py`): map = `ReLU(Σ_k G_k ⊙ A_k)`.
  public static func hiResCAM(activation a: GraphTensor, gradient g: GraphTensor) throws -> CAMMap {
    try elementwise(a, g, rectifyGradient: false)
  }

  /// LayerCAM (`layer_cam.py`): map = `ReLU(Σ_k ReLU(G_k) ⊙ A_k)`.
  public static func layerCAM(activation a: GraphTensor, gradient g: GraphTensor) throws -> CAMMap {
    try elementwise(a, g, rectifyGradient: true)
  }

  /// EigenCAM (`eigen_cam.py`, `get_2d_projection`): the activation as an HW×C matrix, each column's mean
  /// removed, projected on its first right singular vector, ReLU'd. The singular vector's sign is arbitrary
  /// (NumPy's comes from LAPACK); here it is the one whose projection correlates positively with the
  /// channel sum of the activation, so the map is pytorch-grad-cam's or the ReLU of its negation.
  public static func eigenCAM(activation a: GraphTensor) throws -> CAMMap {
    let (c, h, w) = try layerShape(a)
    let av = a.floats, n = h * w
    // M: n×c centred, in Double.
    var m = [Double](repeating: 0, count: n * c)
    for k in 0 ..< c {
      var mean: Double = 0
      for p in 0 ..< n { mean += Double(av[k * n + p]) }
      mean /= Double(n)
      for p in 0 ..< n { m[p * c + k] = Double(av[k * n + p]) - mean }
    }
    // The top eigenvector of the smaller Gram matrix gives the projection M·v = σ·u.
    var projection = [Double](repeating: 0, count: n)
    if c <= n {
      var gram = [Double](repeating: 0, count: c * c)  // MᵀM
      for p in 0 ..< n {
        for i in 0 ..< c {
          let x = m[p * c + i]
          if x == 0 { continue }
          for j in 0 ..< c { gram[i * c + j] += x * m[p * c + j] }
        }
      }
      let v = topEigenvector(gram, size: c)
      for p in 0 ..< n {
        var s: Double = 0
        for k in 0 ..< c { s += m[p * c + k] * v[k] }
        projection[p] = s
      }
    } else {
      var gram = [Double](repeating: 0, count: n * n)  // MMᵀ
      for p in 0 ..< n {
        for q in p ..< n {
          var s: Double = 0
          for k in 0 ..< c { s += m[p * c + k] * m[q * c + k] }
          gram[p * n + q] = s
          gram[q * n + p] = s
        }
      }
      let u = topEigenvector(gram, size: n)
      // σ = |Mᵀu|.
      var sigma2: Double = 0
      for k in 0 ..< c {
        var s: Double = 0
        for p in 0 ..< n { s += m[p * c + k] * u[p] }
        sigma2 += s * s
      }
      for p in 0 ..< n { projection[p] = u[p] * sigma2.squareRoot() }
    }
    var agreement: Double = 0
    for p in 0 ..< n {
      var total: Double = 0
      for k in 0 ..< c { total += Double(av[k * n + p]) }
      agreement += total * projection[p]
    }
    let sign: Double = agreement < 0 ? -1 : 1
    return rectified(projection, scale: sign, height: h, width: w)
  }

  /// Saliency (Simonyan et al. 2014): `max_c |∂S/∂x_c|` over the input's channels, at the input's resolution.
  public static func saliency(inputGradient g: GraphTensor) throws -> CAMMap {
    let (c, h, w) = try layerShape(g)
    let gv = g.floats, n = h * w
    var values = [Float](repeating: 0, count: n)
    for k in 0 ..< c {
      for p in 0 ..< n { values[p] = max(values[p], abs(gv[k * n + p])) }
    }
    return CAMMap(height: h, width: w, values: values)
  }

  /// The map of one method (`saliency` takes the input's gradient as `gradient`, `eigencam` none).
  public static func map(_ method: CAMMethod, activation a: GraphTensor, gradient g: GraphTensor?) throws -> CAMMap {
    if method == .eigencam { return try eigenCAM(activation: a) }
    guard let g else { throw ConvolveError.invalidArgument("\(method.rawValue) needs the gradient of the class score") }
    switch method {
    case .gradcam: return try gradCAM(activation: a, gradient: g)
    case .gradcamPlusPlus: return try gradCAMPlusPlus(activation: a, gradient: g)
    case .xgradcam: return try xGradCAM(activation: a, gradient: g)
    case .hirescam: return try hiResCAM(activation: a, gradient: g)
    case .layercam: return try layerCAM(activation: a, gradient: g)
    case .saliency: return try saliency(inputGradient: g)
    case .eigencam: return try eigenCAM(activation: a)
    case .scorecam, .ablationcam, .occlusion, .integratedGradients, .smoothgrad:
      throw ConvolveError.invalidArgument("\(method.rawValue) runs the model again: CamJob computes it")
    }
  }

  /// `ReLU(Σ_k w_k A_k)`.
  static func weightedSum(_ a: GraphTensor, _ weights: [Float]) -> CAMMap {
    let c = a.shape[1], h = a.shape[2], w = a.shape[3], n = h * w
    let av = a.floats
    var sum = [Double](repeating: 0, count: n)
    for k in 0 ..< c {
      let wk = Double(weights[k])
      if wk == 0 { continue }
      for p in 0 ..< n { sum[p] += wk * Double(av[k * n + p]) }
    }
    return rectified(sum, height: h, width: w)
  }

  /// `ReLU(Σ_k f(G_k) ⊙ A_k)` with `f` the identity or ReLU.
  static func elementwise(_ a: GraphTensor, _ g: GraphTensor, rectifyGradient: Bool) throws -> CAMMap {
    let (c, h, w) = try layerShape(a)
    let av = a.floats, gv = g.floats, n = h * w
    var sum = [Double](repeating: 0, count: n)
    for k in 0 ..< c {
      for p in 0 ..< n {
        let x = gv[k * n + p]
        sum[p] += Double(rectifyGradient ? max(x, 0) : x) * Double(av[k * n + p])
      }
    }
    return rectified(sum, height: h, width: w)
  }

  /// `ReLU(scale · v)` as a map.
  static func rectified(_ v: [Double], scale: Double = 1, height: Int, width: Int) -> CAMMap {
    var values = [Float](repeating: 0, count: v.count)
    for i in 0 ..< v.count { values[i] = Float(max(0, scale * v[i])) }
    return CAMMap(height: height, width: width, values: values)
  }

  /// The unit eigenvector of the largest eigenvalue of a symmetric positive semi-definite matrix, by power
  /// iteration from a fixed start (the diagonal's largest column) until it moves less than 1e-12.
  static func topEigenvector(_ matrix: [Double], size n: Int) -> [Double] {
    guard n > 0 else { return [] }
    var best = 0
    for i in 0 ..< n where matrix[i * n + i] > matrix[best * n + best] { best = i }
    var v = [Double](repeating: 0, count: n)
    for i in 0 ..< n {
      let nudge: Double = 1e-12 * Double(i + 1) + (i == best ? 1e-9 : 0)
      v[i] = matrix[i * n + best] + nudge
    }
    var next = [Double](repeating: 0, count: n)
    func normalise(_ x: inout [Double]) {
      let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
      if norm > 0 { for i in 0 ..< x.count { x[i] /= norm } }
    }
    normalise(&v)
    for _ in 0 ..< 2000 {
      for i in 0 ..< n {
        var s: Double = 0
        for j in 0 ..< n { s += matrix[i * n + j] * v[j] }
        next[i] = s
      }
      normalise(&next)
      var change: Double = 0
      for i in 0 ..< n { change = max(change, abs(next[i] - v[i])) }
      swap(&v, &next)
      if change < 1e-12 { break }
    }
    return v
  }
}
