import ConvolveCNN
import ConvolveCore
import Foundation

/// `shapeReport` on an input written as the lecture does, `H x W x C`.
public func shapeReport(
  input: (height: Int, width: Int, channels: Int), stages: [String], rounding: SizeRounding = .floor
) throws -> String {
  try shapeReport(
    input: ShapeInput(height: input.height, width: input.width, channels: input.channels), stages: stages,
    rounding: rounding)
}

/// The output shape after each stage and the parameter count, with every formula's numbers filled in.
///
/// A stride that does not fit (the lecture's 7x7 input, 3x3 filter, stride 3: `(7 - 3)/3 + 1 = 2.33`) is
/// rounded down as PyTorch does (`rounding` `.floor`, the default): the report prints the lecture's "doesn't
/// fit" explanation as a note, naming the rows and columns left unused and the padding that would fit, and
/// continues with the floored size. `.strict` throws `ConvolveError.shapeMismatch` with that explanation
/// instead; `.ceil` rounds pools up (PyTorch's `ceil_mode`). Sizes come from the executors' geometry.
public func shapeReport(input: ShapeInput, stages: [String], rounding: SizeRounding = .floor) throws -> String {
  guard input.height > 0, input.width > 0, input.channels > 0 else {
    throw ConvolveError.invalidArgument(
      "input shape \(input.text(input.height, input.width, input.channels)) must be at least 1 in every dimension")
  }
  let parsed = try stages.map { try ShapeStage(parsing: $0) }
  let shapeText = input.text
  var (h, w, c) = (input.height, input.width, input.channels)
  var total = 0
  var field = ReceptiveFieldSteps()
  var out = ["Input: \(input.described)"]
  for (index, stage) in parsed.enumerated() {
    let label = "\(index + 1) \(stage.spec)"
    let (kh, kw) = (stage.kernelHeight, stage.kernelWidth)
    let inC = c
    var lines: [String] = []
    var notes: [String] = []
    var params = 0
    var axisLines: [(String, String)] = []  // (formula, result) for height and width
    let next: (channels: Int, height: Int, width: Int)
    do {
      next = try stage.output(channels: c, height: h, width: w, rounding: rounding)
    } catch let error as ConvolveError {
      // Under .strict the lecture's explanation below is the message; other errors name the stage.
      if case .shapeMismatch(let m) = error, m.contains("does not fit") {
        next = try stage.output(channels: c, height: h, width: w, rounding: .floor)
      } else {
        throw error.prefixed("stage \(label): ")
      }
    }
    switch stage.kind {
    case .conv, .pool:
      let (filters, title): (Int?, String)
      let stageRounding: SizeRounding
      switch stage.kind {
      case .conv(let n):
        filters = n
        title = "\(n) filter\(n == 1 ? "" : "s") \(kh)x\(kw)x\(c / stage.groups)"
          + (stage.groups > 1 ? ", \(stage.groups) groups" : "")
        stageRounding = stage.layerGeometry(rounding).rounding
      case .pool(let p):
        filters = nil
        title = "\(p == .average ? "avg" : p.rawValue) pooling \(kh)x\(kw)"
        stageRounding = stage.pooling(rounding).rounding
      default: fatalError("unreachable")
      }
      let padText: String
      switch stage.padding {
      case .same: padText = ", pad same"
      case .explicit(let p): padText = filters == nil && p.top == 0 ? "" : ", pad \(p.top)"
      }
      let strideText = stage.stride == stage.strideWidth ? "\(stage.stride)" : "\(stage.stride)x\(stage.strideWidth)"
      lines.append("\(index + 1). \(stage.spec)  (\(title), stride \(strideText)\(padText)"
        + (stage.dilation > 1 ? ", dilation \(stage.dilation)" : "") + (stageRounding == .ceil ? ", ceil" : "") + ")")
      if stage.dilation > 1 {
        lines.append("   F = D(K-1) + 1 = \(stage.dilation)(\(kh)-1) + 1 = \(stage.dilation * (kh - 1) + 1)"
          + (kh == kw ? "" : ", \(stage.dilation)(\(kw)-1) + 1 = \(stage.dilation * (kw - 1) + 1)"))
      }
      var misfits: [(axis: String, a: SlidingAxis, s: Int)] = []
      for (n, k, s, axis, value) in [
        (h, kh, stage.stride, "height", next.height), (w, kw, stage.strideWidth, "width", next.width),
      ] {
        let a = try SlidingAxis(
          n: n, k: k, stride: s, pads: stage.pads(kernel: k), dilation: stage.dilation, value: value, stage: label)
        if a.remainder == 0 {
          axisLines.append((a.formula, "\(a.value)"))
        } else {
          let filterText = "\(kh)x\(kw) " + (filters == nil ? "window" : "filter")
          let why = "\(a.formula) = \(a.exactText) doesn't fit: cannot apply a \(filterText) on a \(h)x\(w) input"
            + " with stride \(s)" + (h == w && kh == kw && stage.stride == stage.strideWidth ? "" : " along the \(axis)")
          guard stageRounding != .strict else {
            throw ConvolveError.shapeMismatch(
              "stage \(label): \(why); \(a.suggestion) (or round down, as PyTorch, to get \(a.value))")
          }
          axisLines.append(
            (a.formula, "\(a.exactText), rounded \(stageRounding == .ceil && a.value > Int(a.exact) ? "up" : "down"): \(a.value)"))
          misfits.append((axis, a, s))
        }
      }
      // One note per axis that does not fit (one for both when they are alike): the lecture's explanation,
      // what the rounding did, and the padding that would fit.
      let alike = misfits.count == 2 && axisLines[0] == axisLines[1]
      for (i, m) in misfits.enumerated() where !(alike && i == 1) {
        let filterText = "\(kh)x\(kw) " + (filters == nil ? "window" : "filter")
        let along = alike || (h == w && kh == kw && stage.stride == stage.strideWidth) ? "" : " along the \(m.axis)"
        let noun = alike ? "row\(m.a.unused == 1 ? "" : "s") and column\(m.a.unused == 1 ? "" : "s")"
          : m.axis == "height" ? "row\(m.a.unused == 1 ? "" : "s")" : "column\(m.a.unused == 1 ? "" : "s")"
        let effect: String
        if m.a.value > Int(m.a.exact) {
          effect = "rounding up (PyTorch's ceil_mode) adds a last, partial window"
        } else if m.a.unused > 0 {
          effect = "rounding down (as PyTorch) leaves the last \(m.a.unused == 1 ? "" : "\(m.a.unused) ")\(noun) unused"
        } else {
          effect = "rounding down (as PyTorch) leaves only padding unused"
        }
        notes.append("   note: \(m.a.exactText) doesn't fit: cannot apply a \(filterText) on a \(h)x\(w) input with "
          + "stride \(m.s)\(along); \(effect); \(m.a.suggestion)")
      }
      if let n = filters {
        params = try parameterCount([kh, kw, c / stage.groups, n], bias: n)
      }
    case .upsample(let f):
      let factor = f == f.rounded() ? String(Int(f)) : String(f)
      lines.append("\(index + 1). \(stage.spec)  (upsampling by \(factor))")
      let (formula, wrap) = f == f.rounded() ? ("N*F", { (s: String) in s }) : ("floor(N*F)", { (s: String) in "floor(\(s))" })
      axisLines = [
        ("\(formula) = \(wrap("\(h)*\(factor)"))", "\(next.height)"),
        ("\(formula) = \(wrap("\(w)*\(factor)"))", "\(next.width)"),
      ]
    case .transposedConv(let n):
      let (s, d, op) = (stage.stride, stage.dilation, stage.outputPadding)
      let p = stage.pads(kernel: kh).0
      lines.append("\(index + 1). \(stage.spec)  (transposed convolution, \(n) filter\(n == 1 ? "" : "s") \(kh)x\(kw)x\(c)"
        + ", stride \(s), pad \(p)" + (op > 0 ? ", output pad \(op)" : "") + (d > 1 ? ", dilation \(d)" : "")
        + (stage.groups > 1 ? ", \(stage.groups) groups" : "") + ")")
      for (size, k, value) in [(h, kh, next.height), (w, kw, next.width)] {
        axisLines.append(("S(N-1) + D(K-1) + 1 - 2P + OP = \(s)*(\(size)-1) + \(d)*(\(k)-1) + 1 - 2*\(p) + \(op)", "\(value)"))
      }
      params = try parameterCount([kh, kw, c, n / stage.groups], bias: n)
    case .activation(let a):
      if case .maxout(let k) = a {
        lines.append("\(index + 1). \(stage.spec)  (maxout: the largest of each \(k) channels, C/\(k) = \(c)/\(k) = \(next.channels))")
      } else {
        lines.append("\(index + 1). \(stage.spec)  (activation \(a), value by value: the shape does not change)")
      }
    case .globalAveragePool:
      lines.append("\(index + 1). \(stage.spec)  (global average pooling: the mean of each \(h)x\(w) map)")
    case .flatten:
      lines.append("\(index + 1). \(stage.spec)  (flatten: C*H*W = \(c)*\(h)*\(w) = \(next.channels) values in one vector)")
    case .fullyConnected(let n):
      let inputs = try CheckedSize.count([c, h, w], limit: .max, what: "flattened vector")
      let from = h == 1 && w == 1 ? "\(inputs)" : "\(c)*\(h)*\(w) = \(inputs)"
      lines.append("\(index + 1). \(stage.spec)  (fully connected: \(from) inputs to \(n) outputs)")
      params = try parameterCount([inputs, n], bias: n)
    }
    if !axisLines.isEmpty {
      if axisLines[0] == axisLines[1] {
        lines.append("   H, W: \(axisLines[0].0) = \(axisLines[0].1)")
      } else {
        lines.append("   H: \(axisLines[0].0) = \(axisLines[0].1)")
        lines.append("   W: \(axisLines[1].0) = \(axisLines[1].1)")
      }
    }
    lines += notes
    (c, h, w) = next
    lines.append("   output: \(shapeText(h, w, c))")
    lines += field.step(stage)
    switch stage.kind {
    case .conv(let n), .transposedConv(let n):
      let cg = stage.kind == .conv(filters: n) ? inC / stage.groups : inC
      let ng = stage.kind == .conv(filters: n) ? n : n / stage.groups
      let perFilter = kh * kw * cg + 1
      lines.append("   parameters: \(kh)*\(kw)*\(cg)*\(ng) + \(n) = \(params)"
        + (stage.groups == 1 ? " (each filter \(kh)*\(kw)*\(cg) + 1 = \(perFilter), \(perFilter)*\(n) = \(params))" : ""))
    case .fullyConnected(let n):
      let inputs = (params - n) / n
      lines.append("   parameters: \(inputs)*\(n) + \(n) = \(params) (each output \(inputs) weights + 1 bias)")
    default:
      lines.append("   parameters: 0")
    }
    guard let sum = CheckedSize.sum([total, params]) else {
      throw ConvolveError.tooLarge("stage \(label): the parameter count overflows")
    }
    total = sum
    out.append(contentsOf: lines)
  }
  out.append("Output: \(shapeText(h, w, c))")
  out.append("Total parameters: \(total)")
  return out.joined(separator: "\n")
}

