import ConvolveCore

/// One axis of a receptive field, in input pixels (pixel `i` is centred at `i`), composed from the input to a
/// value by the lecture's formulas. Through a window of `k` taps, stride `s`, dilation `d`, `p` pixels of
/// padding before:
///
///     size  r = r_in + (k − 1)·d·j_in
///     jump  j = j_in·s
///     start   = start_in + (d(k − 1)/2 − p)·j_in      (centre of the first output's field)
///
/// A transposed convolution divides the jump (`j = j_in / s`, `r = r_in + (k − 1)·d·j_in / s`,
/// `start = start_in + (p − d(k − 1)/2)·j_in / s`); a resize by `f` maps output `o` to input `a + o/f` and
/// adds the pixels its interpolation reads (one step for nearest, two for linear), so those two are bounds.
/// `first` and `last` are the input pixels some output position reads at all: a field is clipped to them (the
/// photo's edge, and the rows a stride leaves unused).
public struct FieldAxis: Equatable, Sendable {
  public var size: Double
  /// Input pixels between neighbouring output positions (the effective stride).
  public var jump: Double
  /// Centre of output position 0's field; negative when it starts in padding.
  public var start: Double
  public var first: Double
  public var last: Double
  /// A resize on the way clamps coordinates at the edges: a field reaching past one reads a whole field there.
  public var clamps = false

  public init(size: Double, jump: Double, start: Double, first: Double, last: Double, clamps: Bool = false) {
    (self.size, self.jump, self.start, self.first, self.last, self.clamps) = (size, jump, start, first, last, clamps)
  }

  /// The input itself: `n` pixels, each its own field.
  public static func input(length n: Int) -> FieldAxis {
    FieldAxis(size: 1, jump: 1, start: 0, first: 0, last: Double(max(0, n - 1)))
  }

  /// Centre of output position `i`'s field.
  public func center(_ i: Int) -> Double { start + Double(i) * jump }

  /// The input pixels output position `i` reads: the field around its centre, clipped to `first ... last`.
  /// After a resize, which clamps its coordinates, a field reaching past an edge also holds a whole field
  /// against that edge.
  public func pixels(_ i: Int) -> ClosedRange<Int> {
    let half = (size - 1) / 2
    var (lo, hi) = (center(i) - half, center(i) + half)
    if clamps && hi > last { lo = min(lo, last - 2 * half) }
    if clamps && lo < first { hi = max(hi, first + 2 * half) }
    lo = max(first, (lo - 1e-9).rounded(.up))
    hi = min(last, (hi + 1e-9).rounded(.down))
    return Int(lo) ... Int(max(lo, hi))
  }

  /// After a window of `kernel` taps, `stride`, `dilation`, `padBefore`, with `outputs` positions.
  public func window(kernel k: Int, stride s: Int, padBefore p: Int, dilation d: Int, outputs n: Int) -> FieldAxis {
    let extent = Double(d * (k - 1))
    return FieldAxis(
      size: size + extent * jump, jump: jump * Double(s), start: start + (extent / 2 - Double(p)) * jump, first: first,
      last: last, clamps: clamps
    ).clipped(outputs: n)
  }

  /// After a transposed convolution (see the type's formulas).
  public func transposed(kernel k: Int, stride s: Int, padBefore p: Int, dilation d: Int, outputs n: Int) -> FieldAxis {
    let extent = Double(d * (k - 1)), s = Double(s)
    return FieldAxis(
      size: size + extent * jump / s, jump: jump / s, start: start + (Double(p) - extent / 2) * jump / s, first: first,
      last: last, clamps: clamps
    ).clipped(outputs: n)
  }

  /// After nearest upsampling by `factor` as PyTorch's `nearest` (input pixel `floor(o / factor)`): a bound,
  /// one input step wider.
  public func upsampledNearest(factor: Double, outputs n: Int) -> FieldAxis {
    resized(offset: 0, step: 1 / factor, shift: -0.5, taps: 1, outputs: n)
  }

