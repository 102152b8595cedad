import ConvolveCore

/// An unsupported node: its op type (with the domain when it is not ONNX's) and name.
public struct UnsupportedOperator: Equatable, Sendable, CustomStringConvertible {
  public var opType: String
  public var nodeName: String
  public var description: String { "\(opType) '\(nodeName)'" }
}

extension Graph {
  /// Every node whose operator this library cannot run, in graph order.
  public func unsupportedOperators() -> [UnsupportedOperator] {
    nodes.compactMap { node in
      OperatorRegistry.isSupported(node) ? nil
        : UnsupportedOperator(
          opType: node.domain.isEmpty || node.domain == "ai.onnx" ? node.opType : "\(node.domain).\(node.opType)",
          nodeName: node.name.isEmpty ? (node.outputs.first ?? "?") : node.name)
    }
  }

  /// One line per operator this library cannot run: its type, how many nodes use it and the first few names.
  public func unsupportedSummary() -> [String] {
    Dictionary(grouping: unsupportedOperators(), by: \.opType).sorted { $0.key < $1.key }.map { op, nodes in
      let names = nodes.prefix(3).map { "'\($0.nodeName)'" } + (nodes.count > 3 ? ["..."] : [])
      return "\(op): \(nodes.count) node\(nodes.count == 1 ? "" : "s") (\(names.joined(separator: ", ")))"
    }
  }

  /// An error naming every unsupported operator, one line each, or nothing when all are supported.
  public func checkSupported() throws {
    let unsupported = unsupportedOperators()
    guard !unsupported.isEmpty else { return }
    throw fail(
      "\(unsupported.count) node\(unsupported.count == 1 ? "" : "s") use\(unsupported.count == 1 ? "s" : "") "
        + "operators convolve does not run:\n" + unsupportedSummary().map { "  " + $0 }.joined(separator: "\n"))
  }
}
