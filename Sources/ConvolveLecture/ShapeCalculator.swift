import ConvolveCNN
import ConvolveCore
import Foundation

/// One stage of a network for `shapeReport`, parsed from a compact spec:
///
///     conv:N:K[xK2][:s=S][:p=P|same][:d=D]     N filters of K x K2 x C, each with a bias
///     pool:max|avg|min:K[xK2][:s=S]            K x K2 pooling, stride K x K2 unless given
///     upsample:F                               each axis times F
///     convT:N:K[xK2][:s=S][:p=P][:op=OP][:d=D] transposed convolution: S(n-1) + D(K-1) + 1 - 2P + OP
public struct ShapeStage: Equatable, Sendable {
  public enum Kind: Equatable, Sendable {
    case conv(filters: Int)
    case pool(PoolingKind)
    case upsample(factor: Int)
    case transposedConv(filters: Int)
  }

  /// The spec as written.
  public var spec: String
  public var kind: Kind
  public var kernelHeight = 1, kernelWidth = 1
  /// The stride along the height; `strideWidth` along the width (the same except for a KxK2 pool).
  public var stride = 1
  public var strideWidth = 1
  /// Explicit or `same` (`D(K-1)` in all, the extra sample of an even kernel after).
  public var padding = LayerPadding.uniform(0)
  public var dilation = 1
  public var outputPadding = 0

  /// What each kind of stage accepts, for error messages and help.
  public static let grammar = [
    "conv:N:K[xK2][:s=S][:p=P|same][:d=D]", "pool:max|avg|min:K[xK2][:s=S]", "upsample:F",
    "convT:N:K[xK2][:s=S][:p=P][:op=OP][:d=D]",
  ]

  /// Parses a spec such as `conv:10:5:s=1:p=2`; errors name the spec and what is allowed.
  public init(parsing spec: String) throws {
    self.spec = spec
    let parts = spec.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
      .map { String($0).trimmingCharacters(in: .whitespaces) }
    let name = parts[0].lowercased()
    func fail(_ why: String, _ form: String) -> ConvolveError {
      .invalidArgument("stage '\(spec)': \(why); expected \(form)")
    }
    func positive(_ text: String, _ what: String, _ form: String, minimum: Int = 1) throws -> Int {
      guard let v = Int(text), v >= minimum else {
        throw fail("\(what) '\(text)' is not \(minimum == 0 ? "a whole number >= 0" : "a whole number >= \(minimum)")", form)
      }
      return v
    }
    func kernelSize(_ text: String, _ form: String) throws -> (Int, Int) {
      let sides = text.lowercased().split(separator: "x", omittingEmptySubsequences: false).map(String.init)
      guard sides.count <= 2 else { throw fail("kernel size '\(text)' is not K or KxK2", form) }
      let k = try positive(sides[0], "kernel size", form)
      return (k, sides.count == 2 ? try positive(sides[1], "kernel width", form) : k)
    }
    func options(_ rest: ArraySlice<String>, allowed: [String], _ form: String) throws -> [String: String] {
      var found: [String: String] = [:]
      for option in rest {
        let kv = option.split(separator: "=", maxSplits: 1).map(String.init)
        guard kv.count == 2, allowed.contains(kv[0].lowercased()) else {
          throw fail("option '\(option)' is not one of \(allowed.map { "\($0)=" }.joined(separator: ", "))", form)
        }
        guard found[kv[0].lowercased()] == nil else { throw fail("option '\(kv[0])=' is given twice", form) }
        found[kv[0].lowercased()] = kv[1]
      }
      return found
    }
    switch name {
    case "conv", "convt":
      let transposed = name == "convt"
      let form = ShapeStage.grammar[transposed ? 3 : 0]
      guard parts.count >= 3 else { throw fail("\(parts[0]) needs a filter count N and a kernel size K", form) }
      let n = try positive(parts[1], "filter count", form)
      kind = transposed ? .transposedConv(filters: n) : .conv(filters: n)
      (kernelHeight, kernelWidth) = try kernelSize(parts[2], form)
      let o = try options(parts[3...], allowed: transposed ? ["s", "p", "op", "d"] : ["s", "p", "d"], form)
      if let s = o["s"] { stride = try positive(s, "stride", form) }
      strideWidth = stride
      if let d = o["d"] { dilation = try positive(d, "dilation", form) }
      if let p = o["p"] {
        padding = !transposed && p.lowercased() == "same" ? .same : .uniform(try positive(p, "padding", form, minimum: 0))
      }
      if let op = o["op"] {
        outputPadding = try positive(op, "output padding", form, minimum: 0)
        guard outputPadding < Swift.max(stride, dilation) else {
          throw fail("output padding \(outputPadding) must be smaller than the stride or the dilation", form)
        }
      }
    case "pool":
      let form = ShapeStage.grammar[1]
      guard parts.count >= 3 else { throw fail("pool needs a kind (max, avg or min) and a size K", form) }
      let kinds: [String: PoolingKind] = ["max": .max, "avg": .average, "average": .average, "min": .min]
      guard let p = kinds[parts[1].lowercased()] else {
        throw fail("pooling '\(parts[1])' is not max, avg or min", form)
      }
      kind = .pool(p)
      (kernelHeight, kernelWidth) = try kernelSize(parts[2], form)
      (stride, strideWidth) = (kernelHeight, kernelWidth)
      let o = try options(parts[3...], allowed: ["s"], form)
      if let s = o["s"] { stride = try positive(s, "stride", form); strideWidth = stride }
    case "upsample":
      let form = ShapeStage.grammar[2]
      guard parts.count == 2 else { throw fail("upsample takes one factor F", form) }
      kind = .upsample(factor: try positive(parts[1], "factor", form))
    default:
      throw ConvolveError.invalidArgument(
        "stage '\(spec)': unknown stage '\(parts[0])'; allowed: " + ShapeStage.grammar.joined(separator: ", "))
    }
  }

