import ConvolveCore

/// `convolve.Maxout` (this library's own operator; ONNX has none): the channels split into consecutive
/// groups of `group_size`, each output channel the element-wise max of one group, through ConvolveCNN's
/// `Activation.maxout`. N×C×H×W (or N×C×W) to N×(C/group_size)×H×W. Pipeline `maxout:k` stages run as this.
struct MaxoutOperator: GraphOperator {
  let activation: Activation

  init(_ node: Node) throws {
    guard let k = try node.int("group_size") else { throw ConvolveError.invalidArgument("group_size is missing") }
    activation = .maxout(groupSize: k)
  }

  func outputShape(_ shape: [Int]) throws -> [Int] {
    let (n, c, h, w) = try spatialDims(shape)
    let groups = try activation.outputChannels(c)
    return shape.count == 3 ? [n, groups, w] : [n, groups, h, w]
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try requiredFloat(inputs, 0, "X", for: "Maxout")
    return [ValueType(try outputShape(x.shape))]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.take(0, "X")
    let (n, c, h, w) = try spatialDims(x.shape)
    let activation = self.activation
    return [
      try perImage(n: n, c: c, h: h, w: w, data: try requireFloat(x, "X"), outShape: try outputShape(x.shape)) {
        try activation.apply(to: $0)
      }
    ]
  }
}

extension MaxoutOperator {
  var reverseReads: ReverseReads? { .inputs }

  /// Each output's gradient goes to the first channel of its group holding the maximum.
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    let x = try context.input(0)
    let (n, c, h, w) = try spatialDims(x.shape)
    let xs = try requireFloat(x, "X"), g = context.gradient(0)
    let groups = try activation.outputChannels(c), k = c / max(1, groups), plane = h * w
    var dx = [Float](repeating: 0, count: xs.count)
    for image in 0 ..< n {
      for group in 0 ..< groups {
        let first = (image * c + group * k) * plane, out = (image * groups + group) * plane
        for i in 0 ..< plane {
          var best = first + i
          for j in 1 ..< max(1, k) where xs[first + j * plane + i] > xs[best] { best = first + j * plane + i }
          dx[best] += g[out + i]
        }
      }
    }
    return [GraphTensor(shape: x.shape, floats: dx)]
  }
}
