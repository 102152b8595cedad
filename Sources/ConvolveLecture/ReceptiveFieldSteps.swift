import ConvolveCNN
import ConvolveCore
import Foundation

/// The receptive field through the stages of `shapeReport`, one stage at a time, with the lecture's formulas
/// and the numbers filled in (`FieldAxis` computes the same for graphs).
struct ReceptiveFieldSteps {
  var y = FieldAxis.input(length: 1)
  var x = FieldAxis.input(length: 1)
  var whole = false

  /// The lines after a stage's output: rf, jump and start (one set when both axes agree, else H and W).
  mutating func step(_ stage: ShapeStage) -> [String] {
    guard !whole else { return [] }
    let (kh, kw) = (stage.kernelHeight, stage.kernelWidth)
    var texts: [(String, String)] = []
    func num(_ v: Double) -> String { FieldAxis.text(v) }
    /// Both axes through one rule: the next axis and its two lines, from the axis, its kernel and index.
    func axes(_ kernels: [Int], _ rule: (FieldAxis, Int, Int) -> (FieldAxis, String, String)) {
      for (i, k) in kernels.enumerated() {
        let (b, rf, start) = rule(i == 0 ? y : x, k, i)
        texts.append((rf, start))
        if i == 0 { y = b } else { x = b }
      }
    }
    switch stage.kind {
    case .conv, .pool:
      let d = stage.dilation
      let steps = [(stage.stride, stage.pads(kernel: kh).0), (stage.strideWidth, stage.pads(kernel: kw).0)]
      axes([kh, kw]) { a, k, i in
        let (st, p) = steps[i]
        let b = a.window(kernel: k, stride: st, padBefore: p, dilation: d, outputs: 1)
        return (
          b,
          "rf = r + (K-1)*D*j = \(num(a.size)) + \(k - 1)*\(d)*\(num(a.jump)) = \(num(b.size)), "
            + "jump = j*S = \(num(a.jump))*\(st) = \(num(b.jump))",
          "start = start + (D(K-1)/2 - P)*j = \(num(a.start)) + (\(num(Double(d * (k - 1)) / 2)) - \(p))*\(num(a.jump)) = \(num(b.start))"
        )
      }
    case .transposedConv:
      let (s, d, p) = (stage.stride, stage.dilation, stage.pads(kernel: kh).0)
      axes([kh, kw]) { a, k, _ in
        let b = a.transposed(kernel: k, stride: s, padBefore: p, dilation: d, outputs: 1)
        return (
          b,
          "rf = r + (K-1)*D*j/S = \(num(a.size)) + \(k - 1)*\(d)*\(num(a.jump))/\(s) = \(num(b.size)), "
            + "jump = j/S = \(num(a.jump))/\(s) = \(num(b.jump))",
          "start = start + (P - D(K-1)/2)*j/S = \(num(a.start)) + (\(p) - \(num(Double(d * (k - 1)) / 2)))*\(num(a.jump))/\(s) = \(num(b.start))"
        )
      }
    case .upsample(let f):
      axes([0, 0]) { a, _, _ in
        let b = a.upsampledNearest(factor: f, outputs: 1)
        return (
          b,
          "rf = r + j = \(num(a.size)) + \(num(a.jump)) = \(num(b.size)) (nearest: one of F neighbours), "
            + "jump = j/F = \(num(a.jump))/\(num(f)) = \(num(b.jump))",
          "start = start - j/2 = \(num(a.start)) - \(num(a.jump / 2)) = \(num(b.start))"
        )
      }
    case .globalAveragePool, .flatten, .fullyConnected:
      whole = true
      return ["   receptive field: the whole input"]
    case .activation:
      return []
    }
    if texts[0] == texts[1] {
      return ["   receptive field: " + texts[0].0] + (texts[0].1.isEmpty ? [] : ["   " + texts[0].1])
    }
    return ["   receptive field H: " + texts[0].0, "   " + texts[0].1, "   receptive field W: " + texts[1].0, "   " + texts[1].1]
      .filter { $0 != "   " }
  }
}
