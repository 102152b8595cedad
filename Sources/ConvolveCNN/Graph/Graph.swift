import ConvolveCore

/// A node attribute, as ONNX defines them (sparse tensors are not supported; a graph is an If's branch).
public indirect enum Attribute: Equatable, Sendable {
  case int(Int)
  case float(Float)
  case string(String)
  case tensor(GraphTensor)
  case ints([Int])
  case floats([Float])
  case strings([String])
  case graph(Graph)

  /// A short text for listings, e.g. `3`, `[1, 1]`, `"nearest"`.
  public var summary: String {
    switch self {
    case .int(let v): return "\(v)"
    case .float(let v): return "\(v)"
    case .string(let v): return "\"\(v)\""
    case .tensor(let t): return "tensor \(shapeText(t.shape))"
    case .ints(let v): return "[" + v.map(String.init).joined(separator: ", ") + "]"
    case .floats(let v): return "[" + v.map { "\($0)" }.joined(separator: ", ") + "]"
    case .strings(let v): return "[" + v.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
    case .graph(let g): return "graph \(g.nodes.count) nodes"
    }
  }
}

/// One operation of a graph. Input and output names refer to graph values; an empty input name is an
/// optional input left out.
public struct Node: Equatable, Sendable {
  public var name: String
  public var opType: String
  public var domain: String
  public var inputs: [String]
  public var outputs: [String]
  public var attributes: [String: Attribute]

  public init(
    name: String, opType: String, domain: String = "", inputs: [String], outputs: [String],
    attributes: [String: Attribute] = [:]
  ) {
    self.name = name
    self.opType = opType
    self.domain = domain
    self.inputs = inputs
    self.outputs = outputs
    self.attributes = attributes
  }

  /// `'name' (Op)` for messages; the first output names a node without a name.
  public var label: String {
    "'\(name.isEmpty ? (outputs.first ?? "?") : name)' (\(opType))"
  }

  /// Input `i`, or nil when it is absent or left empty.
  public func input(_ i: Int) -> String? {
    i < inputs.count && !inputs[i].isEmpty ? inputs[i] : nil
  }

  // Attribute readers: an attribute of the wrong kind is an error naming it.

  public func int(_ key: String) throws -> Int? {
    switch attributes[key] {
    case nil: return nil
    case .int(let v): return v
    case let other?: throw ConvolveError.invalidArgument("attribute '\(key)' should be an integer, got \(other.summary)")
    }
  }

  public func int(_ key: String, default value: Int) throws -> Int { try int(key) ?? value }

  public func float(_ key: String) throws -> Float? {
    switch attributes[key] {
    case nil: return nil
    case .float(let v): return v
    case .int(let v): return Float(v)
    case let other?: throw ConvolveError.invalidArgument("attribute '\(key)' should be a number, got \(other.summary)")
    }
  }

  public func float(_ key: String, default value: Float) throws -> Float { try float(key) ?? value }

  public func ints(_ key: String) throws -> [Int]? {
    switch attributes[key] {
    case nil: return nil
    case .ints(let v): return v
    case .int(let v): return [v]
    case let other?: throw ConvolveError.invalidArgument("attribute '\(key)' should be a list of integers, got \(other.summary)")
    }
  }

  public func floats(_ key: String) throws -> [Float]? {
    switch attributes[key] {
    case nil: return nil
    case .floats(let v): return v
    case .float(let v): return [v]
    case .ints(let v): return v.map(Float.init)
    case let other?: throw ConvolveError.invalidArgument("attribute '\(key)' should be a list of numbers, got \(other.summary)")
    }
  }

  public func string(_ key: String) throws -> String? {
    switch attributes[key] {
    case nil: return nil
    case .string(let v): return v
    case let other?: throw ConvolveError.invalidArgument("attribute '\(key)' should be a string, got \(other.summary)")
    }
  }

  public func string(_ key: String, default value: String) throws -> String { try string(key) ?? value }

  public func graph(_ key: String) throws -> Graph? {
    switch attributes[key] {
    case nil: return nil
    case .graph(let g): return g
    case let other?: throw ConvolveError.invalidArgument("attribute '\(key)' should be a graph, got \(other.summary)")
    }
  }

