import ConvolveONNX
@testable import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

/// A small classifier with a non-linearity after the target layer, so that the gradient varies over H×W:
/// x (1×3×6×6) → Conv 3×3 pad 1 + bias → Relu = `act` (1×4×6×6) → Conv 1×1 (5 maps, no bias) = `b` → Relu →
/// GlobalAveragePool → Flatten → Gemm (3 classes, transB) = `y`. Everything below is computed again here,
/// naively, from the definitions.
struct SmallClassifier {
  var x: [Float], w1: [Float], b1: [Float], v: [Float], w2: [Float], b2: [Float]
  let c0 = 3, c = 4, m = 5, classes = 3, h = 6, w = 6

  init(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    func values(_ n: Int, _ r: ClosedRange<Float>) -> [Float] { (0 ..< n).map { _ in Float.random(in: r, using: &rng) } }
    x = values(3 * 36, 0 ... 1)
    w1 = values(4 * 3 * 9, -0.5 ... 0.5)
    b1 = values(4, -0.1 ... 0.2)
    v = values(5 * 4, -1 ... 1)
    w2 = values(3 * 5, -1 ... 1)
    b2 = values(3, -0.1 ... 0.1)
  }

  var graph: Graph {
    Graph(
      nodes: [
        Node(name: "conv1", opType: "Conv", inputs: ["x", "w1", "b1"], outputs: ["c1"],
             attributes: ["kernel_shape": .ints([3, 3]), "pads": .ints([1, 1, 1, 1])]),
        Node(name: "relu1", opType: "Relu", inputs: ["c1"], outputs: ["act"]),
        Node(name: "conv2", opType: "Conv", inputs: ["act", "v"], outputs: ["b"], attributes: ["kernel_shape": .ints([1, 1])]),
        Node(name: "relu2", opType: "Relu", inputs: ["b"], outputs: ["rb"]),
        Node(name: "gap", opType: "GlobalAveragePool", inputs: ["rb"], outputs: ["g"]),
        Node(name: "flat", opType: "Flatten", inputs: ["g"], outputs: ["f"], attributes: ["axis": .int(1)]),
        Node(name: "fc", opType: "Gemm", inputs: ["f", "w2", "b2"], outputs: ["y"], attributes: ["transB": .int(1)]),
      ],
      initializers: [
        "w1": GraphTensor(shape: [4, 3, 3, 3], floats: w1), "b1": GraphTensor(shape: [4], floats: b1),
        "v": GraphTensor(shape: [5, 4, 1, 1], floats: v), "w2": GraphTensor(shape: [3, 5], floats: w2),
        "b2": GraphTensor(shape: [3], floats: b2),
      ],
      inputs: [ValueInfo(name: "x", shape: [.fixed(1), .fixed(3), .fixed(6), .fixed(6)])],
      outputs: [ValueInfo(name: "y", shape: nil)], opsetVersion: 13)
  }

  var input: GraphTensor { GraphTensor(shape: [1, 3, 6, 6], floats: x) }

  /// The activation `act`, C×H×W, by the textbook sums.
  func activation() -> [Double] { activation(x.map(Double.init)) }

  func activation(_ x: [Double]) -> [Double] {
    var a = [Double](repeating: 0, count: c * h * w)
    for k in 0 ..< c {
      for i in 0 ..< h {
        for j in 0 ..< w {
          var s = Double(b1[k])
          for ci in 0 ..< c0 {
            for di in 0 ..< 3 {
              for dj in 0 ..< 3 {
                let (y, xx) = (i + di - 1, j + dj - 1)
                guard y >= 0, y < h, xx >= 0, xx < w else { continue }
                s += Double(w1[((k * c0 + ci) * 3 + di) * 3 + dj]) * x[(ci * h + y) * w + xx]
              }
            }
          }
          a[(k * h + i) * w + j] = max(0, s)
        }
      }
    }
    return a
  }

