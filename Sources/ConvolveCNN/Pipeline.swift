import ConvolveCore
import Foundation

/// A chain of CNN stages read from a JSON file, e.g.
///
///     {"name": "edges", "description": "...",
///      "stages": [
///        {"op": "conv", "weights": "layers/edges.npy", "bias": "layers/edges-bias.npy", "padding": "same"},
///        {"op": "activation", "function": "relu"},
///        {"op": "pool", "kind": "max", "size": 2},
///        {"op": "upsample", "scale": 2, "method": "bilinear"}]}
///
/// Paths are relative to the pipeline file. Convolution stages follow PyTorch (cross-correlation, weights
/// `[N][C][kh][kw]`); a stage may instead name 2-D filters from the library (`"filters": ["sobel-x"]`), which
/// are applied to the mean of the input channels with the library's orientation (convolution).
///
/// A pipeline runs as a graph (`graph(inputChannels:height:width:)`, `run(_:_:)` in `PipelineGraph.swift`)
/// on the executor ONNX models run on.
public struct Pipeline: Sendable {
  public var name: String
  public var description: String
  public var stages: [Stage]

  public init(name: String, description: String = "", stages: [Stage]) {
    self.name = name
    self.description = description
    self.stages = stages
  }

  /// One step of the chain; `save` says whether its output is written.
  public struct Stage: Sendable {
    public var name: String
    public var operation: Operation
    public var save: Bool
    /// Names of the stage's output maps, one per channel, when they have names (a convolution with library
    /// filters names each map after its filter); labels in montages.
    public var mapNames: [String]?

    public init(name: String, operation: Operation, save: Bool = true, mapNames: [String]? = nil) {
      (self.name, self.operation, self.save, self.mapNames) = (name, operation, save, mapNames)
    }
  }

  /// The names of every stage's output maps: a stage's own `mapNames`, else those of the stage before when the
  /// stage keeps each map apart (an activation other than maxout, a pool, an upsample), else nil.
  public var mapNames: [[String]?] {
    var names: [[String]?] = []
    var last: [String]?
    for stage in stages {
      switch stage.operation {
      case .activation(.maxout), .flatten: last = nil
      case .activation, .pool, .globalAveragePool, .upsample: break
      case .conv, .transposedConv: last = nil
      }
      if let own = stage.mapNames { last = own }
      names.append(last)
    }
    return names
  }

  public enum Operation: Sendable {
    case conv(FilterBank, LayerGeometry)
    case transposedConv(FilterBank, TransposedGeometry)
    case activation(Activation)
    case pool(Pooling)
    case globalAveragePool
    case upsample(scale: Double, method: ResizeMethod)
    case flatten
  }

  /// The channel count the first (transposed) convolution expects, when every stage before it keeps the
  /// channel count; nil when no such stage leads the chain.
  public var inputChannels: Int? {
    for stage in stages {
      switch stage.operation {
      case .conv(let bank, let geometry): return bank.inChannelsPerGroup * geometry.groups
      case .transposedConv(let bank, _): return bank.outChannels
      case .activation(.maxout), .flatten: return nil
      case .activation, .pool, .globalAveragePool, .upsample: continue
      }
    }
    return nil
  }

  /// The pipeline with every conv and pool stage that rounds `from` rounding `to` instead: `--strict` turns the
  /// default `.floor` into `.strict`. `.ceil` changes pool stages only (conv stages round down or refuse).
  public func rounding(_ from: SizeRounding, to: SizeRounding) -> Pipeline {
    var copy = self
    for i in copy.stages.indices {
      switch copy.stages[i].operation {
      case .conv(let bank, var geometry) where geometry.rounding == from && to != .ceil:
        geometry.rounding = to
        copy.stages[i].operation = .conv(bank, geometry)
      case .pool(var pooling) where pooling.rounding == from:
        pooling.rounding = to
        copy.stages[i].operation = .pool(pooling)
      default: break
      }
    }
    return copy
  }

  /// The channel count `prepared` gives a photo of `have` channels.
  public func preparedChannels(_ have: Int) -> Int {
    guard let want = inputChannels, want != have else { return have }
    let color = have == 2 || have == 4 ? have - 1 : have
    switch (color, want) {
    case (1, _), (3, 3), (3, 1): return want
    default: return have
    }
  }

  /// The photo with the channels the first convolution expects: gray repeated to RGB, alpha dropped, or
  /// RGB reduced to luma (0.299 R + 0.587 G + 0.114 B); with a note saying what was done, or nil when unchanged.
  public func prepared(_ image: Tensor) -> (tensor: Tensor, note: String?) {
    guard let want = inputChannels, want != image.channels else { return (image, nil) }
    let have = image.channels
    let color = have == 2 || have == 4 ? have - 1 : have
    let planes = (0 ..< color).map { image.plane($0).data }
    var out: [[Float]]
    switch (color, want) {
    case (1, 1), (3, 3): out = planes
    case (1, _): out = Array(repeating: planes[0], count: want)
    case (3, 1):
      out = [(0 ..< image.planeSize).map { 0.299 * planes[0][$0] + 0.587 * planes[1][$0] + 0.114 * planes[2][$0] }]
    default: return (image, nil)
    }
    let tensor = Tensor(channels: want, height: image.height, width: image.width, data: out.flatMap { $0 })
    let what = ["", "gray", "gray+alpha", "RGB", "RGBA"][min(have, 4)]
    return (tensor, "input is \(what) (\(have) channel\(have == 1 ? "" : "s")); the first layer expects \(want), so it gets \(color == 1 ? "the gray channel repeated" : want == 1 ? "the luma" : "the colour channels")")
  }
}

extension FilterBank {
  /// A bank whose filter `n` applies library kernel `n` (flipped, so it responds as `convolve` does) to the
  /// mean of `channels` input channels.
  public init(libraryKernels kernels: [Kernel], channels: Int, bias: [Float] = []) throws {
    guard let first = kernels.first else { throw ConvolveError.invalidArgument("no filters given") }
    guard kernels.allSatisfy({ $0.height == first.height && $0.width == first.width }) else {
      let sizes = kernels.map { planeSizeText(height: $0.height, width: $0.width) }.joined(separator: ", ")
      throw ConvolveError.shapeMismatch("the filters of one layer must have one size; they are \(sizes)")
    }
    let share = 1 / Float(max(1, channels))
    let weights = kernels.flatMap { k in (0 ..< channels).flatMap { _ in k.flipped.weights.map { $0 * share } } }
    try self.init(
      outChannels: kernels.count, inChannelsPerGroup: channels, kernelHeight: first.height, kernelWidth: first.width,
      weights: weights, bias: bias)
  }
}
