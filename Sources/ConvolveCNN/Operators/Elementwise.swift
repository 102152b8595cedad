import ConvolveCore
import Foundation

/// The NumPy broadcast of two shapes, or an error naming both.
public func broadcastShape(_ a: [Int], _ b: [Int]) throws -> [Int] {
  let rank = max(a.count, b.count)
  var out = [Int](repeating: 1, count: rank)
  for i in 0 ..< rank {
    let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
    let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
    guard da == db || da == 1 || db == 1 else {
      throw ConvolveError.shapeMismatch("shapes \(shapeText(a)) and \(shapeText(b)) do not broadcast together")
    }
    out[i] = da == 1 ? db : da
  }
  return out
}

/// A broadcast of two operands to an output shape, collapsed to as few dimensions as possible: the loop
/// runs `dims` with per-operand strides (0 on broadcast dimensions); the innermost is contiguous or 0.
struct BroadcastPlan {
  var dims: [Int] = []
  var aStrides: [Int] = []
  var bStrides: [Int] = []
  var count: Int

  init(_ a: [Int], _ b: [Int], output: [Int]) {
    let rank = output.count
    func strides(_ s: [Int]) -> [Int] {
      let padded = [Int](repeating: 1, count: rank - s.count) + s
      let full = stridesOf(padded)
      return (0 ..< rank).map { padded[$0] == 1 ? 0 : full[$0] }
    }
    let sa = strides(a), sb = strides(b)
    count = output.reduce(1, *)
    // Merge dimension i into the previous one when both operands keep a contiguous run across them.
    for i in 0 ..< rank where output[i] != 1 {
      if let last = dims.indices.last,
        aStrides[last] == sa[i] * output[i] && bStrides[last] == sb[i] * output[i]
      {
        dims[last] *= output[i]
        aStrides[last] = sa[i]
        bStrides[last] = sb[i]
      } else {
        dims.append(output[i])
        aStrides.append(sa[i])
        bStrides.append(sb[i])
      }
    }
    if dims.isEmpty {
      dims = [1]
      aStrides = [0]
      bStrides = [0]
    }
  }

  /// Runs `body(outOffset, aOffset, bOffset, n)` for every innermost run of `n` outputs.
  @inline(__always)
  func forEachRun(_ body: (Int, Int, Int) -> Void) {
    let inner = dims.count - 1
    if inner == 0 {
      body(0, 0, 0)
      return
    }
    forEachRun(0 ..< count / max(1, dims[inner]), body)
  }

  /// The same for the innermost runs numbered `runs` (outer index order), so that ranges of runs can go to
  /// different cores.
  @inline(__always)
  func forEachRun(_ runs: Range<Int>, _ body: (Int, Int, Int) -> Void) {
    let inner = dims.count - 1
    let n = dims[inner]
    var index = [Int](repeating: 0, count: inner)
    var ao = 0, bo = 0
    var rest = runs.lowerBound
    for d in stride(from: inner - 1, through: 0, by: -1) {
      index[d] = rest % dims[d]
      rest /= dims[d]
      ao += index[d] * aStrides[d]
      bo += index[d] * bStrides[d]
    }
    for r in runs {
      body(r * n, ao, bo)
      var d = inner - 1
      while d >= 0 {
        index[d] += 1
        ao += aStrides[d]
        bo += bStrides[d]
        if index[d] < dims[d] { break }
        ao -= aStrides[d] * dims[d]
        bo -= bStrides[d] * dims[d]
        index[d] = 0
        d -= 1
      }
    }
  }
}

protocol BinaryMath: SendableMetatype {
  associatedtype Element
  static func apply(_ a: Element, _ b: Element) -> Element
}

enum AddF: BinaryMath { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b } }
enum SubF: BinaryMath { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b } }
enum MulF: BinaryMath { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b } }
enum DivF: BinaryMath { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a / b } }
enum PowF: BinaryMath {
  @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float {
    b == 2 ? a * a : b == 1 ? a : Foundation.pow(a, b)
  }
}
enum MaxF: BinaryMath { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : Swift.max(a, b) } }
enum MinF: BinaryMath { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : Swift.min(a, b) } }
enum AddI: BinaryMath { @inline(__always) static func apply(_ a: Int64, _ b: Int64) -> Int64 { a &+ b } }
enum SubI: BinaryMath { @inline(__always) static func apply(_ a: Int64, _ b: Int64) -> Int64 { a &- b } }
enum MulI: BinaryMath { @inline(__always) static func apply(_ a: Int64, _ b: Int64) -> Int64 { a &* b } }
enum DivI: BinaryMath {
  // Division by zero is rejected before the loop; Int64.min / -1 wraps.
  @inline(__always) static func apply(_ a: Int64, _ b: Int64) -> Int64 { b == -1 ? 0 &- a : a / b }
}
enum PowI: BinaryMath {
  @inline(__always) static func apply(_ a: Int64, _ b: Int64) -> Int64 {
    if b < 0 { return a == 1 ? 1 : a == -1 ? (b & 1 == 0 ? 1 : -1) : 0 }
    var result: Int64 = 1, base = a, e = b
    while e > 0 {
      if e & 1 == 1 { result = result &* base }
      base = base &* base
      e >>= 1
    }
    return result
  }
}
enum MaxI: BinaryMath { @inline(__always) static func apply(_ a: Int64, _ b: Int64) -> Int64 { Swift.max(a, b) } }
enum MinI: BinaryMath { @inline(__always) static func apply(_ a: Int64, _ b: Int64) -> Int64 { Swift.min(a, b) } }

