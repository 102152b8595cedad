import ConvolveCore
import Foundation
import Testing
@testable import ConvolveCNN

/// ONNX pooling by definition: window taps `o·s - pad + i·d`, ceil mode dropping windows that start in the
/// end padding, average dividing by the in-input taps or by the window clipped to the padded input.
func naivePool(
  _ x: GraphTensor, max isMax: Bool, kernel: (Int, Int), strides: (Int, Int), pads: [Int], dilations: (Int, Int),
  ceil: Bool, includePad: Bool
) -> GraphTensor {
  let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
  func size(_ len: Int, _ k: Int, _ s: Int, _ p0: Int, _ p1: Int, _ d: Int) -> Int {
    let span = len + p0 + p1 - d * (k - 1) - 1
    var out = (ceil ? (span + s - 1) / s : span / s) + 1
    if ceil && (out - 1) * s >= len + p0 { out -= 1 }
    return out
  }
  let oh = size(h, kernel.0, strides.0, pads[0], pads[2], dilations.0)
  let ow = size(w, kernel.1, strides.1, pads[1], pads[3], dilations.1)
  let v = x.floats
  var out: [Float] = []
  for p in 0 ..< n * c {
    for y in 0 ..< oh {
      for xo in 0 ..< ow {
        var m = -Float.infinity, sum: Double = 0, count = 0, rows = 0, cols = 0
        for i in 0 ..< kernel.0 {
          let sy = y * strides.0 - pads[0] + i * dilations.0
          if sy < h + pads[2] { rows += 1 }
          for j in 0 ..< kernel.1 {
            let sx = xo * strides.1 - pads[1] + j * dilations.1
            if i == 0 && sx < w + pads[3] { cols += 1 }
            guard sy >= 0 && sy < h && sx >= 0 && sx < w else { continue }
            let value = v[(p * h + sy) * w + sx]
            m = max(m, value)
            sum += Double(value)
            count += 1
          }
        }
        out.append(isMax ? m : Float(sum / Double(includePad ? rows * cols : count)))
      }
    }
  }
  return GraphTensor(shape: [n, c, oh, ow], floats: out)
}

@Suite struct PoolResizeTests {
  struct PoolCase: CustomTestStringConvertible, Sendable {
    var kernel: (Int, Int), strides: (Int, Int), pads: [Int], dilations: (Int, Int), ceil: Bool, includePad: Bool
    var testDescription: String { "k\(kernel) s\(strides) p\(pads) d\(dilations) ceil \(ceil) include \(includePad)" }
  }

  static let poolCases: [PoolCase] = [
    PoolCase(kernel: (2, 2), strides: (2, 2), pads: [0, 0, 0, 0], dilations: (1, 1), ceil: false, includePad: false),
    PoolCase(kernel: (3, 3), strides: (2, 2), pads: [1, 1, 1, 1], dilations: (1, 1), ceil: false, includePad: false),
    PoolCase(kernel: (3, 3), strides: (2, 2), pads: [1, 1, 1, 1], dilations: (1, 1), ceil: false, includePad: true),
    PoolCase(kernel: (3, 2), strides: (2, 3), pads: [0, 1, 2, 1], dilations: (1, 1), ceil: true, includePad: true),
    PoolCase(kernel: (3, 3), strides: (2, 2), pads: [0, 0, 0, 0], dilations: (1, 1), ceil: true, includePad: false),
    PoolCase(kernel: (3, 3), strides: (1, 1), pads: [2, 2, 2, 2], dilations: (2, 2), ceil: false, includePad: false),
    PoolCase(kernel: (2, 3), strides: (3, 2), pads: [1, 2, 1, 0], dilations: (2, 1), ceil: true, includePad: true),
  ]

  @Test(arguments: poolCases)
  func poolingMatchesTheDefinition(_ t: PoolCase) throws {
    var rng = GraphRandom(seed: 30)
    let x = rng.tensor([1, 3, 10, 11])
    var attributes: [String: Attribute] = [
      "kernel_shape": .ints([t.kernel.0, t.kernel.1]), "strides": .ints([t.strides.0, t.strides.1]), "pads": .ints(t.pads),
      "ceil_mode": .int(t.ceil ? 1 : 0),
    ]
    if t.dilations != (1, 1) { attributes["dilations"] = .ints([t.dilations.0, t.dilations.1]) }
    let maxPool = try run1("MaxPool", [.value(x)], attributes)
    let maxRef = naivePool(x, max: true, kernel: t.kernel, strides: t.strides, pads: t.pads, dilations: t.dilations, ceil: t.ceil, includePad: true)
    #expect(maxPool.shape == maxRef.shape)
    #expect(largestDifference(maxPool.floats, maxRef.floats) == 0)
    attributes["count_include_pad"] = .int(t.includePad ? 1 : 0)
    let avg = try run1("AveragePool", [.value(x)], attributes)
    let avgRef = naivePool(x, max: false, kernel: t.kernel, strides: t.strides, pads: t.pads, dilations: t.dilations, ceil: t.ceil, includePad: t.includePad)
    #expect(avg.shape == avgRef.shape)
    #expect(largestDifference(avg.floats, avgRef.floats) < 1e-6)
  }