/// `Π factors + bias`, overflow-checked.
private func parameterCount(_ factors: [Int], bias: Int) throws -> Int {
  let weights = try CheckedSize.count(factors, limit: .max, what: "weights")
  guard let total = CheckedSize.sum([weights, bias]) else { throw ConvolveError.tooLarge("the parameter count overflows") }
  return total
}

/// One axis through a sliding window: the formula with numbers, the size the executors' geometry gives, and
/// what does not fit and which padding would.
private struct SlidingAxis {
  let formula: String
  let value: Int
  let remainder: Int
  let unused: Int
  let exact: Double
  let suggestion: String

  init(n: Int, k: Int, stride s: Int, pads: (Int, Int), dilation d: Int, value: Int, stage: String) throws {
    let window = try slidingWindow(
      input: n, kernel: k, stride: s, padBefore: pads.0, padAfter: pads.1, dilation: d, rounding: .floor)
    let extent = d * (k - 1) + 1
    let span = n + pads.0 + pads.1 - extent
    func expression(_ before: Int, _ after: Int) -> String {
      let padTerm = before == after ? (before == 0 ? "" : " + 2*\(before)") : " + \(before) + \(after)"
      return "(\(n)\(padTerm) - \(extent))/\(s) + 1"
    }
    formula = "(N + 2P - F)/S + 1 = " + expression(pads.0, pads.1)
    self.value = value
    remainder = span % s
    unused = window.unusedInput
    exact = window.exact
    guard remainder != 0 else {
      suggestion = ""
      return
    }
    let extra = s - remainder
    if let p = (1 ... s).first(where: { (span + 2 * $0) % s == 0 }) {
      suggestion = "pad \(pads.0 + p) on each side: " + expression(pads.0 + p, pads.1 + p) + " = \((span + 2 * p) / s + 1)"
        + (extra < 2 * p
          ? "; or pad \(pads.0) before and \(pads.1 + extra) after: "
            + expression(pads.0, pads.1 + extra) + " = \((span + extra) / s + 1)"
          : "")
    } else {
      suggestion = "pad \(pads.0) before and \(pads.1 + extra) after: "
        + expression(pads.0, pads.1 + extra) + " = \((span + extra) / s + 1)"
    }
  }

  /// The fractional size to two decimals, as the lecture's `2.33`; `3.5`, not `3.50`.
  var exactText: String {
    var s = String(format: "%.2f", exact)
    while s.hasSuffix("0") { s.removeLast() }
    return s.hasSuffix(".") ? String(s.dropLast()) : s
  }
}
