import ConvolveCNN
import ConvolveCore
import Foundation

/// The order an input size is written in: the lecture's `HxWxC` (`32x32x3`) or PyTorch's `CxHxW` (`3x224x224`).
public enum ShapeOrder: String, Sendable {
  case hwc, chw
}

/// The input of `shapeReport`: a map's height, width and channels, and how the user wrote it (the report
/// writes every shape the same way).
public struct ShapeInput: Equatable, Sendable {
  public var height: Int, width: Int, channels: Int
  /// PyTorch's batch size when given as `NxCxHxW`; shapes are then written with it in front.
  public var batch: Int?
  public var order: ShapeOrder

  public init(height: Int, width: Int, channels: Int, order: ShapeOrder = .hwc, batch: Int? = nil) {
    (self.height, self.width, self.channels, self.order, self.batch) = (height, width, channels, order, batch)
  }

  /// How three numbers are read, for help and errors.
  public static let orderRule =
    "HxW is one channel; AxBxC is the lecture's HxWxC (32x32x3) unless A is at most 4 and B and C are both "
    + "larger than 4, which is PyTorch's CxHxW (3x224x224); NxCxHxW is PyTorch's with a batch size"

  /// Largest number accepted in a size or a stage, so that no formula the report shows can overflow.
  static let largest = Int(Int32.max)

  /// Parses `HxW`, `HxWxC`, `CxHxW` or `NxCxHxW` (separators `x`, `×`, `,` or spaces; brackets ignored, so
  /// `[1, 3, 224, 224]` works). Three numbers follow `orderRule` unless `order` says which.
  public init(parsing text: String, order forced: ShapeOrder? = nil) throws {
    let cleaned = text.lowercased().map { "x×, ".contains($0) ? " " : "[]()".contains($0) ? " " : $0 }
    let words = String(cleaned).split(separator: " ")
    let numbers = words.map { Int($0) }
    func fail(_ why: String) -> ConvolveError {
      .invalidArgument(
        "input size '\(text)' \(why); write HxWxC (the lecture's 32x32x3), CxHxW (PyTorch's 3x224x224), NxCxHxW or HxW")
    }
    guard (2 ... 4).contains(numbers.count), numbers.allSatisfy({ $0 != nil }) else {
      throw fail("is not 2 to 4 whole numbers")
    }
    let n = numbers.map { $0! }
    guard n.allSatisfy({ (1 ... ShapeInput.largest).contains($0) }) else {
      throw fail("has a number outside 1 to \(ShapeInput.largest)")
    }
    switch n.count {
    case 2: self.init(height: n[0], width: n[1], channels: 1, order: forced ?? .hwc)
    case 3:
      let order = forced ?? (n[0] <= 4 && n[1] > 4 && n[2] > 4 ? .chw : .hwc)
      self = order == .chw
        ? ShapeInput(height: n[1], width: n[2], channels: n[0], order: .chw)
        : ShapeInput(height: n[0], width: n[1], channels: n[2], order: .hwc)
    default:
      guard forced != .hwc else { throw fail("has 4 numbers, which are PyTorch's NxCxHxW") }
      self.init(height: n[2], width: n[3], channels: n[1], order: .chw, batch: n[0])
    }
  }

  /// A shape written as the input was: `28x28x6`, `6x28x28` or `1x6x28x28`.
  public func text(_ h: Int, _ w: Int, _ c: Int) -> String {
    switch order {
    case .hwc: return "\(h)x\(w)x\(c)"
    case .chw: return (batch.map { "\($0)x" } ?? "") + "\(c)x\(h)x\(w)"
    }
  }

  /// How the numbers were read, e.g. `3x224x224 (C x H x W: 3 channels of 224x224)`.
  var described: String {
    let what = "\(channels) channel\(channels == 1 ? "" : "s") of \(height)x\(width)"
    switch order {
    case .hwc: return "\(text(height, width, channels)) (H x W x C: \(what))"
    case .chw:
      return "\(text(height, width, channels)) (\(batch == nil ? "" : "N x ")C x H x W: "
        + (batch.map { "a batch of \($0), " } ?? "") + "\(what))"
    }
  }
}

