import ConvolveCore

/// A pipeline as a `Graph` for one input size, so that pipeline files run on the same executor as ONNX
/// models. Every stage becomes one node, or a few, whose last output is a value named after the stage:
///
/// | stage | nodes |
/// | --- | --- |
/// | `conv` | `Conv` (weights `W`, bias `B`; `same` resolved to explicit pads; strides, dilations, group) |
/// | `conv-transpose` | `ConvTranspose` (`W`, `B`, pads, output_padding, strides, dilations, group) |
/// | activation | `Relu`, `LeakyRelu`, `Sigmoid`, `Tanh`, `Elu`, `Identity`; maxout: `convolve.Maxout` |
/// | `pool` | `MaxPool`, `AveragePool` (count_include_pad as the stage's); min: `Neg`, `MaxPool`, `Neg` |
/// | `global-avg-pool` | `GlobalAveragePool` |
/// | `upsample` | `Resize` (nearest: asymmetric/floor; bilinear: linear/half_pixel) with the stage's scales; `convolve.Resize` where ONNX's float size would differ from the stage's |
/// | `flatten` | `Reshape` to `1 × C·H·W × 1 × 1` |
///
/// The stage rules ONNX does not have (the lecture's exact stride where a stage asks for `.strict` rounding,
/// `same` padding only at stride 1, pool padding at most half the kernel, `.ceil` only for pools) are checked
/// when the graph is built, with the stages' own messages. Input rows and columns a stride leaves unused are
/// listed in `notes`.
public struct PipelineGraph: Sendable {
  public var graph: Graph
  /// The graph input: the photo as `1 × C × H × W`.
  public var input: String
  /// The value holding each stage's output, by stage index.
  public var stageOutputs: [String]
  /// Each stage's output shape, `C × H × W`.
  public var stageShapes: [[Int]]
  /// The stages' names, for messages.
  public var stageNames: [String]
  /// One line per stage whose stride leaves input rows or columns unused (rounding down, as PyTorch):
  /// `stage 3 'pool': the last row (of 427) is unused`.
  public var notes: [String]
  /// The stage each node belongs to, by node name.
  var stageOfNode: [String: Int]

  /// Plan options that keep every stage's output computed and observable (nothing folded or fused away).
  public var planOptions: PlanOptions { PlanOptions(keep: Set(stageOutputs)) }

  /// Plans the graph and runs it on `input` (`C × H × W`, the size the graph was built for), handing each
  /// stage's output to `body` (stage index, `C × H × W`) as it is produced. Errors name the stage.
  public func run(_ input: Tensor, _ body: (Int, Tensor) throws -> Void) throws {
    let shape = [1, input.channels, input.height, input.width]
    let stageOf = Dictionary(uniqueKeysWithValues: stageOutputs.enumerated().map { ($1, $0) })
    let plan: ExecutionPlan
    do {
      plan = try ExecutionPlan(graph: graph, inputShapes: [self.input: shape], options: planOptions)
    } catch {
      throw stageError(error)
    }
    let executor = Executor(plan: plan)
    let feed = [self.input: GraphTensor(input, shape: shape)]
    do {
      try withoutActuallyEscaping(body) { body in
        _ = try executor.run(feed) { event in
          for (name, value) in event.outputs {
            guard let stage = stageOf[name] else { continue }
            let output = try value.tensor()
            do { try body(stage, output) } catch { throw ObserverError(error: error) }
          }
        }
      }
    } catch let wrapped as ObserverError {
      throw wrapped.error
    } catch {
      throw stageError(error)
    }
  }

  /// An error the callback threw, passed through unchanged.
  private struct ObserverError: Error { var error: Error }

