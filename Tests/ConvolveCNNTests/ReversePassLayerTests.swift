import ConvolveCore
import Foundation
import Testing
@testable import ConvolveCNN

/// The reverse rules of the layers with windows, matrices and resizing, against finite differences
/// (`GradientCheck`).
@Suite struct ReversePassLayerTests {
  let tolerance = GradientCheck.tolerance
  func grid(_ shape: [Int], _ range: ClosedRange<Float> = -1 ... 1, _ seed: UInt64 = 1) -> GraphTensor {
    GradientCheck.grid(shape, range, seed: seed)
  }

  @Test func convolutionsWithGroupsStridesDilationsAndPadding() throws {
    let x = grid([2, 4, 7, 6])
    let cases: [([Int], [String: Attribute])] = [
      ([3, 4, 3, 3], ["pads": .ints([1, 1, 1, 1])]),
      ([4, 2, 3, 3], ["group": .int(2), "strides": .ints([2, 2]), "pads": .ints([0, 1, 2, 1])]),
      ([4, 1, 3, 2], ["group": .int(4), "dilations": .ints([2, 1]), "pads": .ints([2, 0, 1, 1])]),
      ([6, 2, 2, 3], ["group": .int(2), "strides": .ints([1, 2]), "dilations": .ints([2, 2]), "auto_pad": .string("SAME_UPPER")]),
      ([2, 4, 1, 1], ["strides": .ints([3, 2])]),
    ]
    for (k, (w, attributes)) in cases.enumerated() {
      let weight = grid(w, -1 ... 1, UInt64(20 + k)), bias = grid([w[0]], -1 ... 1, UInt64(30 + k))
      let error = try nodeError("Conv", [.value(x), .constant(weight), .constant(bias)], attributes)
      #expect(error < tolerance, "\(w) \(attributes): \(error)")
    }
    // 1-D, and weights computed at run time (fed: only the input's gradient is made).
    #expect(try nodeError("Conv", [.value(grid([1, 3, 9])), .constant(grid([2, 3, 3], -1 ... 1, 5))], ["strides": .ints([2])]) < tolerance)
    let (graph, feeds) = oneNodeGraph("Conv", [.value(x), .value(grid([3, 4, 3, 3], -1 ... 1, 6))])
    #expect(try GradientCheck.worstError(graph, feeds, wrt: ["in0"]) < tolerance)
  }