/// One stage of a network for `shapeReport`, parsed from a compact spec in the words of pipeline files
/// (see `grammar`).
public struct ShapeStage: Equatable, Sendable {
  public enum Kind: Equatable, Sendable {
    case conv(filters: Int)
    case pool(PoolingKind)
    case upsample(factor: Double)
    case transposedConv(filters: Int)
    case activation(Activation)
    case globalAveragePool
    case flatten
    case fullyConnected(outputs: Int)
  }

  /// The spec as written.
  public var spec: String
  public var kind: Kind
  public var kernelHeight = 1, kernelWidth = 1
  /// The stride along the height; `strideWidth` along the width.
  public var stride = 1
  public var strideWidth = 1
  /// Explicit or `same` (`D(K-1)` in all, the extra sample of an even kernel after).
  public var padding = LayerPadding.uniform(0)
  public var dilation = 1
  public var outputPadding = 0
  public var groups = 1
  /// This stage's rounding, when it names one (`ceil` on a pool); else the report's.
  public var rounding: SizeRounding?

  /// What each kind of stage accepts, for error messages and help.
  public static let grammar = [
    "conv:N:K[xK2][:s=S][:p=P|same][:d=D][:g=G]", "pool:max|avg|min:K[xK2][:s=S][:p=P][:ceil]", "upsample:F",
    "convT:N:K[xK2][:s=S][:p=P][:op=OP][:d=D][:g=G]", "fc:N", "flatten", "gap",
    "relu|leaky-relu[:A]|sigmoid|tanh|elu[:A]|maxout:K",
  ]

  /// Parses a spec such as `conv:10:5:s=1:p=2`; errors name the spec and what is allowed.
  public init(parsing spec: String) throws {
    self.spec = spec
    var parts = spec.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
      .map { String($0).trimmingCharacters(in: .whitespaces) }
    if parts[0].lowercased() == "activation" && parts.count > 1 { parts.removeFirst() }
    let name = parts[0].lowercased()
    func fail(_ why: String, _ form: String) -> ConvolveError {
      .invalidArgument("stage '\(spec)': \(why); expected \(form)")
    }
    func positive(_ text: String, _ what: String, _ form: String, minimum: Int = 1) throws -> Int {
      guard let v = Int(text), v >= minimum, v <= ShapeInput.largest else {
        throw fail("\(what) '\(text)' is not a whole number from \(minimum) to \(ShapeInput.largest)", form)
      }
      return v
    }
    func pair(_ text: String, _ what: String, _ form: String) throws -> (Int, Int) {
      let sides = text.lowercased().split(separator: "x", omittingEmptySubsequences: false).map(String.init)
      guard sides.count <= 2 else { throw fail("\(what) '\(text)' is not K or KxK2", form) }
      let k = try positive(sides[0], what, form)
      return (k, sides.count == 2 ? try positive(sides[1], what, form) : k)
    }
    func options(_ rest: ArraySlice<String>, allowed: [String], flags: [String] = [], _ form: String) throws
      -> [String: String]
    {
      var found: [String: String] = [:]
      for option in rest {
        let kv = option.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let key = kv[0].lowercased()
        guard kv.count == 2 ? allowed.contains(key) : flags.contains(key) else {
          throw fail(
            "option '\(option)' is not one of " + (allowed.map { "\($0)=" } + flags).joined(separator: ", "), form)
        }
        guard found[key] == nil else { throw fail("option '\(kv[0])' is given twice", form) }
        found[key] = kv.count == 2 ? kv[1] : ""
      }
      return found
    }
    switch name {
    case "conv", "convt", "conv-transpose", "convtranspose":
      let transposed = name != "conv"
      let form = ShapeStage.grammar[transposed ? 3 : 0]
      guard parts.count >= 3 else { throw fail("\(parts[0]) needs a filter count N and a kernel size K", form) }
      let n = try positive(parts[1], "filter count", form)
      kind = transposed ? .transposedConv(filters: n) : .conv(filters: n)
      (kernelHeight, kernelWidth) = try pair(parts[2], "kernel size", form)
      let o = try options(parts[3...], allowed: transposed ? ["s", "p", "op", "d", "g"] : ["s", "p", "d", "g"], form)
      if let s = o["s"] {
        (stride, strideWidth) = transposed ? try { let v = try positive(s, "stride", form); return (v, v) }() : try pair(s, "stride", form)
      }
      if let d = o["d"] { dilation = try positive(d, "dilation", form) }
      if let g = o["g"] { groups = try positive(g, "groups", form) }
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
      (kernelHeight, kernelWidth) = try pair(parts[2], "kernel size", form)
      (stride, strideWidth) = (kernelHeight, kernelWidth)
      let o = try options(parts[3...], allowed: ["s", "p"], flags: ["ceil"], form)
      if let s = o["s"] { (stride, strideWidth) = try pair(s, "stride", form) }
      if let p = o["p"] { padding = .uniform(try positive(p, "padding", form, minimum: 0)) }
      if o["ceil"] != nil { rounding = .ceil }
    case "upsample":
      let form = ShapeStage.grammar[2]
      guard parts.count == 2 else { throw fail("upsample takes one factor F", form) }
      guard let f = Double(parts[1]), f.isFinite, f > 0, f <= Double(ShapeInput.largest) else {
        throw fail("factor '\(parts[1])' is not a positive number", form)
      }
      kind = .upsample(factor: f)
    case "fc", "linear":
      let form = ShapeStage.grammar[4]
      guard parts.count == 2 else { throw fail("\(parts[0]) takes one output count N", form) }
      kind = .fullyConnected(outputs: try positive(parts[1], "output count", form))
    case "flatten":
      guard parts.count == 1 else { throw fail("flatten takes nothing", ShapeStage.grammar[5]) }
      kind = .flatten
    case "gap", "global-avg-pool", "globalavgpool":
      guard parts.count == 1 else { throw fail("\(parts[0]) takes nothing", ShapeStage.grammar[6]) }
      kind = .globalAveragePool
    default:
      guard let activation = try? Activation(parsing: parts.joined(separator: ":")) else {
        if ["relu", "leaky-relu", "sigmoid", "tanh", "elu", "maxout"].contains(name) {
          // A known activation with a bad argument: its own message.
          _ = try Activation(parsing: parts.joined(separator: ":"))
        }
        throw ConvolveError.invalidArgument(
          "stage '\(spec)': unknown stage '\(parts[0])'; allowed: " + ShapeStage.grammar.joined(separator: ", "))
      }
      kind = .activation(activation)
    }
  }