  /// A graph error about a node (`node 'x' (Op): ...`) reworded to name the node's stage, as the stages' own
  /// errors do (`stage 2 'pool': ...`).
  func stageError(_ error: Error) -> Error {
    guard let e = error as? ConvolveError else { return error }
    let message: String
    switch e {
    case .invalidArgument(let m), .shapeMismatch(let m), .tooLarge(let m): message = m
    case .file, .usage: return error
    }
    for node in graph.nodes {
      let prefix = "node \(node.label): "
      guard message.hasPrefix(prefix), let stage = stageOfNode[node.name] else { continue }
      let rest = String(message.dropFirst(prefix.count))
      let label = "stage \(stage + 1) '\(stageNames[stage])': "
      if case .tooLarge = e { return ConvolveError.tooLarge(label + rest) }
      return ConvolveError.invalidArgument(label + rest)
    }
    return error
  }
}

extension Pipeline {
  /// The pipeline as a graph for a `inputChannels × height × width` input (see `PipelineGraph`). Every
  /// stage's geometry is checked here, before anything runs, with the messages the stages have always
  /// given (`stage 2 'pool': stride 2 does not fit: ...`).
  ///
  /// Every stage's output is checked before the next stage is built: its element count (`CheckedSize`) and,
  /// when `maxPixels` is given (`--max-pixels`), its height x width.
  public func graph(inputChannels: Int, height: Int, width: Int, maxPixels: Int = .max) throws -> PipelineGraph {
    var builder = PipelineGraphBuilder(channels: inputChannels, height: height, width: width)
    builder.maxPixels = maxPixels
    for (i, stage) in stages.enumerated() {
      do {
        try builder.add(stage, index: i)
      } catch let error as ConvolveError {
        let label = "stage \(i + 1) '\(stage.name)': "
        if case .tooLarge = error { throw error.prefixed(label) }
        throw ConvolveError.invalidArgument(label + error.description)
      }
    }
    let last = builder.current
    let graph = Graph(
      name: name, nodes: builder.nodes, initializers: builder.initializers,
      inputs: [ValueInfo(name: builder.input, shape: [1, inputChannels, height, width].map(TensorDimension.fixed))],
      outputs: [ValueInfo(name: last, shape: ([1] + builder.shape).map(TensorDimension.fixed))])
    return PipelineGraph(
      graph: graph, input: builder.input, stageOutputs: builder.stageOutputs, stageShapes: builder.stageShapes,
      stageNames: stages.map(\.name), notes: builder.notes, stageOfNode: builder.stageOfNode)
  }

  /// Runs every stage in order, handing each stage's output to `body` as it is produced: the pipeline's
  /// graph (`graph(inputChannels:height:width:)`) on `ExecutionPlan` and `Executor`, the one executor
  /// ONNX models run on.
  public func run(_ input: Tensor, _ body: (Int, Stage, Tensor) throws -> Void) throws {
    let built = try graph(inputChannels: input.channels, height: input.height, width: input.width)
    try built.run(input) { i, output in try body(i, stages[i], output) }
  }
}

/// Builds a pipeline's graph stage by stage, tracking the current value and its `C × H × W` shape.
private struct PipelineGraphBuilder {
  var nodes: [Node] = []
  var initializers: [String: GraphTensor] = [:]
  var used: Set<String> = []
  let input: String
  var current: String
  var shape: [Int]
  var stageOutputs: [String] = []
  var stageShapes: [[Int]] = []
  var stageOfNode: [String: Int] = [:]
  var notes: [String] = []
  var maxPixels = Int.max
  var stage = 0
  var stageName = ""

  init(channels: Int, height: Int, width: Int) {
    input = "input"
    used = [input]
    current = input
    shape = [channels, height, width]
  }

  /// Records what the current stage's stride leaves unused, if anything.
  mutating func note(_ unused: (rows: Int, columns: Int), _ height: Int, _ width: Int) {
    if let text = unusedSamplesDescription(rows: unused.rows, columns: unused.columns, height: height, width: width) {
      notes.append("stage \(stage + 1) '\(stageName)': \(text)")
    }
  }