  @Test func globalPools() throws {
    let x = GraphTensor(shape: [1, 2, 2, 2], floats: [1, 2, 3, 6, -1, -2, -3, -4])
    let avg = try run1("GlobalAveragePool", [.value(x)])
    #expect(avg.shape == [1, 2, 1, 1] && avg.floats == [3, -2.5])
    #expect(try run1("GlobalMaxPool", [.value(x)]).floats == [6, -1])
  }

  /// Resize of a 1x1x2x2 `[[1, 2], [3, 4]]` (the ONNX spec's examples) and 1x1x1x4 inputs.
  @Test func resizeNearestModes() throws {
    let x = GraphTensor(shape: [1, 1, 2, 2], floats: [1, 2, 3, 4])
    let scales = GraphTensor(shape: [4], floats: [1, 1, 2, 3])
    // asymmetric + floor: PyTorch's nearest.
    let a = try run1(
      "Resize", [.value(x), .none, .constant(scales)],
      ["mode": .string("nearest"), "coordinate_transformation_mode": .string("asymmetric"), "nearest_mode": .string("floor")])
    #expect(a.shape == [1, 1, 4, 6])
    #expect(a.floats == [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4])
    // Downsampling 1x4 → 1x2 with sizes: half_pixel maps 0 → 0.5 and 1 → 2.5; the rounding decides.
    let row = GraphTensor(shape: [1, 1, 1, 4], floats: [10, 20, 30, 40])
    let sizes = GraphTensor(int64s: [1, 1, 1, 2])
    func nearest(_ coordinates: String, _ rounding: String) throws -> [Float] {
      try run1(
        "Resize", [.value(row), .none, .none, .constant(sizes)],
        ["coordinate_transformation_mode": .string(coordinates), "nearest_mode": .string(rounding)]).floats
    }
    #expect(try nearest("half_pixel", "round_prefer_floor") == [10, 30])
    #expect(try nearest("half_pixel", "round_prefer_ceil") == [20, 40])
    #expect(try nearest("half_pixel", "floor") == [10, 30])
    #expect(try nearest("half_pixel", "ceil") == [20, 40])
    #expect(try nearest("align_corners", "round_prefer_floor") == [10, 40])
    #expect(try nearest("asymmetric", "round_prefer_floor") == [10, 30])
    #expect(try nearest("tf_half_pixel_for_nn", "floor") == [20, 40])
  }

  @Test func resizeLinearModes() throws {
    let row = GraphTensor(shape: [1, 1, 1, 2], floats: [0, 8])
    func linear(_ coordinates: String, _ width: Int) throws -> [Float] {
      try run1(
        "Resize", [.value(row), .none, .none, .constant(GraphTensor(int64s: [1, 1, 1, Int64(width)]))],
        ["mode": .string("linear"), "coordinate_transformation_mode": .string(coordinates)], opset: 13).floats
    }
    // 2 → 4: half_pixel sources -0.25, 0.25, 0.75, 1.25 (clamped); align_corners 0, 1/3, 2/3, 1; asymmetric 0, .5, 1, 1.5.
    #expect(largestDifference(try linear("half_pixel", 4), [0, 2, 6, 8]) < 1e-6)
    #expect(largestDifference(try linear("pytorch_half_pixel", 4), [0, 2, 6, 8]) < 1e-6)
    #expect(largestDifference(try linear("align_corners", 4), [0, 8.0 / 3, 16.0 / 3, 8]) < 1e-5)
    #expect(largestDifference(try linear("asymmetric", 4), [0, 4, 8, 8]) < 1e-6)
    // One output sample: pytorch_half_pixel takes the first, half_pixel the middle.
    #expect(try linear("pytorch_half_pixel", 1) == [0])
    #expect(try linear("half_pixel", 1) == [4])
  }

  @Test func resizeOpset10AndUpsampleUseAsymmetricCoordinates() throws {
    let x = GraphTensor(shape: [1, 1, 1, 2], floats: [1, 2])
    let scales = GraphTensor(shape: [4], floats: [1, 1, 2, 2])
    let resize10 = try run1("Resize", [.value(x), .constant(scales)], ["mode": .string("nearest")], opset: 10)
    #expect(resize10.shape == [1, 1, 2, 4] && resize10.floats == [1, 1, 2, 2, 1, 1, 2, 2])
    let upsample = try run1("Upsample", [.value(x), .constant(scales)], ["mode": .string("linear")], opset: 9)
    #expect(upsample.floats == [1, 1.5, 2, 2, 1, 1.5, 2, 2])
    #expect(errorText { try run1("Resize", [.value(x), .none, .constant(GraphTensor(shape: [4], floats: [1, 2, 1, 1]))], opset: 13) }?
      .contains("only the last two dimensions") == true)
  }
}