  /// The class scores and ∂score_class/∂act (C×H×W).
  func scoresAndGradient(_ a: [Double], classIndex cls: Int) -> (scores: [Double], gradient: [Double]) {
    let n = h * w
    var bv = [Double](repeating: 0, count: m * n)
    for q in 0 ..< m {
      for p in 0 ..< n {
        for k in 0 ..< c { bv[q * n + p] += Double(v[q * c + k]) * a[k * n + p] }
      }
    }
    var scores = [Double](repeating: 0, count: classes)
    for cl in 0 ..< classes {
      scores[cl] = Double(b2[cl])
      for q in 0 ..< m {
        var mean = 0.0
        for p in 0 ..< n { mean += max(0, bv[q * n + p]) / Double(n) }
        scores[cl] += Double(w2[cl * m + q]) * mean
      }
    }
    var g = [Double](repeating: 0, count: c * n)
    for k in 0 ..< c {
      for p in 0 ..< n {
        for q in 0 ..< m where bv[q * n + p] > 0 { g[k * n + p] += Double(v[q * c + k]) * Double(w2[cls * m + q]) / Double(n) }
      }
    }
    return (scores, g)
  }
}

/// Each method from its definition (pytorch-grad-cam), in Double with plain loops.
enum NaiveCAM {
  static func relu(_ v: [Double]) -> [Double] { v.map { max(0, $0) } }

  static func weighted(_ a: [Double], _ weights: [Double], n: Int) -> [Double] {
    var out = [Double](repeating: 0, count: n)
    for p in 0 ..< n {
      for k in weights.indices { out[p] += weights[k] * a[k * n + p] }
    }
    return relu(out)
  }

  static func map(_ method: CAMMethod, a: [Double], g: [Double], c: Int, n: Int) -> [Double] {
    var weights = [Double](repeating: 0, count: c)
    var perPosition = [Double](repeating: 0, count: n)
    for k in 0 ..< c {
      var sumA = 0.0, sumG = 0.0, sumGA = 0.0, plusPlus = 0.0
      for p in 0 ..< n { sumA += a[k * n + p] }
      for p in 0 ..< n {
        let x = g[k * n + p], y = a[k * n + p]
        sumG += x
        sumGA += x * y
        if x != 0 {
          let x2 = x * x
          let x3 = x2 * x
          plusPlus += max(x, 0) * x2 / (2 * x2 + sumA * x3 + 1e-6)
        }
        perPosition[p] += (method == .layercam ? max(x, 0) : x) * y
      }
      switch method {
      case .gradcam: weights[k] = sumG / Double(n)
      case .gradcamPlusPlus: weights[k] = plusPlus
      case .xgradcam: weights[k] = sumGA / (sumA + 1e-7)
      default: break
      }
    }
    switch method {
    case .gradcam, .gradcamPlusPlus, .xgradcam: return weighted(a, weights, n: n)
    case .hirescam, .layercam: return relu(perPosition)
    case .eigencam: return eigen(a, c: c, n: n)
    case .saliency, .scorecam, .ablationcam, .occlusion, .integratedGradients, .smoothgrad: return []
    }
  }

  /// Bilinear resize with aligned corners (`UpsamplingBilinear2d`) of one h×w plane to H×W.
  static func upsample(_ v: [Double], h: Int, w: Int, to hh: Int, _ ww: Int) -> [Double] {
    var out = [Double](repeating: 0, count: hh * ww)
    for i in 0 ..< hh {
      for j in 0 ..< ww {
        let y = hh == 1 ? 0 : Double(i) * Double(h - 1) / Double(hh - 1)
        let x = ww == 1 ? 0 : Double(j) * Double(w - 1) / Double(ww - 1)
        let (y0, x0) = (Int(y), Int(x))
        let (y1, x1) = (min(y0 + 1, h - 1), min(x0 + 1, w - 1))
        let (fy, fx) = (y - Double(y0), x - Double(x0))
        let top = v[y0 * w + x0] * (1 - fx) + v[y0 * w + x1] * fx
        let bottom = v[y1 * w + x0] * (1 - fx) + v[y1 * w + x1] * fx
        out[i * ww + j] = top * (1 - fy) + bottom * fy
      }
    }
    return out
  }