  /// Padding before and after along an axis with a kernel of size `k`.
  func pads(kernel k: Int) -> (Int, Int) {
    switch padding {
    case .explicit(let p): return (p.top, p.bottom)
    case .same: let total = dilation * (k - 1); return (total / 2, total - total / 2)
    }
  }

  /// Output height and width from the executors' own geometry (`LayerGeometry`, `Pooling`,
  /// `TransposedGeometry`), rounding down, so `shape` and the commands cannot disagree.
  func outputSize(height h: Int, width w: Int) throws -> (height: Int, width: Int) {
    let (top, bottom) = pads(kernel: kernelHeight), (left, right) = pads(kernel: kernelWidth)
    let padding = Padding(top: top, bottom: bottom, left: left, right: right)
    switch kind {
    case .conv:
      return try LayerGeometry(
        stride: (stride, strideWidth), padding: .explicit(padding), dilation: (dilation, dilation), groups: 1,
        floor: true
      ).outputSize(inputHeight: h, inputWidth: w, kernelHeight: kernelHeight, kernelWidth: kernelWidth)
    case .pool(let p):
      return try Pooling(
        p, kernelHeight: kernelHeight, kernelWidth: kernelWidth, strideY: stride, strideX: strideWidth,
        padding: padding, rounding: .floor
      ).outputSize(inputHeight: h, inputWidth: w)
    case .transposedConv:
      return try TransposedGeometry(stride: stride, padding: top, outputPadding: outputPadding, dilation: dilation)
        .outputSize(inputHeight: h, inputWidth: w, kernelHeight: kernelHeight, kernelWidth: kernelWidth)
    case .upsample(let f):
      return (h * f, w * f)
    }
  }
}