  /// Values the node's subgraphs (an If's branches) read from the enclosing graph: names their nodes read that
  /// are neither produced inside nor their initializers.
  public var implicitInputs: [String] {
    var names: [String] = []
    for key in attributes.keys.sorted() {
      guard case .graph(let g) = attributes[key] else { continue }
      var inside = Set(g.initializers.keys).union(g.inputs.map(\.name))
      for node in g.nodes {
        for name in node.inputs + node.implicitInputs where !name.isEmpty && !inside.contains(name) { names.append(name) }
        inside.formUnion(node.outputs)
      }
      for output in g.outputs where !inside.contains(output.name) { names.append(output.name) }
    }
    return names
  }
}

/// A dimension of a declared input or output: a number or a name (`batch`, `height`, ...).
public enum TensorDimension: Equatable, Sendable, CustomStringConvertible {
  case fixed(Int)
  case symbolic(String)

  public var description: String {
    switch self {
    case .fixed(let n): return "\(n)"
    case .symbolic(let name): return name.isEmpty ? "?" : name
    }
  }
}

/// A declared graph input or output.
public struct ValueInfo: Equatable, Sendable {
  public var name: String
  public var elementType: ElementType
  /// nil when the file does not declare a shape.
  public var shape: [TensorDimension]?
  /// The ONNX data type the file declares (`TensorProto.DataType`: 1 float, 10 float16, 7 int64, ...), nil
  /// when it declares none; values are held as `elementType`, outputs are written back in this type.
  public var dataType: Int?

  public init(name: String, elementType: ElementType = .float32, shape: [TensorDimension]?, dataType: Int? = nil) {
    self.name = name
    self.elementType = elementType
    self.shape = shape
    self.dataType = dataType
  }

  /// `1x3xHxW`-style text.
  public var shapeDescription: String {
    guard let shape else { return "?" }
    return shape.isEmpty ? "scalar" : shape.map(\.description).joined(separator: "x")
  }
}

/// A computation graph as ONNX describes one: nodes, constant tensors (initializers), declared inputs
/// and outputs. Built by the ONNX loader (or by hand in tests); checked, optimised and run by
/// `ExecutionPlan` and `Executor`.
public struct Graph: Equatable, Sendable {
  public var name: String
  /// The file the graph came from, named in every error; empty when built in memory.
  public var source: String
  public var nodes: [Node]
  public var initializers: [String: GraphTensor]
  /// Declared inputs that are not initializers: what a caller feeds.
  public var inputs: [ValueInfo]
  public var outputs: [ValueInfo]
  /// The default-domain opset the graph was written for.
  public var opsetVersion: Int

  public init(
    name: String = "", source: String = "", nodes: [Node], initializers: [String: GraphTensor] = [:],
    inputs: [ValueInfo], outputs: [ValueInfo], opsetVersion: Int = 17
  ) {
    self.name = name
    self.source = source
    self.nodes = nodes
    self.initializers = initializers
    self.inputs = inputs.filter { initializers[$0.name] == nil }
    self.outputs = outputs
    self.opsetVersion = opsetVersion
  }

  /// An error naming the file (when known) and the node, keeping the kind of the underlying error.
  public func error(_ error: Error, node: Node?) -> ConvolveError {
    let prefix = (source.isEmpty ? "" : "\(source): ") + (node.map { "node \($0.label): " } ?? "")
    guard let e = error as? ConvolveError else { return .invalidArgument(prefix + "\(error)") }
    switch e {
    case .invalidArgument(let m): return .invalidArgument(prefix + m)
    case .shapeMismatch(let m): return .shapeMismatch(prefix + m)
    case .tooLarge(let m): return .tooLarge(prefix + m)
    case .usage: return e
    case .file(let path, let reason):
      return .file(path: path, reason: (node.map { "node \($0.label): " } ?? "") + reason)
    }
  }

  func fail(_ message: String, node: Node? = nil) -> ConvolveError {
    error(ConvolveError.invalidArgument(message), node: node)
  }