  /// `get_2d_projection`: the centred n×c matrix projected on the top eigenvector of its c×c covariance,
  /// found by Jacobi rotations; the sign whose projection agrees with the channel sum (the engine's choice).
  static func eigen(_ a: [Double], c: Int, n: Int) -> [Double] {
    var centred = [Double](repeating: 0, count: n * c)
    for k in 0 ..< c {
      let mean = a[(k * n) ..< (k * n + n)].reduce(0, +) / Double(n)
      for p in 0 ..< n { centred[p * c + k] = a[k * n + p] - mean }
    }
    var s = [[Double]](repeating: [Double](repeating: 0, count: c), count: c)
    for i in 0 ..< c { for j in 0 ..< c { for p in 0 ..< n { s[i][j] += centred[p * c + i] * centred[p * c + j] } } }
    var vectors = (0 ..< c).map { i in (0 ..< c).map { $0 == i ? 1.0 : 0.0 } }  // columns: vectors[row][col]
    for _ in 0 ..< 100 {
      for p in 0 ..< c {
        for q in (p + 1) ..< c where abs(s[p][q]) > 1e-300 {
          let theta = (s[q][q] - s[p][p]) / (2 * s[p][q])
          let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
          let cs = 1 / (t * t + 1).squareRoot(), sn = t * cs
          for k in 0 ..< c {
            let (skp, skq) = (s[k][p], s[k][q])
            s[k][p] = cs * skp - sn * skq
            s[k][q] = sn * skp + cs * skq
          }
          for k in 0 ..< c {
            let (spk, sqk) = (s[p][k], s[q][k])
            s[p][k] = cs * spk - sn * sqk
            s[q][k] = sn * spk + cs * sqk
          }
          for k in 0 ..< c {
            let (vkp, vkq) = (vectors[k][p], vectors[k][q])
            vectors[k][p] = cs * vkp - sn * vkq
            vectors[k][q] = sn * vkp + cs * vkq
          }
        }
      }
    }
    let top = (0 ..< c).max { s[$0][$0] < s[$1][$1] }!
    var projection = [Double](repeating: 0, count: n)
    var agreement = 0.0
    for p in 0 ..< n {
      var total = 0.0
      for k in 0 ..< c {
        projection[p] += centred[p * c + k] * vectors[k][top]
        total += a[k * n + p]
      }
      agreement += projection[p] * total
    }
    if agreement < 0 { projection = projection.map { -$0 } }
    return relu(projection)
  }
}

/// The largest difference relative to the reference's largest value.
func relativeError(_ got: [Float], _ want: [Double]) -> Double {
  precondition(got.count == want.count)
  let scale = max(want.map(abs).max() ?? 0, 1e-12)
  return zip(got, want).map { abs(Double($0) - $1) }.max()! / scale
}

@Suite struct ClassActivationMapsTests {
  @Test(arguments: [CAMMethod.gradcam, .gradcamPlusPlus, .xgradcam, .hirescam, .layercam, .eigencam])
  func everyMethodMatchesTheNaiveReference(_ method: CAMMethod) throws {
    var positive = 0
    for seed: UInt64 in [1, 2, 3] {
      let model = SmallClassifier(seed: seed)
      var options = CamOptions()
      options.methods = [method]
      options.layer = "relu1"
      options.classChoice = .index(Int(seed) % 3)
      let job = try CamJob(model: "small.onnx", graph: model.graph, options: options)
      let result = try job.compute(input: model.input)
      #expect(result.layer == "act")
      let a = model.activation()
      let (scores, g) = model.scoresAndGradient(a, classIndex: Int(seed) % 3)
      #expect(relativeError(result.scores, scores) < 1e-5)
      let want = NaiveCAM.map(method, a: a, g: g, c: model.c, n: model.h * model.w)
      let got = try #require(result.maps.first).map
      #expect(got.height == 6 && got.width == 6)
      let error = relativeError(got.values, want)
      print("cam \(method.rawValue) seed \(seed): error \(error) of the map's maximum \(want.max()!)")
      #expect(error < 1e-4, "\(method.rawValue), seed \(seed)")
      positive += want.max()! > 0 ? 1 : 0
    }
    #expect(positive >= 2, "the reference maps are all zero for most seeds")
  }

