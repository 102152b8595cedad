import ConvolveCore
import Foundation
import Testing
@testable import ConvolveCNN

/// ONNX Conv by definition, one output at a time in Double. pads = [top, left, bottom, right].
func naiveConv(
  _ x: GraphTensor, _ w: GraphTensor, _ b: GraphTensor?, strides: (Int, Int), pads: [Int], dilations: (Int, Int),
  group: Int
) -> GraphTensor {
  let (n, h, wd) = (x.shape[0], x.shape[2], x.shape[3])
  let (m, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
  let oh = (h + pads[0] + pads[2] - dilations.0 * (kh - 1) - 1) / strides.0 + 1
  let ow = (wd + pads[1] + pads[3] - dilations.1 * (kw - 1) - 1) / strides.1 + 1
  let xv = x.floats, wv = w.floats, bv = b?.floats
  var out = [Float](repeating: 0, count: n * m * oh * ow)
  let mg = m / group
  for i in 0 ..< n {
    for o in 0 ..< m {
      let g = o / mg
      for y in 0 ..< oh {
        for xo in 0 ..< ow {
          var sum = Double(bv?[o] ?? 0)
          for ci in 0 ..< cg {
            for ky in 0 ..< kh {
              for kx in 0 ..< kw {
                let sy = y * strides.0 + ky * dilations.0 - pads[0], sx = xo * strides.1 + kx * dilations.1 - pads[1]
                guard sy >= 0 && sy < h && sx >= 0 && sx < wd else { continue }
                sum += Double(xv[rowMajorOffset([i, g * cg + ci, sy, sx], x.shape)]) * Double(wv[rowMajorOffset([o, ci, ky, kx], w.shape)])
              }
            }
          }
          out[rowMajorOffset([i, o, y, xo], [n, m, oh, ow])] = Float(sum)
        }
      }
    }
  }
  return GraphTensor(shape: [n, m, oh, ow], floats: out)
}

/// ONNX ConvTranspose by definition: every input sample scatters a weighted kernel. pads = [top, left, bottom, right].
func naiveConvTranspose(
  _ x: GraphTensor, _ w: GraphTensor, _ b: GraphTensor?, strides: (Int, Int), pads: [Int], outputPadding: (Int, Int),
  dilations: (Int, Int), group: Int
) -> GraphTensor {
  let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
  let (mg, kh, kw) = (w.shape[1], w.shape[2], w.shape[3])
  let m = mg * group, cg = c / group
  let oh = strides.0 * (h - 1) + outputPadding.0 + dilations.0 * (kh - 1) + 1 - pads[0] - pads[2]
  let ow = strides.1 * (wd - 1) + outputPadding.1 + dilations.1 * (kw - 1) + 1 - pads[1] - pads[3]
  let xv = x.floats, wv = w.floats, bv = b?.floats
  var acc = [Double](repeating: 0, count: n * m * oh * ow)
  for i in 0 ..< n {
    for o in 0 ..< m { for p in 0 ..< oh * ow { acc[(i * m + o) * oh * ow + p] = Double(bv?[o] ?? 0) } }
    for ci in 0 ..< c {
      let g = ci / cg
      for y in 0 ..< h {
        for xi in 0 ..< wd {
          let v = Double(xv[rowMajorOffset([i, ci, y, xi], x.shape)])
          for mo in 0 ..< mg {
            for ky in 0 ..< kh {
              for kx in 0 ..< kw {
                let oy = y * strides.0 + ky * dilations.0 - pads[0], ox = xi * strides.1 + kx * dilations.1 - pads[1]
                guard oy >= 0 && oy < oh && ox >= 0 && ox < ow else { continue }
                acc[rowMajorOffset([i, g * mg + mo, oy, ox], [n, m, oh, ow])] += v * Double(wv[rowMajorOffset([ci, mo, ky, kx], w.shape)])
              }
            }
          }
        }
      }
    }
  }
  return GraphTensor(shape: [n, m, oh, ow], floats: acc.map { Float($0) })
}

@Suite struct ConvOperatorTests {
  struct ConvCase: CustomTestStringConvertible, Sendable {
    var c: Int, m: Int, k: (Int, Int), strides: (Int, Int), pads: [Int], dilations: (Int, Int), group: Int, bias: Bool
    var testDescription: String { "c\(c) m\(m) k\(k) s\(strides) p\(pads) d\(dilations) g\(group)" }
  }

  static let convCases: [ConvCase] = [
    ConvCase(c: 3, m: 4, k: (3, 3), strides: (1, 1), pads: [1, 1, 1, 1], dilations: (1, 1), group: 1, bias: true),
    ConvCase(c: 3, m: 5, k: (3, 2), strides: (2, 1), pads: [0, 1, 2, 0], dilations: (1, 1), group: 1, bias: false),
    ConvCase(c: 4, m: 4, k: (3, 3), strides: (2, 2), pads: [1, 1, 1, 1], dilations: (1, 1), group: 4, bias: true),
    ConvCase(c: 4, m: 8, k: (3, 3), strides: (1, 1), pads: [2, 2, 2, 2], dilations: (2, 2), group: 2, bias: true),
    ConvCase(c: 2, m: 6, k: (5, 5), strides: (3, 2), pads: [2, 1, 0, 2], dilations: (1, 2), group: 2, bias: false),
    ConvCase(c: 6, m: 3, k: (1, 1), strides: (1, 1), pads: [0, 0, 0, 0], dilations: (1, 1), group: 1, bias: true),
  ]

  @Test(arguments: convCases)
  func convMatchesTheDefinition(_ t: ConvCase) throws {
    var rng = GraphRandom(seed: 10)
    for batch in [1, 2] {
      let x = rng.tensor([batch, t.c, 9, 11])
      let w = rng.tensor([t.m, t.c / t.group, t.k.0, t.k.1])
      let b = t.bias ? rng.tensor([t.m]) : nil
      let attributes: [String: Attribute] = [
        "strides": .ints([t.strides.0, t.strides.1]), "pads": .ints(t.pads),
        "dilations": .ints([t.dilations.0, t.dilations.1]), "group": .int(t.group),
      ]
      let y = try run1("Conv", [.value(x), .constant(w)] + (b.map { [.constant($0)] } ?? []), attributes)
      let onnxPads = [t.pads[0], t.pads[1], t.pads[2], t.pads[3]]
      let reference = naiveConv(x, w, b, strides: t.strides, pads: onnxPads, dilations: t.dilations, group: t.group)
      #expect(y.shape == reference.shape)
      #expect(largestDifference(y.floats, reference.floats) < 1e-4)
    }
  }

  @Test func convAutoPadSameUpperAndLower() throws {
    var rng = GraphRandom(seed: 11)
    let x = rng.tensor([1, 2, 8, 7]), w = rng.tensor([3, 2, 4, 4])
    // Stride 2 over 8x7: out 4x4; total padding 2 and 3; SAME_UPPER puts the odd one at the end.
    let upper = try run1("Conv", [.value(x), .constant(w)], ["auto_pad": .string("SAME_UPPER"), "strides": .ints([2, 2])])
    #expect(upper.shape == [1, 3, 4, 4])
    let refUpper = naiveConv(x, w, nil, strides: (2, 2), pads: [1, 1, 1, 2], dilations: (1, 1), group: 1)
    #expect(largestDifference(upper.floats, refUpper.floats) < 1e-5)
    let lower = try run1("Conv", [.value(x), .constant(w)], ["auto_pad": .string("SAME_LOWER"), "strides": .ints([2, 2])])
    let refLower = naiveConv(x, w, nil, strides: (2, 2), pads: [1, 2, 1, 1], dilations: (1, 1), group: 1)
    #expect(largestDifference(lower.floats, refLower.floats) < 1e-5)
  }

  @Test func conv1DRunsAsHeightOne() throws {
    var rng = GraphRandom(seed: 12)
    let x = rng.tensor([1, 2, 10]), w = rng.tensor([3, 2, 3])
    let y = try run1("Conv", [.value(x), .constant(w)], ["pads": .ints([1, 1])])
    let ref = naiveConv(x.reshaped([1, 2, 1, 10]), w.reshaped([3, 2, 1, 3]), nil, strides: (1, 1), pads: [0, 1, 0, 1], dilations: (1, 1), group: 1)
    #expect(y.shape == [1, 3, 10])
    #expect(largestDifference(y.floats, ref.floats) < 1e-5)
  }

  struct TransposeCase: CustomTestStringConvertible, Sendable {
    var c: Int, m: Int, k: (Int, Int), strides: (Int, Int), pads: [Int], outputPadding: (Int, Int), dilations: (Int, Int)
    var group: Int
    var testDescription: String { "c\(c) m\(m) k\(k) s\(strides) p\(pads) op\(outputPadding) d\(dilations) g\(group)" }
  }

  static let transposeCases: [TransposeCase] = [
    TransposeCase(c: 3, m: 2, k: (3, 3), strides: (2, 2), pads: [1, 1, 1, 1], outputPadding: (1, 1), dilations: (1, 1), group: 1),
    TransposeCase(c: 2, m: 3, k: (2, 3), strides: (2, 3), pads: [0, 1, 1, 0], outputPadding: (1, 2), dilations: (1, 1), group: 1),
    TransposeCase(c: 4, m: 4, k: (3, 3), strides: (2, 2), pads: [1, 1, 1, 1], outputPadding: (0, 0), dilations: (2, 2), group: 2),
    TransposeCase(c: 2, m: 2, k: (4, 4), strides: (2, 2), pads: [1, 1, 1, 1], outputPadding: (0, 0), dilations: (1, 1), group: 1),
  ]

  @Test(arguments: transposeCases)
  func convTransposeMatchesTheDefinition(_ t: TransposeCase) throws {
    var rng = GraphRandom(seed: 13)
    let x = rng.tensor([1, t.c, 5, 6]), w = rng.tensor([t.c, t.m / t.group, t.k.0, t.k.1]), b = rng.tensor([t.m])
    let y = try run1(
      "ConvTranspose", [.value(x), .constant(w), .constant(b)],
      [
        "strides": .ints([t.strides.0, t.strides.1]), "pads": .ints(t.pads),
        "output_padding": .ints([t.outputPadding.0, t.outputPadding.1]), "dilations": .ints([t.dilations.0, t.dilations.1]),
        "group": .int(t.group),
      ])
    let reference = naiveConvTranspose(
      x, w, b, strides: t.strides, pads: t.pads, outputPadding: t.outputPadding, dilations: t.dilations, group: t.group)
    #expect(y.shape == reference.shape)
    #expect(largestDifference(y.floats, reference.floats) < 1e-4)
  }

  @Test func convTransposeOutputShapeDerivesThePadding() throws {
    var rng = GraphRandom(seed: 14)
    let x = rng.tensor([1, 3, 5, 6]), w = rng.tensor([3, 2, 3, 3])
    // Full size 11x13; output_shape 10x12 leaves one sample of padding per axis, at the start.
    let y = try run1("ConvTranspose", [.value(x), .constant(w)], ["strides": .ints([2, 2]), "output_shape": .ints([10, 12])])
    let ref = naiveConvTranspose(x, w, nil, strides: (2, 2), pads: [1, 1, 0, 0], outputPadding: (0, 0), dilations: (1, 1), group: 1)
    #expect(y.shape == [1, 2, 10, 12])
    #expect(largestDifference(y.floats, ref.floats) < 1e-5)
  }

  @Test func batchNormalizationOperator() throws {
    let x = GraphTensor(shape: [1, 2, 1, 2], floats: [1, 2, 3, 4])
    let y = try run1(
      "BatchNormalization",
      [
        .value(x), .constant(GraphTensor(shape: [2], floats: [2, 1])), .constant(GraphTensor(shape: [2], floats: [0.5, -1])),
        .constant(GraphTensor(shape: [2], floats: [1, 3])), .constant(GraphTensor(shape: [2], floats: [4, 0.25])),
      ], ["epsilon": .float(0)])
    // Channel 0: (x - 1) / 2 · 2 + 0.5; channel 1: (x - 3) / 0.5 - 1.
    #expect(largestDifference(y.floats, [0.5, 1.5, -1, 1]) < 1e-6)
  }
}