  @Test func transposedConvolutions() throws {
    let x = grid([2, 4, 3, 4])
    let cases: [([Int], [String: Attribute])] = [
      ([4, 3, 3, 3], ["strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1]), "output_padding": .ints([1, 0])]),
      ([4, 2, 2, 2], ["strides": .ints([2, 2])]),
      ([4, 1, 3, 2], ["group": .int(2), "strides": .ints([2, 1]), "dilations": .ints([1, 2]), "pads": .ints([0, 1, 2, 0])]),
      ([4, 2, 3, 3], ["auto_pad": .string("SAME_UPPER"), "strides": .ints([2, 2])]),
      ([4, 2, 3, 3], ["output_shape": .ints([9, 10]), "strides": .ints([3, 3])]),
    ]
    for (k, (w, attributes)) in cases.enumerated() {
      let groups = attributes["group"] == nil ? 1 : 2
      let weight = grid(w, -1 ... 1, UInt64(40 + k)), bias = grid([w[1] * groups], -1 ... 1, 9)
      let error = try nodeError("ConvTranspose", [.value(x), .constant(weight), .constant(bias)], attributes)
      #expect(error < tolerance, "\(w) \(attributes): \(error)")
    }
  }

  @Test func pools() throws {
    let x = GradientCheck.distinct([2, 3, 7, 6], seed: 3)
    let windows: [[String: Attribute]] = [
      ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])],
      ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1]), "ceil_mode": .int(1)],
      ["kernel_shape": .ints([3, 2]), "dilations": .ints([2, 2]), "pads": .ints([1, 0, 2, 1])],
      ["kernel_shape": .ints([3, 3]), "auto_pad": .string("SAME_LOWER"), "strides": .ints([2, 3])],
    ]
    for attributes in windows {
      let max = try nodeError("MaxPool", [.value(x)], attributes)
      #expect(max < tolerance, "MaxPool \(attributes): \(max)")
      for include in [0, 1] where attributes["dilations"] == nil || include == 0 {
        var a = attributes
        a["count_include_pad"] = .int(include)
        let average = try nodeError("AveragePool", [.value(x)], a)
        #expect(average < tolerance, "AveragePool \(a): \(average)")
      }
    }
    #expect(try nodeError("MaxPool", [.value(GradientCheck.distinct([1, 2, 9], seed: 4))], ["kernel_shape": .ints([3]), "strides": .ints([2])]) < tolerance)
    let maxout = Graph(
      nodes: [Node(name: "n", opType: "Maxout", domain: "convolve", inputs: ["x"], outputs: ["y"], attributes: ["group_size": .int(3)])],
      initializers: [:], inputs: [ValueInfo(name: "x", shape: [.fixed(2), .fixed(6), .fixed(3), .fixed(4)])],
      outputs: [ValueInfo(name: "y", shape: nil)])
    #expect(try GradientCheck.worstError(maxout, ["x": GradientCheck.distinct([2, 6, 3, 4], seed: 5)], wrt: ["x"]) < tolerance)
  }

  @Test func matrixProducts() throws {
    for (transA, transB) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
      let a = grid(transA == 1 ? [4, 3] : [3, 4], -1 ... 1, 2), b = grid(transB == 1 ? [5, 4] : [4, 5], -1 ... 1, 3)
      let attributes: [String: Attribute] = ["transA": .int(transA), "transB": .int(transB), "alpha": .float(0.7), "beta": .float(1.3)]
      for c in [grid([5], -1 ... 1, 4), grid([3, 1], -1 ... 1, 5), grid([3, 5], -1 ... 1, 6)] {
        let error = try nodeError("Gemm", [.value(a), .value(b), .value(c)], attributes)
        #expect(error < tolerance, "Gemm \(transA)\(transB) C \(c.shape): \(error)")
      }
    }
    let shapes: [([Int], [Int])] = [([2, 3, 4], [4, 5]), ([3, 4], [2, 4, 5]), ([4], [4, 5]), ([3, 4], [4]), ([2, 1, 3, 4], [3, 4, 2])]
    for (k, (sa, sb)) in shapes.enumerated() {
      let error = try nodeError("MatMul", [.value(grid(sa, -1 ... 1, UInt64(k))), .value(grid(sb, -1 ... 1, UInt64(k + 9)))])
      #expect(error < tolerance, "MatMul \(sa) \(sb): \(error)")
    }
  }

  @Test func resizeAndUpsample() throws {
    let x = grid([1, 2, 4, 5])
    let none = Operand.none
    let scales = { (v: [Float]) in Operand.constant(GraphTensor(shape: [4], floats: v)) }
    let sizes = { (v: [Int64]) in Operand.constant(GraphTensor(int64s: v)) }
    let cases: [([Operand], [String: Attribute])] = [
      ([none, scales([1, 1, 2, 2])], ["mode": .string("nearest"), "coordinate_transformation_mode": .string("asymmetric"), "nearest_mode": .string("floor")]),
      ([none, none, sizes([1, 2, 7, 3])], ["mode": .string("nearest")]),
      ([none, scales([1, 1, 2, 1.5])], ["mode": .string("linear")]),
      ([none, none, sizes([1, 2, 6, 9])], ["mode": .string("linear"), "coordinate_transformation_mode": .string("align_corners")]),
      ([none, none, sizes([1, 2, 3, 2])], ["mode": .string("linear"), "coordinate_transformation_mode": .string("pytorch_half_pixel")]),
    ]
    for (operands, attributes) in cases {
      let error = try nodeError("Resize", [.value(x)] + operands, attributes, opset: 13)
      #expect(error < tolerance, "\(attributes): \(error)")
    }
    let upsample = try nodeError("Upsample", [.value(x), scales([1, 1, 2, 3])], ["mode": .string("linear")], opset: 9)
    #expect(upsample < tolerance, "Upsample: \(upsample)")
  }

  @Test func aSmallClassifier() throws {
    // Conv → BatchNormalization → HardSwish, a squeeze-and-excitation gate, a residual, global pool, Gemm,
    // Softmax: the head and body of a small classifier, differentiated with respect to the photo.
    var rng = GraphRandom(seed: 77)
    func node(_ name: String, _ op: String, _ inputs: [String], _ attributes: [String: Attribute] = [:]) -> Node {
      Node(name: name, opType: op, inputs: inputs, outputs: [name], attributes: attributes)
    }
    let initializers: [String: GraphTensor] = [
      "w1": rng.tensor([4, 3, 3, 3], -0.5 ... 0.5), "b1": rng.tensor([4]),
      "scale": rng.tensor([4], 0.5 ... 1.5), "shift": rng.tensor([4]), "mean": rng.tensor([4]), "var": rng.tensor([4], 0.5 ... 1.5),
      "w2": rng.tensor([4, 1, 3, 3], -0.5 ... 0.5), "fc": rng.tensor([3, 4]), "fcb": rng.tensor([3]),
      "shape": GraphTensor(int64s: [1, -1]),
    ]
    let graph = Graph(
      nodes: [
        node("conv", "Conv", ["x", "w1", "b1"], ["pads": .ints([1, 1, 1, 1]), "strides": .ints([2, 2])]),
        node("bn", "BatchNormalization", ["conv", "scale", "shift", "mean", "var"]),
        node("act", "HardSwish", ["bn"]),
        node("dw", "Conv", ["act", "w2"], ["group": .int(4), "pads": .ints([1, 1, 1, 1])]),
        node("gap", "GlobalAveragePool", ["dw"]),
        node("gate", "Sigmoid", ["gap"]),
        node("se", "Mul", ["dw", "gate"]),
        node("res", "Add", ["se", "act"]),
        node("pool", "GlobalAveragePool", ["res"]),
        node("flat", "Reshape", ["pool", "shape"]),
        node("fcl", "Gemm", ["flat", "fc", "fcb"], ["transB": .int(1)]),
        Node(name: "y", opType: "Softmax", inputs: ["fcl"], outputs: ["y"], attributes: ["axis": .int(1)]),
      ], initializers: initializers, inputs: [ValueInfo(name: "x", shape: [.fixed(1), .fixed(3), .fixed(8), .fixed(10)])],
      outputs: [ValueInfo(name: "y", shape: nil)])
    let x = grid([1, 3, 8, 10], -2 ... 2)
    #expect(try GradientCheck.worstError(graph, ["x": x], wrt: ["x"]) < tolerance)
    // With respect to the activation of the depthwise layer too (Grad-CAM's target), as the gradient of the
    // graph's tail fed that activation.
    let pass = try ReversePass(graph: graph, inputShapes: ["x": x.shape], withRespectTo: ["x", "dw", "act"])
    let forward = try pass.forward(["x": x])
    let activation = try #require(forward["dw"]), act = try #require(forward["act"])
    let seed = GraphTensor(shape: [1, 3], floats: [1, 0, 0])
    let atLayer = try #require(try pass.gradients(of: "y", seed: seed)["dw"])
    let tailNodes = graph.nodes.filter { !["conv", "bn", "act", "dw"].contains($0.name) }
    let tail = Graph(
      nodes: tailNodes, initializers: initializers,
      inputs: [ValueInfo(name: "dw", shape: activation.shape.map { .fixed($0) }), ValueInfo(name: "act", shape: activation.shape.map { .fixed($0) })],
      outputs: [ValueInfo(name: "y", shape: nil)])
    let tailPass = try ReversePass(graph: tail, withRespectTo: ["dw"])
    _ = try tailPass.forward(["dw": activation, "act": act])
    let expected = try #require(try tailPass.gradients(of: "y", seed: seed)["dw"])
    #expect(largestDifference(atLayer.floats, expected.floats) < 1e-6)
    #expect(try GradientCheck.worstError(tail, ["dw": activation, "act": act], wrt: ["dw"]) < tolerance)
  }
}
