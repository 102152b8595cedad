import ConvolveCNN
import ConvolveCore
import Foundation

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