  /// Padding before and after along an axis with a kernel of size `k`.
  func pads(kernel k: Int) -> (Int, Int) {
    switch padding {
    case .explicit(let p): return (p.top, p.bottom)
    case .same: let total = dilation * (k - 1); return (total / 2, total - total / 2)
    }
  }

  /// The output channels, height and width from the executors' own geometry (`LayerGeometry`, `Pooling`,
  /// `TransposedGeometry`, `upsampledSize`, `Activation.outputChannels`), so `shape` and the commands
  /// cannot disagree. `rounding` applies where the stage names none; `.ceil` only to pools.
  func output(channels c: Int, height h: Int, width w: Int, rounding: SizeRounding) throws
    -> (channels: Int, height: Int, width: Int)
  {
    switch kind {
    case .conv(let n):
      try checkGroups(inputs: c, outputs: n)
      let size = try layerGeometry(rounding).outputSize(
        inputHeight: h, inputWidth: w, kernelHeight: kernelHeight, kernelWidth: kernelWidth)
      return (n, size.height, size.width)
    case .pool:
      let size = try pooling(rounding).outputSize(inputHeight: h, inputWidth: w)
      return (c, size.height, size.width)
    case .transposedConv(let n):
      try checkGroups(inputs: c, outputs: n)
      let size = try TransposedGeometry(
        stride: stride, padding: pads(kernel: kernelHeight).0, outputPadding: outputPadding, dilation: dilation,
        groups: groups
      ).outputSize(inputHeight: h, inputWidth: w, kernelHeight: kernelHeight, kernelWidth: kernelWidth)
      return (n, size.height, size.width)
    case .upsample(let f):
      let size = try upsampledSize(height: h, width: w, scaleY: f, scaleX: f)
      guard size.height > 0 && size.width > 0 else {
        throw ConvolveError.invalidArgument("upsampling \(h)x\(w) by \(f) gives \(size.height)x\(size.width); it must be at least 1x1")
      }
      return (c, size.height, size.width)
    case .activation(let a): return (try a.outputChannels(c), h, w)
    case .globalAveragePool: return (c, 1, 1)
    case .flatten: return (try CheckedSize.count([c, h, w], limit: .max, what: "flattened vector"), 1, 1)
    case .fullyConnected(let n):
      _ = try CheckedSize.count([c, h, w], limit: .max, what: "flattened vector")
      return (n, 1, 1)
    }
  }