/// `out[i] = M(a[ia], b[ib])` over a broadcast plan; `out` may alias `a` when `a` has the output's shape.
func broadcastLoop<M: BinaryMath>(
  _: M.Type, _ plan: BroadcastPlan, _ a: UnsafePointer<M.Element>, _ b: UnsafePointer<M.Element>,
  _ out: UnsafeMutablePointer<M.Element>
) {
  let inner = plan.dims.count - 1
  let n = plan.dims[inner]
  let sa = plan.aStrides[inner], sb = plan.bStrides[inner]
  let shared = Shared((a, b, out))
  /// `count` outputs from `o` along the innermost axis, reading `a` from `ao` and `b` from `bo`.
  @Sendable @inline(__always) func run(_ o: Int, _ ao: Int, _ bo: Int, _ count: Int) {
    let (a, b, out) = shared.value
    let pa = a + ao, pb = b + bo, po = out + o
    if sa == 1 && sb == 1 {
      for i in 0 ..< count { po[i] = M.apply(pa[i], pb[i]) }
    } else if sa == 1 {
      let v = pb[0]
      for i in 0 ..< count { po[i] = M.apply(pa[i], v) }
    } else if sb == 1 {
      let v = pa[0]
      for i in 0 ..< count { po[i] = M.apply(v, pb[i]) }
    } else {
      let v = M.apply(pa[0], pb[0])
      for i in 0 ..< count { po[i] = v }
    }
  }
  if inner == 0 && n >= 1 << 16 {
    // One long run: split it across the cores.
    parallelRanges(n, minimumPerChunk: 1 << 15) { range in
      let lo = range.lowerBound
      run(lo, sa == 1 ? lo : 0, sb == 1 ? lo : 0, range.count)
    }
  } else if plan.count >= 1 << 16 && inner > 0 {
    // Many runs (a per-channel scale, a row broadcast): ranges of runs across the cores.
    let runs = plan.count / max(1, n)
    parallelRanges(runs, minimumPerChunk: Swift.max(1, (1 << 15) / Swift.max(1, n))) { range in
      plan.forEachRun(range) { run($0, $1, $2, n) }
    }
  } else {
    plan.forEachRun { run($0, $1, $2, n) }
  }
}

