import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import Foundation

/// Which class `model cam` explains.
public enum CAMClassChoice: Equatable, Sendable {
  /// The `n` best-scoring classes (`top1`, `top3`).
  case top(Int)
  /// A class number.
  case index(Int)
  /// A class name from the labels.
  case name(String)

  /// `top1`, `top3`, a class number or a class name.
  public init(parsing text: String) {
    let lower = text.lowercased()
    if lower.hasPrefix("top"), let n = Int(lower.dropFirst(3)), n >= 1 {
      self = .top(n)
    } else if let n = Int(text), n >= 0 {
      self = .index(n)
    } else {
      self = .name(text)
    }
  }

  /// The class numbers this choice names among `scores`, best first for `top` (by `ranking` when given, else
  /// by score). An unknown name or a number past the classes is a usage error.
  public func classes(scores: [Float], ranking: [Int]? = nil, labels: [String]?) throws -> [Int] {
    switch self {
    case .top(let n):
      return Array((ranking ?? rankedClasses(scores)).prefix(n))
    case .index(let i):
      guard i < scores.count else {
        throw ConvolveError.invalidArgument("--class \(i): the model scores \(scores.count) classes (0 to \(scores.count - 1))")
      }
      return [i]
    case .name(let name):
      guard let labels else {
        throw ConvolveError.invalidArgument("--class \(name): give the class names with --labels, or a class number")
      }
      if let i = labels.firstIndex(of: name) ?? labels.firstIndex(where: { $0.lowercased() == name.lowercased() }),
        i < scores.count
      {
        return [i]
      }
      let hint = closestName(to: name, in: labels.filter { !$0.isEmpty }).map { "; did you mean '\($0)'?" } ?? ""
      throw ConvolveError.invalidArgument("--class \(name): no class of that name in the labels\(hint)")
    }
  }
}

/// Class numbers by falling score (ties by number).
public func rankedClasses(_ scores: [Float]) -> [Int] {
  scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
}

/// The value a class activation map is taken at when none is named: for a segmenter (a first output of
/// 1×K×H×W, more than one position) the input of its last Conv (the features its head reads); else the input
/// of the last global pooling (GlobalAveragePool, or ReduceMean over H and W) of a 1×C×H×W value, else the
/// last 1×C×H×W value with more than one position. Nil when the plan has none of these.
public func defaultCAMLayer(_ plan: ExecutionPlan) -> String? {
  func isMap(_ name: String) -> Bool {
    guard let t = plan.types[name], t.elementType == .float32, t.shape.count == 4 else { return false }
    return plan.constants[name] == nil
  }
  if let output = plan.graph.outputs.first?.name, let shape = plan.types[output]?.shape, shape.count == 4, shape[2] * shape[3] > 1,
    let head = plan.steps.last(where: { $0.node.opType == "Conv" }), let first = head.node.inputs.first, isMap(first)
  {
    return first
  }
  for step in plan.steps.reversed() {
    guard let first = step.node.inputs.first, isMap(first) else { continue }
    if step.node.opType == "GlobalAveragePool" { return first }
    if step.node.opType == "ReduceMean" {
      var axes: [Int]?
      if case .ints(let list)? = step.node.attributes["axes"] { axes = list }
      if axes == nil, step.node.inputs.count > 1, let t = plan.constants[step.node.inputs[1]] { axes = t.ints }
      if let axes, Set(axes.map { $0 < 0 ? $0 + 4 : $0 }) == [2, 3] { return first }
    }
  }
  for step in plan.steps.reversed() {
    for name in step.node.outputs where !name.isEmpty && isMap(name) {
      let s = plan.types[name]!.shape
      if s[2] * s[3] > 1 { return name }
    }
  }
  return nil
}

/// The value `layer` names in `graph` (a node's name: its first output; or a value's name). An unknown name
/// is a usage error suggesting the closest.
public func camLayerValue(_ layer: String, in graph: Graph, path: String) throws -> String {
  if let node = graph.nodes.first(where: { $0.name == layer }), let value = node.outputs.first(where: { !$0.isEmpty }) {
    return value
  }
  if graph.nodes.contains(where: { $0.outputs.contains(layer) }) { return layer }
  let names = graph.nodes.map(\.name).filter { !$0.isEmpty } + graph.nodes.flatMap(\.outputs)
  let hint = closestName(to: layer, in: names).map { "; did you mean '\($0)'?" } ?? ""
  throw ConvolveError.invalidArgument(
    "--layer \(layer): \(lastComponent(path)) has no node or value of that name\(hint) (`convolve model info` lists them)")
}

/// Softmax of the scores (in Double), for outputs that are not already probabilities.
public func softmax(_ scores: [Float]) -> [Float] {
  let top = Double(scores.max() ?? 0)
  let e = scores.map { exp(Double($0) - top) }
  let sum = e.reduce(0, +)
  return e.map { Float($0 / sum) }
}

/// Whether the scores already are probabilities: all in [0, 1], summing to 1 within 1e-3.
public func areProbabilities(_ scores: [Float]) -> Bool {
  scores.allSatisfy { $0 >= 0 && $0 <= 1 } && abs(scores.reduce(0, +) - 1) < 1e-3
}