  /// Node indices in an order where every node comes after the nodes producing its inputs (stable: nodes
  /// already in order keep it). A cycle, an input nothing produces and a value produced twice are errors
  /// naming a node.
  public func topologicalOrder() throws -> [Int] {
    var producer: [String: Int] = [:]
    for (i, node) in nodes.enumerated() {
      for output in node.outputs where !output.isEmpty {
        if producer[output] != nil || initializers[output] != nil || inputs.contains(where: { $0.name == output }) {
          throw fail("value '\(output)' is produced more than once", node: node)
        }
        producer[output] = i
      }
    }
    var pending = [Int](repeating: 0, count: nodes.count)
    var consumers = [[Int]](repeating: [], count: nodes.count)
    let known = Set(inputs.map(\.name))
    for (i, node) in nodes.enumerated() {
      for input in node.inputs where !input.isEmpty {
        if let p = producer[input] {
          pending[i] += 1
          consumers[p].append(i)
        } else if initializers[input] == nil && !known.contains(input) {
          throw fail("input '\(input)' is neither a graph input, an initializer nor a node output", node: node)
        }
      }
      // What a branch reads from this graph is produced before the node (other names are left to the planner).
      for input in Set(node.implicitInputs) {
        if let p = producer[input], p != i {
          pending[i] += 1
          consumers[p].append(i)
        }
      }
    }
    // Kahn's algorithm, always taking the lowest-numbered ready node so the file's order is kept.
    var ready = Heap()
    for i in nodes.indices where pending[i] == 0 { ready.push(i) }
    var order: [Int] = []
    order.reserveCapacity(nodes.count)
    while let i = ready.pop() {
      order.append(i)
      for c in consumers[i] {
        pending[c] -= 1
        if pending[c] == 0 { ready.push(c) }
      }
    }
    if order.count < nodes.count {
      let stuck = nodes.indices.first { pending[$0] > 0 && isOnCycle($0, consumers: consumers) }
        ?? nodes.indices.first { pending[$0] > 0 }!
      throw fail("the graph has a cycle through this node", node: nodes[stuck])
    }
    for output in outputs where producer[output.name] == nil && initializers[output.name] == nil
      && !known.contains(output.name)
    {
      throw fail("graph output '\(output.name)' is not produced by any node")
    }
    return order
  }

  private func isOnCycle(_ start: Int, consumers: [[Int]]) -> Bool {
    var seen = Set<Int>()
    var stack = consumers[start]
    while let n = stack.popLast() {
      if n == start { return true }
      if seen.insert(n).inserted { stack.append(contentsOf: consumers[n]) }
    }
    return false
  }

  /// Moves every Constant node (`value`, `value_float(s)`, `value_int(s)`) into the initializers; other
  /// Constant forms stay nodes (and are reported unsupported when planned).
  public mutating func inlineConstantNodes() throws {
    var kept: [Node] = []
    kept.reserveCapacity(nodes.count)
    for node in nodes {
      guard node.opType == "Constant", node.domain.isEmpty || node.domain == "ai.onnx", node.outputs.count == 1,
        !node.outputs[0].isEmpty
      else {
        kept.append(node)
        continue
      }
      let value: GraphTensor?
      do { value = try ConstantOperator.value(node) } catch { throw self.error(error, node: node) }
      guard let value else {
        kept.append(node)
        continue
      }
      guard initializers[node.outputs[0]] == nil else { throw fail("value '\(node.outputs[0])' is produced more than once", node: node) }
      initializers[node.outputs[0]] = value
    }
    nodes = kept
  }

  /// How many nodes read each value (graph outputs count once more).
  func consumerCounts() -> [String: Int] {
    var counts: [String: Int] = [:]
    for node in nodes { for input in node.inputs where !input.isEmpty { counts[input, default: 0] += 1 } }
    for output in outputs { counts[output.name, default: 0] += 1 }
    return counts
  }
}

/// A binary min-heap of node indices.
private struct Heap {
  var items: [Int] = []
  mutating func push(_ v: Int) {
    items.append(v)
    var i = items.count - 1
    while i > 0 {
      let p = (i - 1) / 2
      if items[p] <= items[i] { break }
      items.swapAt(p, i)
      i = p
    }
  }
  mutating func pop() -> Int? {
    guard !items.isEmpty else { return nil }
    let top = items[0]
    let last = items.removeLast()
    if !items.isEmpty {
      items[0] = last
      var i = 0
      while true {
        let l = 2 * i + 1, r = l + 1
        var m = i
        if l < items.count && items[l] < items[m] { m = l }
        if r < items.count && items[r] < items[m] { m = r }
        if m == i { break }
        items.swapAt(i, m)
        i = m
      }
    }
    return top
  }
}
