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

  /// An error listing every unsupported operator by op type and node name, or nothing when all are supported.
  public func checkSupported() throws {
    let unsupported = unsupportedOperators()
    guard !unsupported.isEmpty else { return }
    let types = Set(unsupported.map(\.opType)).sorted()
    throw fail(
      "\(unsupported.count) node\(unsupported.count == 1 ? "" : "s") use\(unsupported.count == 1 ? "s" : "") "
        + "unsupported operators (\(types.joined(separator: ", "))): "
        + unsupported.map(\.description).joined(separator: ", "))
  }

}