/// The shape of a map as the lecture writes it, `28x28x6`.
private func shapeText(_ h: Int, _ w: Int, _ c: Int) -> String { "\(h)x\(w)x\(c)" }

/// One axis through a sliding window: the formula with numbers, and the size or why it does not fit.
private struct SlidingAxis {
  let formula: String
  let value: Int
  let remainder: Int
  let exact: Double
  let suggestion: String

  init(n: Int, k: Int, stride s: Int, pads: (Int, Int), dilation d: Int, stage: String) throws {
    let extent = d * (k - 1) + 1
    let span = n + pads.0 + pads.1 - extent
    func expression(_ before: Int, _ after: Int) -> String {
      let padTerm = before == after ? (before == 0 ? "" : " + 2*\(before)") : " + \(before) + \(after)"
      return "(\(n)\(padTerm) - \(extent))/\(s) + 1"
    }
    formula = "(N + 2P - F)/S + 1 = " + expression(pads.0, pads.1)
    guard span >= 0 else {
      throw ConvolveError.shapeMismatch(
        "stage \(stage): the \(extent)-wide filter\(d > 1 ? " (dilated)" : "") is larger than the padded input "
          + "\(n + pads.0 + pads.1): " + expression(pads.0, pads.1) + " = \(Double(span) / Double(s) + 1)")
    }
    remainder = span % s
    exact = Double(span) / Double(s) + 1
    value = span / s + 1
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

/// The output shape after each stage and the parameter count, with every formula's numbers filled in.
///
/// A stride that does not fit (the lecture's 7x7 input, 3x3 filter, stride 3: `(7 - 3)/3 + 1 = 2.33`) throws
/// `ConvolveError.shapeMismatch` with the fractional value and the smallest padding that fits; with `floor`
/// the report says so and continues with the size rounded down.
public func shapeReport(input: (height: Int, width: Int, channels: Int), stages: [String], floor: Bool = false) throws
  -> String
{
  guard input.height > 0, input.width > 0, input.channels > 0 else {
    throw ConvolveError.invalidArgument(
      "input shape \(shapeText(input.height, input.width, input.channels)) must be at least 1 in every dimension")
  }
  let parsed = try stages.map { try ShapeStage(parsing: $0) }
  var (h, w, c) = input
  var total = 0
  var out = ["Input: \(shapeText(h, w, c))"]
  for (index, stage) in parsed.enumerated() {
    let label = "\(index + 1) \(stage.spec)"
    let (kh, kw) = (stage.kernelHeight, stage.kernelWidth)
    let inC = c
    var lines: [String] = []
    var params = 0
    var axisLines: [(String, String)] = []  // (formula, result) for height and width
    switch stage.kind {
    case .conv, .pool:
      let (filters, title): (Int?, String)
      switch stage.kind {
      case .conv(let n):
        filters = n
        title = "\(n) filter\(n == 1 ? "" : "s") \(kh)x\(kw)x\(c)"
      case .pool(let p):
        filters = nil
        title = "\(p == .average ? "avg" : p.rawValue) pooling \(kh)x\(kw)"
      default: fatalError("unreachable")
      }
      let padText: String
      switch stage.padding {
      case .same: padText = ", pad same"
      case .explicit(let p): padText = filters == nil ? "" : ", pad \(p.top)"
      }
      let strideText = stage.stride == stage.strideWidth ? "\(stage.stride)" : "\(stage.stride)x\(stage.strideWidth)"
      lines.append("\(index + 1). \(stage.spec)  (\(title), stride \(strideText)\(padText)"
        + (stage.dilation > 1 ? ", dilation \(stage.dilation)" : "") + ")")
      if stage.dilation > 1 {
        lines.append("   F = D(K-1) + 1 = \(stage.dilation)(\(kh)-1) + 1 = \(stage.dilation * (kh - 1) + 1)"
          + (kh == kw ? "" : ", \(stage.dilation)(\(kw)-1) + 1 = \(stage.dilation * (kw - 1) + 1)"))
      }
      for (n, k, s, axis) in [(h, kh, stage.stride, "height"), (w, kw, stage.strideWidth, "width")] {
        let a = try SlidingAxis(
          n: n, k: k, stride: s, pads: stage.pads(kernel: k), dilation: stage.dilation,
          stage: label)
        if a.remainder == 0 {
          axisLines.append((a.formula, "\(a.value)"))
        } else {
          let filterText = "\(kh)x\(kw) " + (filters == nil ? "window" : "filter")
          let why = "\(a.formula) = \(a.exactText) doesn't fit: cannot apply a \(filterText) on a \(h)x\(w) input"
            + " with stride \(s)" + (h == w && kh == kw && stage.stride == stage.strideWidth ? "" : " along the \(axis)")
          guard floor else {
            throw ConvolveError.shapeMismatch(
              "stage \(label): \(why); \(a.suggestion) (or use floor rounding to get \(a.value))")
          }
          axisLines.append((a.formula, "\(a.exactText) doesn't fit; floor drops the last \(a.remainder) input "
            + "sample\(a.remainder == 1 ? "" : "s"): \(a.value)   [\(a.suggestion)]"))
        }
      }
      (h, w) = try stage.outputSize(height: h, width: w)
      if let n = filters {
        params = kh * kw * c * n + n
        c = n
      }
    case .upsample(let f):
      lines.append("\(index + 1). \(stage.spec)  (nearest upsampling by \(f))")
      axisLines = [("N*F = \(h)*\(f)", "\(h * f)"), ("N*F = \(w)*\(f)", "\(w * f)")]
      (h, w) = try stage.outputSize(height: h, width: w)
    case .transposedConv(let n):
      let (s, d, op) = (stage.stride, stage.dilation, stage.outputPadding)
      let p = stage.pads(kernel: kh).0
      lines.append("\(index + 1). \(stage.spec)  (transposed convolution, \(n) filter\(n == 1 ? "" : "s") \(kh)x\(kw)x\(c)"
        + ", stride \(s), pad \(p)" + (op > 0 ? ", output pad \(op)" : "") + (d > 1 ? ", dilation \(d)" : "") + ")")
      for (size, k) in [(h, kh), (w, kw)] {
        let value = s * (size - 1) + d * (k - 1) + 1 - 2 * p + op
        let formula = "S(N-1) + D(K-1) + 1 - 2P + OP = \(s)*(\(size)-1) + \(d)*(\(k)-1) + 1 - 2*\(p) + \(op)"
        guard value >= 1 else {
          throw ConvolveError.shapeMismatch("stage \(label): \(formula) = \(value); the output must be at least 1")
        }
        axisLines.append((formula, "\(value)"))
      }
      (h, w) = try stage.outputSize(height: h, width: w)
      params = kh * kw * c * n + n
      c = n
    }
    if axisLines[0] == axisLines[1] {
      lines.append("   H, W: \(axisLines[0].0) = \(axisLines[0].1)")
    } else {
      lines.append("   H: \(axisLines[0].0) = \(axisLines[0].1)")
      lines.append("   W: \(axisLines[1].0) = \(axisLines[1].1)")
    }
    lines.append("   output: \(shapeText(h, w, c))")
    switch stage.kind {
    case .conv(let n), .transposedConv(let n):
      let perFilter = kh * kw * inC + 1
      lines.append("   parameters: \(kh)*\(kw)*\(inC)*\(n) + \(n) = \(params)"
        + " (each filter \(kh)*\(kw)*\(inC) + 1 = \(perFilter), \(perFilter)*\(n) = \(params))")
    default:
      lines.append("   parameters: 0")
    }
    total += params
    out.append(contentsOf: lines)
  }
  out.append("Output: \(shapeText(h, w, c))")
  out.append("Total parameters: \(total)")
  return out.joined(separator: "\n")
}