/// Add, Sub, Mul, Div, Pow (and Max, Min of two inputs) with NumPy broadcasting, on Float32 or Int64.
struct BinaryOperator: GraphOperator {
  enum Kind: String, CaseIterable { case add = "Add", sub = "Sub", mul = "Mul", div = "Div", pow = "Pow", max = "Max", min = "Min" }
  let kind: Kind

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    if (kind == .max || kind == .min) && inputs.count != 2 {
      throw ConvolveError.invalidArgument("\(kind.rawValue) is supported with two inputs; it has \(inputs.count)")
    }
    let a = try required(inputs, 0, "A"), b = try required(inputs, 1, "B")
    let shape = try broadcastShape(a.shape, b.shape)
    if kind != .pow && a.type.elementType != b.type.elementType {
      throw ConvolveError.invalidArgument(
        "inputs are \(a.type.elementType) and \(b.type.elementType); they must have the same element type")
    }
    return [ValueType(shape, a.type.elementType)]
  }

  func multiplyAdds(inputs: [ValueType?], outputs: [ValueType]) -> Int { outputs.first.map { $0.shape.reduce(1, *) } ?? 0 }

  func elementwiseStage(_ inputs: [KnownValue?]) -> (input: Int, stage: ElementwiseStage)? {
    guard inputs.count == 2, let a = inputs[0], let b = inputs[1], a.type.elementType == .float32,
      b.type.elementType == .float32
    else { return nil }
    if a.constant == nil, let c = constantScalar(inputs, 1), b.rank <= a.rank {
      switch kind {
      case .add: return (0, .add(c))
      case .sub: return (0, .sub(c))
      case .mul: return (0, .mul(c))
      case .div: return (0, .div(c))
      default: return nil
      }
    }
    if b.constant == nil, let c = constantScalar(inputs, 0), a.rank <= b.rank {
      switch kind {
      case .add: return (1, .add(c))
      case .sub: return (1, .reverseSub(c))
      case .mul: return (1, .mul(c))
      case .div: return (1, .reverseDiv(c))
      default: return nil
      }
    }
    return nil
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    var a = try inputs.take(0, "A")
    let b = try inputs.get(1, "B")
    let shape = try broadcastShape(a.shape, b.shape)
    let plan = BroadcastPlan(a.shape, b.shape, output: shape)
    let floatCase: Bool
    switch (a.storage, b.storage) {
    case (.float, .float): floatCase = true
    case (.float, .int64): floatCase = kind == .pow
    default: floatCase = false
    }
    if floatCase {
      let bv = try b.elementType == .float32 ? requireFloat(b) : b.floats
      let inPlace = a.shape == shape
      var av = a.takeFloats()
      var out = inPlace ? [] : uninitializedFloats(plan.count)
      func go<M: BinaryMath>(_ m: M.Type) where M.Element == Float {
        bv.withUnsafeBufferPointer { pb in
          if inPlace {
            av.withUnsafeMutableBufferPointer { pa in broadcastLoop(m, plan, pa.baseAddress!, pb.baseAddress!, pa.baseAddress!) }
          } else {
            av.withUnsafeBufferPointer { pa in
              out.withUnsafeMutableBufferPointer { po in broadcastLoop(m, plan, pa.baseAddress!, pb.baseAddress!, po.baseAddress!) }
            }
          }
        }
      }
      if plan.count > 0 {
        switch kind {
        case .add: go(AddF.self)
        case .sub: go(SubF.self)
        case .mul: go(MulF.self)
        case .div: go(DivF.self)
        case .pow: go(PowF.self)
        case .max: go(MaxF.self)
        case .min: go(MinF.self)
        }
      }
      return [GraphTensor(shape: shape, floats: inPlace ? av : out)]
    }
    switch (a.storage, b.storage) {
    case (.int64(let av), .int64(let bv)):
      if kind == .div && bv.contains(0) { throw ConvolveError.invalidArgument("integer division by zero") }
      var out = [Int64](repeating: 0, count: plan.count)
      func go<M: BinaryMath>(_ m: M.Type) where M.Element == Int64 {
        av.withUnsafeBufferPointer { pa in
          bv.withUnsafeBufferPointer { pb in
            out.withUnsafeMutableBufferPointer { po in broadcastLoop(m, plan, pa.baseAddress!, pb.baseAddress!, po.baseAddress!) }
          }
        }
      }
      if plan.count > 0 {
        switch kind {
        case .add: go(AddI.self)
        case .sub: go(SubI.self)
        case .mul: go(MulI.self)
        case .div: go(DivI.self)
        case .pow: go(PowI.self)
        case .max: go(MaxI.self)
        case .min: go(MinI.self)
        }
      }
      return [GraphTensor(shape: shape, int64s: out)]
    default:
      throw ConvolveError.invalidArgument("inputs are \(a.elementType) and \(b.elementType); they must have the same element type")
    }
  }
}

/// Elementwise functions of one input: Sqrt, Neg, Abs, Exp, Log, Reciprocal, Floor, Ceil, Erf, Sin, Cos.
struct MathUnaryOperator: GraphOperator {
  enum Kind: String, CaseIterable {
    case sqrt = "Sqrt", neg = "Neg", abs = "Abs", exp = "Exp", log = "Log", reciprocal = "Reciprocal"
    case floor = "Floor", ceil = "Ceil", erf = "Erf", sin = "Sin", cos = "Cos"
  }
  let kind: Kind

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "X")
    if x.type.elementType == .int64 && ![.neg, .abs].contains(kind) {
      throw ConvolveError.invalidArgument("\(kind.rawValue) of int64 values is not supported")
    }
    return [x.type]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    var x = try inputs.take(0, "X")
    let shape = x.shape
    if case .int64(let v) = x.storage {
      return [GraphTensor(shape: shape, int64s: kind == .neg ? v.map { 0 &- $0 } : v.map { $0 < 0 ? 0 &- $0 : $0 })]
    }
    var v = x.takeFloats()
    let kind = self.kind
    v.withUnsafeMutableBufferPointer { p in
      if let base = p.baseAddress { Self.apply(kind, base, p.count) }
    }
    return [GraphTensor(shape: shape, floats: v)]
  }

  func elementwiseStage(_ inputs: [KnownValue?]) -> (input: Int, stage: ElementwiseStage)? {
    guard let x = inputs.first ?? nil, x.type.elementType == .float32 else { return nil }
    return (0, .math(kind))
  }

  static func apply(_ kind: Kind, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
    switch kind {
    case .sqrt: for i in 0 ..< n { p[i] = p[i].squareRoot() }
    case .neg: for i in 0 ..< n { p[i] = -p[i] }
    case .abs: for i in 0 ..< n { p[i] = Swift.abs(p[i]) }
    case .exp: for i in 0 ..< n { p[i] = Foundation.exp(p[i]) }
    case .log: for i in 0 ..< n { p[i] = Foundation.log(p[i]) }
    case .reciprocal: for i in 0 ..< n { p[i] = 1 / p[i] }
    case .floor: for i in 0 ..< n { p[i] = p[i].rounded(.down) }
    case .ceil: for i in 0 ..< n { p[i] = p[i].rounded(.up) }
    case .erf: for i in 0 ..< n { p[i] = Foundation.erf(p[i]) }
    case .sin: for i in 0 ..< n { p[i] = Foundation.sin(p[i]) }
    case .cos: for i in 0 ..< n { p[i] = Foundation.cos(p[i]) }
    }
  }
}