  func layerGeometry(_ rounding: SizeRounding) -> LayerGeometry {
    let (top, bottom) = pads(kernel: kernelHeight), (left, right) = pads(kernel: kernelWidth)
    return LayerGeometry(
      stride: (stride, strideWidth), padding: .explicit(Padding(top: top, bottom: bottom, left: left, right: right)),
      dilation: (dilation, dilation), groups: groups, rounding: rounding == .ceil ? .floor : rounding)
  }

  func pooling(_ rounding: SizeRounding) -> Pooling {
    guard case .pool(let kind) = kind else { fatalError("not a pool stage") }
    let (top, bottom) = pads(kernel: kernelHeight), (left, right) = pads(kernel: kernelWidth)
    return Pooling(
      kind, kernelHeight: kernelHeight, kernelWidth: kernelWidth, strideY: stride, strideX: strideWidth,
      padding: Padding(top: top, bottom: bottom, left: left, right: right), rounding: self.rounding ?? rounding)
  }

  /// Groups divide both channel counts, with the layers' message.
  private func checkGroups(inputs c: Int, outputs n: Int) throws {
    guard c % groups == 0 && n % groups == 0 else {
      throw ConvolveError.shapeMismatch(
        "groups \(groups) must divide both the \(c) input channels and the \(n) output channels")
    }
  }
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
/// continues with the floored size. `.exact` throws `ConvolveError.shapeMismatch` with that explanation
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
      // Under .exact the lecture's explanation below is the message; other errors name the stage.
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
          guard stageRounding != .exact else {
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
    switch stage.kind {
    case .conv, .pool:
      let d = stage.dilation
      let axes = [(kh, stage.stride, stage.pads(kernel: kh).0), (kw, stage.strideWidth, stage.pads(kernel: kw).0)]
      for (i, (k, st, p)) in axes.enumerated() {
        let a = i == 0 ? y : x
        let b = a.window(kernel: k, stride: st, padBefore: p, dilation: d, outputs: 1)
        texts.append(
          ("rf = r + (K-1)*D*j = \(num(a.size)) + \(k - 1)*\(d)*\(num(a.jump)) = \(num(b.size)), "
            + "jump = j*S = \(num(a.jump))*\(st) = \(num(b.jump))",
          "start = start + (D(K-1)/2 - P)*j = \(num(a.start)) + (\(num(Double(d * (k - 1)) / 2)) - \(p))*\(num(a.jump)) = \(num(b.start))"))
        if i == 0 { y = b } else { x = b }
      }
    case .transposedConv:
      let (s, d, p) = (stage.stride, stage.dilation, stage.pads(kernel: kh).0)
      for (i, k) in [kh, kw].enumerated() {
        let a = i == 0 ? y : x
        let b = a.transposed(kernel: k, stride: s, padBefore: p, dilation: d, outputs: 1)
        texts.append(
          ("rf = r + (K-1)*D*j/S = \(num(a.size)) + \(k - 1)*\(d)*\(num(a.jump))/\(s) = \(num(b.size)), "
            + "jump = j/S = \(num(a.jump))/\(s) = \(num(b.jump))",
          "start = start + (P - D(K-1)/2)*j/S = \(num(a.start)) + (\(p) - \(num(Double(d * (k - 1)) / 2)))*\(num(a.jump))/\(s) = \(num(b.start))"))
        if i == 0 { y = b } else { x = b }
      }
    case .upsample(let f):
      for i in 0 ..< 2 {
        let a = i == 0 ? y : x
        let b = a.upsampledNearest(factor: f, outputs: 1)
        texts.append(
          ("rf = r + j = \(num(a.size)) + \(num(a.jump)) = \(num(b.size)) (nearest: one of F neighbours), "
            + "jump = j/F = \(num(a.jump))/\(num(f)) = \(num(b.jump))",
          "start = start - j/2 = \(num(a.start)) - \(num(a.jump / 2)) = \(num(b.start))"))
        if i == 0 { y = b } else { x = b }
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