  /// After a resize whose output `o` reads input coordinate `offset + o·step` through `taps` extra steps
  /// around `offset + shift`.
  func resized(offset: Double, step: Double, shift: Double, taps: Double, outputs n: Int) -> FieldAxis {
    FieldAxis(size: size + taps * jump, jump: jump * step, start: start + (offset + shift) * jump, first: first, last: last,
      clamps: true)
  }

  /// The whole covered input as one field (global pools, fully connected layers).
  var whole: FieldAxis {
    FieldAxis(size: last - first + 1, jump: last - first + 1, start: (first + last) / 2, first: first, last: last, clamps: clamps)
  }

  /// Narrows `first ... last` to what the `n` output positions' fields reach.
  func clipped(outputs n: Int) -> FieldAxis {
    var out = self
    let half = (size - 1) / 2
    out.first = max(first, center(0) - half)
    out.last = min(last, center(max(0, n - 1)) + half)
    return out
  }

  /// The smallest field holding both (inputs added, multiplied or concatenated): exact when the jumps agree;
  /// otherwise the larger jump, with the size that holds both fields at the first and last of `n` positions.
  func union(_ other: FieldAxis, outputs n: Int) -> FieldAxis {
    func hull(_ i: Int) -> (Double, Double) {
      let a = (center(i) - (size - 1) / 2, center(i) + (size - 1) / 2)
      let b = (other.center(i) - (other.size - 1) / 2, other.center(i) + (other.size - 1) / 2)
      return (min(a.0, b.0), max(a.1, b.1))
    }
    let h0 = hull(0)
    var out = FieldAxis(
      size: h0.1 - h0.0 + 1, jump: max(jump, other.jump), start: (h0.0 + h0.1) / 2, first: min(first, other.first),
      last: max(last, other.last), clamps: clamps || other.clamps)
    if jump != other.jump {
      let h1 = hull(max(0, n - 1))
      let reach = max(abs(h1.0 - out.center(max(0, n - 1))), abs(h1.1 - out.center(max(0, n - 1))))
      out.size = max(out.size, 2 * reach + 1)
    }
    return out
  }

  /// `35`, `7.5`: a number as short as it is exact.
  public static func text(_ v: Double) -> String {
    if v == v.rounded() && abs(v) < 1e15 { return String(Int(v)) }
    var s = String(format: "%.3f", v)
    while s.hasSuffix("0") { s.removeLast() }
    return s
  }
}

/// The receptive field of one position of a value: where, in the input photo, what it sees comes from.
public struct ReceptiveField: Equatable, Sendable {
  public var y: FieldAxis
  public var x: FieldAxis
  /// The value depends on the whole input (after a global pool, a fully connected layer).
  public var isGlobal = false
  /// A 1×1 map broadcast over this value fed into it (squeeze-and-excitation gates, global context): it scales
  /// the local field and is left out of it, or every layer after the first such gate would see the whole photo.
  public var globalContext = false

  public init(y: FieldAxis, x: FieldAxis) { (self.y, self.x) = (y, x) }

  /// `rf`, `jump` and `start` as short text: one number when both axes agree, `HxW` (`y,x` for start) when not.
  public var sizeText: String { pairText(y.size, x.size, "x") }
  public var jumpText: String { pairText(y.jump, x.jump, "x") }
  public var startText: String { pairText(y.start, x.start, ",") }

  /// The `rf`, `jump` and `start` columns of a table: `all` and two empty ones for a global field; `rf` marked
  /// `*` when a global gate was left out of it.
  public var columns: [String] {
    isGlobal ? ["all", "", ""] : [sizeText + (globalContext ? "*" : ""), jumpText, startText]
  }

  private func pairText(_ a: Double, _ b: Double, _ separator: String) -> String {
    a == b ? FieldAxis.text(a) : FieldAxis.text(a) + separator + FieldAxis.text(b)
  }
}

