@testable import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import ConvolveONNX
import ConvolveTestSupport
import Foundation
import Testing

/// `model info`'s table and totals (issue 24, items 3 and 4).
@Suite struct ModelInfoTests {
  /// The header's node count is the total's, split into nodes run, BatchNormalization folded and shape
  /// arithmetic computed once.
  @Test(arguments: ["onnx/net_classifier.onnx", "torch_blocks/vit_tiny_opset17.onnx"])
  func nodeCountsAgree(_ name: String) throws {
    let graph = try ONNXModel.load(path: fixtureURL(name).path)
    var lines: [String] = []
    #expect(try modelInfo(graph, path: name, size: nil) { lines += $0.split(separator: "\n").map(String.init) })
    #expect(lines[0].hasPrefix("\(name): \(graph.nodes.count) nodes"), "\(lines[0])")
    let total = try #require(lines.first { $0.hasPrefix("total: ") })
    let numbers = total.split(separator: " ").compactMap { Int($0) }
    // total: N nodes: R run, B BatchNormalization folded ..., F of shape arithmetic ...; P parameters, ...
    #expect(numbers.count >= 5, "\(total)")
    #expect(numbers[0] == graph.nodes.count && numbers[1] + numbers[2] + numbers[3] == numbers[0], "\(total)")
    let tableRows = lines.filter { $0.first?.isNumber == true && $0.split(separator: " ").count >= 3 }
    #expect(tableRows.count == numbers[1], "\(total)")
  }

  /// A model with an unsupported operator: the one-line summary, then every node with the unsupported ones
  /// marked, and false (the command exits 1).
  @Test func unsupportedNodesAreMarkedInTheTable() throws {
    let graph = Graph(
      name: "odd", nodes: [
        Node(name: "conv", opType: "Conv", inputs: ["x", "w"], outputs: ["c"]),
        Node(name: "warp", opType: "GridSample", inputs: ["c", "g"], outputs: ["s"]),
        Node(name: "act", opType: "Relu", inputs: ["s"], outputs: ["y"]),
      ], initializers: ["w": GraphTensor(shape: [1, 3, 1, 1], floats: [1, 1, 1])],
      inputs: [ValueInfo(name: "x", shape: [.fixed(1), .fixed(3), .fixed(8), .fixed(8)])],
      outputs: [ValueInfo(name: "y", shape: nil)])
    var lines: [String] = []
    #expect(try !modelInfo(graph, path: "odd.onnx", size: nil) { lines += $0.split(separator: "\n").map(String.init) })
    #expect(lines.contains("  GridSample: 1 node ('warp')"), "\(lines)")
    let rows = lines.filter { $0.first?.isNumber == true }
    #expect(rows.count == 3, "\(lines)")
    #expect(rows[1].contains("warp") && rows[1].hasSuffix("<- not supported"), "\(rows)")
    #expect(!rows[0].contains("not supported") && !rows[2].contains("not supported"))
    #expect(lines.last?.hasPrefix("total: 3 nodes, 1 of them unsupported") == true, "\(lines)")
  }
}