  /// Score-CAM: every channel's mask times the input, run through the naive network, softmax of the scores.
  @Test func scoreCAMMatchesTheNaiveReference() throws {
    for seed: UInt64 in [1, 2, 3] {
      let model = SmallClassifier(seed: seed)
      var options = CamOptions()
      (options.methods, options.layer, options.classChoice) = ([.scorecam], "relu1", .top(1))
      let result = try CamJob(model: "small.onnx", graph: model.graph, options: options).compute(input: model.input)
      let cls = result.classes[0]
      let a = model.activation(), n = model.h * model.w
      var scores: [Double] = []
      for k in 0 ..< model.c {
        var mask = NaiveCAM.upsample(Array(a[(k * n) ..< (k * n + n)]), h: model.h, w: model.w, to: model.h, model.w)
        let (low, high) = (mask.min()!, mask.max()!)
        mask = mask.map { ($0 - low) / (high - low + 1e-8) }
        var masked = model.x.map(Double.init)
        for i in masked.indices { masked[i] *= mask[i % n] }
        scores.append(model.scoresAndGradient(model.activation(masked), classIndex: cls).scores[cls])
      }
      let e = scores.map { exp($0 - scores.max()!) }
      let weights = e.map { $0 / e.reduce(0, +) }
      let want = NaiveCAM.weighted(a, weights, n: n)
      let error = relativeError(result.maps[0].map.values, want)
      print("cam scorecam seed \(seed): error \(error) of the map's maximum \(want.max()!)")
      #expect(error < 1e-4)
    }
  }

  /// Ablation-CAM: each channel of the layer zeroed in turn, the naive network's score again.
  @Test func ablationCAMMatchesTheNaiveReference() throws {
    for seed: UInt64 in [1, 2, 3] {
      let model = SmallClassifier(seed: seed)
      var options = CamOptions()
      (options.methods, options.layer, options.classChoice) = ([.ablationcam], "relu1", .top(1))
      let result = try CamJob(model: "small.onnx", graph: model.graph, options: options).compute(input: model.input)
      let cls = result.classes[0]
      let a = model.activation(), n = model.h * model.w
      let fill = a.min()! == 0 ? 0 : a.min()! - 1e7
      let y = model.scoresAndGradient(a, classIndex: cls).scores[cls]
      let weights = (0 ..< model.c).map { k -> Double in
        var ablated = a
        for p in 0 ..< n { ablated[k * n + p] = fill }
        return (y - model.scoresAndGradient(ablated, classIndex: cls).scores[cls]) / y
      }
      let want = NaiveCAM.weighted(a, weights, n: n)
      let error = relativeError(result.maps[0].map.values, want)
      print("cam ablationcam seed \(seed): error \(error) of the map's maximum \(want.max()!)")
      #expect(error < 1e-4)
    }
  }

  /// Score-CAM's masks: aligned-corner bilinear upsampling, then min-max, against the naive resize.
  @Test func scoreCAMMasksUpsampleWithAlignedCorners() throws {
    var rng = SplitMix64(seed: 11)
    let values = (0 ..< 2 * 3 * 4).map { _ in Float.random(in: 0 ... 2, using: &rng) }
    let masks = try ClassActivationMaps.scoreCAMMasks(activation: GraphTensor(shape: [1, 2, 3, 4], floats: values), height: 7, width: 9)
    for k in 0 ..< 2 {
      var want = NaiveCAM.upsample(values[(k * 12) ..< (k * 12 + 12)].map(Double.init), h: 3, w: 4, to: 7, 9)
      let (low, high) = (want.min()!, want.max()!)
      want = want.map { ($0 - low) / (high - low + 1e-8) }
      #expect(relativeError(masks[k], want) < 1e-5)
    }
  }

  /// EigenCAM with more channels than positions takes the other Gram matrix; the same projection.
  @Test func eigenCAMWithMoreChannelsThanPositions() throws {
    var rng = SplitMix64(seed: 9)
    let (c, n) = (8, 4)
    let values = (0 ..< c * n).map { _ in Float.random(in: 0 ... 1, using: &rng) }
    let got = try ClassActivationMaps.eigenCAM(activation: GraphTensor(shape: [1, c, 2, 2], floats: values))
    let want = NaiveCAM.eigen(values.map(Double.init), c: c, n: n)
    let error = relativeError(got.values, want)
    print("cam eigencam c > hw: error \(error)")
    #expect(error < 1e-4)
  }

  /// Adebayo et al. 2018: a map that survives randomising the weights explains nothing about them.
  @Test func randomisedWeightsChangeTheGradCAMMap() throws {
    let model = SmallClassifier(seed: 4)
    var random = SmallClassifier(seed: 40)
    random.x = model.x
    var options = CamOptions()
    (options.classChoice, options.layer) = (.index(0), "act")
    let maps = try [model, random].map { m in
      try CamJob(model: "small.onnx", graph: m.graph, options: options).compute(input: m.input).maps[0].map.values
    }
    let r = correlation(maps[0], maps[1])
    print("cam sanity: correlation after randomising the weights \(r)")
    #expect(r < 0.9)
  }