extension ExecutionPlan {
  /// The receptive field of every value that an `N×C×H×W` graph input reaches through spatial operators, by
  /// value name; values with no field (shape arithmetic, vectors after a reshape of unknown meaning) are absent.
  ///
  /// Each operator's `receptiveField(_:)` gives its rule. Conv, MaxPool and AveragePool (dilation, auto_pad, ceil mode) are windows; ConvTranspose and
  /// Resize/Upsample (every coordinate mode, nearest and linear) as `FieldAxis` says; Pad shifts the field;
  /// global pools, Flatten, Gemm and other operators that change the spatial size otherwise make the field the
  /// whole covered input; everything else keeps its spatial size and takes the union of its inputs' fields
  /// (element-wise operators, BatchNormalization, activations, Concat: a Concat's channels all get the union).
  public func receptiveFields() -> [String: ReceptiveField] {
    var fields: [String: ReceptiveField] = [:]
    for input in graph.inputs {
      guard let shape = types[input.name]?.shape, shape.count == 4 else { continue }
      fields[input.name] = ReceptiveField(y: .input(length: shape[2]), x: .input(length: shape[3]))
    }
    guard let order = try? graph.topologicalOrder() else { return fields }
    for index in order {
      let node = graph.nodes[index]
      guard let output = node.outputs.first, !output.isEmpty, let outType = types[output], outType.isStatic else { continue }
      let outShape = outType.shape
      let fed = node.inputs.compactMap { name in fields[name].map { (name: name, field: $0) } }
      guard !fed.isEmpty, let inShape = types[fed[0].name]?.shape else { continue }
      let context = FieldContext(
        node: node, opset: graph.opsetVersion, fed: fed, inShape: inShape, outShape: outShape, types: types,
        constants: constants)
      let field: ReceptiveField?
      if OperatorRegistry.isSupported(node) {
        field = try? OperatorRegistry.make(node, opset: graph.opsetVersion).receptiveField(context)
      } else {
        field = context.merged()
      }
      if let field {
        for name in node.outputs where !name.isEmpty && types[name]?.shape.count == outShape.count { fields[name] = field }
      }
    }
    return fields
  }
}

/// What an operator's receptive-field rule sees of one node: the fields of the inputs the graph input reaches
/// (`fed`, in input order), the shapes around it and the plan's constants.
struct FieldContext {
  let node: Node
  let opset: Int
  let fed: [(name: String, field: ReceptiveField)]
  /// The shape of the first fed input.
  let inShape: [Int]
  let outShape: [Int]
  let types: [String: ValueType]
  let constants: [String: GraphTensor]

  /// Both the fed input and the output are `N×C×H×W`: a spatial rule applies.
  var spatial: Bool { outShape.count == 4 && inShape.count == 4 }
  var outSize: (h: Int, w: Int) { spatial ? (outShape[2], outShape[3]) : (1, 1) }
  /// The first fed input's field, which spatial rules transform.
  var field: ReceptiveField { fed[0].field }

  func shape(ofInput i: Int) -> [Int]? { i < node.inputs.count ? types[node.inputs[i]]?.shape : nil }
  func constant(_ i: Int) -> GraphTensor? { i < node.inputs.count ? constants[node.inputs[i]] : nil }

  /// The rule of every operator without its own: the same spatial size takes the union of the inputs' fields
  /// (a 1×1 input broadcast over a larger map is global context, left out); a smaller one (global pools,
  /// Flatten, Gemm) the whole covered input.
  func merged() -> ReceptiveField {
    let (oh, ow) = outSize
    let sameSize = spatial && inShape[2] == oh && inShape[3] == ow
    var local = fed.filter { item in
      guard let s = types[item.name]?.shape else { return false }
      return !(spatial && s.count == 4 && s[2] * s[3] == 1 && oh * ow > 1)
    }
    if local.isEmpty { local = fed }
    var field = local[0].field
    field.globalContext = fed.contains { $0.field.globalContext } || local.count < fed.count
    for item in local.dropFirst() {
      field.y = field.y.union(item.field.y, outputs: oh)
      field.x = field.x.union(item.field.x, outputs: ow)
      field.isGlobal = field.isGlobal || item.field.isGlobal
    }
    let kept = local.allSatisfy { item in
      guard let s = types[item.name]?.shape, s.count == 4, spatial else { return false }
      return (s[2] == oh && s[3] == ow) || s[2] * s[3] == 1
    }
    if !(sameSize || kept) {
      field.y = field.y.whole
      field.x = field.x.whole
      field.isGlobal = true
    }
    return field
  }
}