  /// `base`, or `base#2`, `base#3`, ... when taken: every value and node name is unique.
  mutating func fresh(_ base: String) -> String {
    var name = base.isEmpty ? "stage" : base
    var k = 2
    while used.contains(name) {
      name = "\(base)#\(k)"
      k += 1
    }
    used.insert(name)
    return name
  }

  mutating func constant(_ name: String, _ value: GraphTensor) -> String {
    let unique = fresh(name)
    initializers[unique] = value
    return unique
  }

  /// A filter bank's weights `[N][C/groups][kh][kw]`, then its `biasCount` biases when it has any, as constants
  /// named after the node `out` that reads them.
  mutating func bankInputs(_ bank: FilterBank, biasCount: Int, for out: String) -> [String] {
    var inputs = [
      constant(
        "\(out)/W",
        GraphTensor(shape: [bank.outChannels, bank.inChannelsPerGroup, bank.kernelHeight, bank.kernelWidth], floats: bank.weights))
    ]
    if !bank.bias.isEmpty { inputs.append(constant("\(out)/B", GraphTensor(shape: [biasCount], floats: bank.bias))) }
    return inputs
  }

  /// Appends a node reading `inputs` (the current value first) whose output is `output`, which becomes current.
  mutating func node(
    _ opType: String, domain: String = "", inputs: [String] = [], attributes: [String: Attribute] = [:],
    output: String
  ) {
    stageOfNode[output] = stage
    nodes.append(
      Node(name: output, opType: opType, domain: domain, inputs: [current] + inputs, outputs: [output], attributes: attributes))
    current = output
  }