  @Test func defaultLayerIsTheInputOfTheLastGlobalPoolOrTheLastMap() throws {
    let model = SmallClassifier(seed: 1)
    let plan = try ExecutionPlan(graph: model.graph, inputShapes: ["x": [1, 3, 6, 6]], options: .none)
    #expect(defaultCAMLayer(plan) == "rb")
    var graph = model.graph
    graph.nodes.removeAll { $0.name == "gap" }
    graph.nodes = graph.nodes.map { n in
      var n = n
      if n.name == "flat" { n.inputs = ["rb"] }
      return n
    }
    graph.initializers["w2"] = GraphTensor(shape: [3, 180], repeating: 0.1)
    let noPool = try ExecutionPlan(graph: graph, inputShapes: ["x": [1, 3, 6, 6]], options: .none)
    #expect(defaultCAMLayer(noPool) == "rb")
    #expect(throws: ConvolveError.self) { try camLayerValue("conv9", in: model.graph, path: "m.onnx") }
    #expect(try camLayerValue("relu1", in: model.graph, path: "m.onnx") == "act")
    #expect(thrownMessage { try camLayerValue("relu", in: model.graph, path: "m.onnx") }?.contains("did you mean") == true)
  }
}

/// An operator with no reverse rule after the layer: gradient methods fail in one line naming it and
/// suggesting eigencam; eigencam, which needs no gradient, runs.
@Suite struct CamWithoutReverseRuleTests {
  @Test func gradientMethodsSuggestEigenCAM() throws {
    let model = SmallClassifier(seed: 5)
    var graph = model.graph
    graph.nodes = Array(graph.nodes.prefix(2)) + [
      Node(name: "pick", opType: "Gather", inputs: ["act", "idx"], outputs: ["p"], attributes: ["axis": .int(1)]),
      Node(name: "gap", opType: "GlobalAveragePool", inputs: ["p"], outputs: ["g"]),
      Node(name: "flat", opType: "Flatten", inputs: ["g"], outputs: ["y"], attributes: ["axis": .int(1)]),
    ]
    graph.initializers["idx"] = GraphTensor(int64s: [0, 1, 2])
    var options = CamOptions()
    options.layer = "act"
    let message = thrownMessage { try CamJob(model: "m.onnx", graph: graph, options: options).compute(input: model.input) }
    #expect(message?.contains("Gather has no reverse rule") == true, "\(message ?? "")")
    #expect(message?.contains("eigencam") == true)
    #expect(message?.contains("\n") == false)
    options.methods = [.eigencam]
    let result = try CamJob(model: "m.onnx", graph: graph, options: options).compute(input: model.input)
    #expect(result.layer == "act" && result.maps.count == 1)
  }
}

func correlation(_ a: [Float], _ b: [Float]) -> Double {
  let n = Double(a.count)
  let ma = a.reduce(0) { $0 + Double($1) } / n, mb = b.reduce(0) { $0 + Double($1) } / n
  var (sab, saa, sbb) = (0.0, 0.0, 0.0)
  for (x, y) in zip(a, b) {
    sab += (Double(x) - ma) * (Double(y) - mb)
    saa += (Double(x) - ma) * (Double(x) - ma)
    sbb += (Double(y) - mb) * (Double(y) - mb)
  }
  return sab / max((saa * sbb).squareRoot(), 1e-300)
}

/// pytorch-grad-cam's map for `method` from `cam/<prefix><method>.npy`, checked to have `map`'s size; for EigenCAM,
/// whichever sign of its projection (`<prefix>eigencam_projection.npy`), ReLU'd, is closer to `map`.
func referenceCAM(_ method: CAMMethod, prefix: String, like map: CAMMap) throws -> [Double] {
  let reference = try NPYArray.read(path: fixtureURL("cam/\(prefix)\(method.rawValue).npy").path)
  #expect(reference.shape == [map.height, map.width])
  let want = reference.data.map(Double.init)
  guard method == .eigencam else { return want }
  let projection = try NPYArray.read(path: fixtureURL("cam/\(prefix)eigencam_projection.npy").path).data
  let flipped = projection.map { Double(max(0, -$0)) }
  return relativeError(map.values, flipped) < relativeError(map.values, want) ? flipped : want
}