  mutating func add(_ stage: Pipeline.Stage, index: Int) throws {
    self.stage = index
    stageName = stage.name
    let (c, h, w) = (shape[0], shape[1], shape[2])
    let out = fresh(stage.name)
    switch stage.operation {
    case .conv(let bank, let geometry):
      guard geometry.rounding != .ceil else {
        throw ConvolveError.invalidArgument("ceil rounding is for pool stages (PyTorch's ceil_mode); a conv rounds down")
      }
      let size = try convolutionLayerOutputShape(channels: c, height: h, width: w, bank, geometry)
      let (kh, kw) = (bank.kernelHeight, bank.kernelWidth)
      let p = try geometry.resolvedPadding(kernelHeight: kh, kernelWidth: kw)
      note(try geometry.unusedSamples(inputHeight: h, inputWidth: w, kernelHeight: kh, kernelWidth: kw), h, w)
      node(
        "Conv", inputs: bankInputs(bank, biasCount: bank.outChannels, for: out),
        attributes: [
          "kernel_shape": .ints([kh, kw]), "strides": .ints([geometry.strideY, geometry.strideX]),
          "dilations": .ints([geometry.dilationY, geometry.dilationX]), "group": .int(geometry.groups),
          "pads": .ints([p.top, p.left, p.bottom, p.right]),
        ], output: out)
      shape = [size.channels, size.height, size.width]

    case .transposedConv(let bank, let geometry):
      let size = try transposedConvolutionOutputShape(channels: c, height: h, width: w, bank, geometry)
      let (kh, kw) = (bank.kernelHeight, bank.kernelWidth)
      node(
        "ConvTranspose", inputs: bankInputs(bank, biasCount: size.channels, for: out),
        attributes: [
          "kernel_shape": .ints([kh, kw]), "strides": .ints([geometry.strideY, geometry.strideX]),
          "dilations": .ints([geometry.dilationY, geometry.dilationX]), "group": .int(geometry.groups),
          "pads": .ints([geometry.paddingY, geometry.paddingX, geometry.paddingY, geometry.paddingX]),
          "output_padding": .ints([geometry.outputPaddingY, geometry.outputPaddingX]),
        ], output: out)
      shape = [size.channels, size.height, size.width]

    case .activation(let activation):
      let channels = try activation.outputChannels(c)
      switch activation {
      case .relu: node("Relu", output: out)
      case .leakyReLU(let slope): node("LeakyRelu", attributes: ["alpha": .float(slope)], output: out)
      case .sigmoid: node("Sigmoid", output: out)
      case .tanh: node("Tanh", output: out)
      case .elu(let alpha): node("Elu", attributes: ["alpha": .float(alpha)], output: out)
      case .maxout(let k):
        node("Maxout", domain: OperatorRegistry.convolveDomain, attributes: ["group_size": .int(k)], output: out)
      case .identity: node("Identity", output: out)
      }
      shape = [channels, h, w]

    case .pool(let pooling):
      let size = try pooling.outputSize(inputHeight: h, inputWidth: w)
      note(try pooling.unusedSamples(inputHeight: h, inputWidth: w), h, w)
      let p = pooling.padding
      var attributes: [String: Attribute] = [
        "kernel_shape": .ints([pooling.kernelHeight, pooling.kernelWidth]),
        "strides": .ints([pooling.strideY, pooling.strideX]), "pads": .ints([p.top, p.left, p.bottom, p.right]),
        "dilations": .ints([pooling.dilationY, pooling.dilationX]), "ceil_mode": .int(pooling.rounding == .ceil ? 1 : 0),
      ]
      switch pooling.kind {
      case .max: node("MaxPool", attributes: attributes, output: out)
      case .average:
        attributes["count_include_pad"] = .int(pooling.countIncludesPadding ? 1 : 0)
        node("AveragePool", attributes: attributes, output: out)
      case .min:
        // min(x) = -max(-x), exactly: negation is exact and the max visits the same samples in the same order.
        node("Neg", output: fresh("\(out)/neg"))
        node("MaxPool", attributes: attributes, output: fresh("\(out)/max"))
        node("Neg", output: out)
      }
      shape = [c, size.height, size.width]

    case .globalAveragePool:
      node("GlobalAveragePool", output: out)
      shape = [c, 1, 1]

    case .upsample(let scale, let method):
      let size = try upsampledSize(height: h, width: w, scaleY: scale, scaleX: scale)
      guard size.height > 0 && size.width > 0 else {
        throw ConvolveError.invalidArgument("resized size would be \(planeSizeText(height: size.height, width: size.width)); it must be at least 1x1")
      }
      let options = method.options
      var attributes: [String: Attribute] = [
        "mode": .string(options.mode.rawValue), "coordinate_transformation_mode": .string(options.coordinates.rawValue),
      ]
      if options.mode == .nearest { attributes["nearest_mode"] = .string(options.nearest.rawValue) }
      let factor = Float(scale)
      let scales = constant("\(out)/scales", GraphTensor(shape: [4], floats: [1, 1, factor, factor]))
      // ONNX sizes the output floor(n · scale) in float; the stage (as PyTorch) in double.
      if Int(Float(h) * factor) == size.height && Int(Float(w) * factor) == size.width {
        node("Resize", inputs: ["", scales], attributes: attributes, output: out)
      } else {
        let sizes = constant("\(out)/sizes", GraphTensor(int64s: [1, c, size.height, size.width].map { Int64($0) }))
        node(
          "Resize", domain: OperatorRegistry.convolveDomain, inputs: ["", scales, sizes], attributes: attributes,
          output: out)
      }
      shape = [c, size.height, size.width]

    case .flatten:
      let target = constant("\(out)/shape", GraphTensor(int64s: [1, -1, 1, 1]))
      node("Reshape", inputs: [target], output: out)
      shape = [try CheckedSize.count([c, h, w], what: "flattened vector"), 1, 1]
    }
    if maxPixels < .max {
      try CheckedSize.checkPixels(
        height: shape[1], width: shape[2], limit: maxPixels, what: "the output",
        fix: "lower the padding or the upsampling, or raise --max-pixels")
    }
    _ = try CheckedSize.count(shape, what: "the output")
    stageOutputs.append(out)
    stageShapes.append(shape)
  }
}
