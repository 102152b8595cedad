@testable import ConvolveJobs
import ConvolveTestSupport
import ConvolveCore
import Foundation
import Testing
import ConvolveCNN
@testable import ConvolveFormats

/// The example pipelines in Filters/pipelines, the layers in Filters/layers, and the pipeline parser's errors.
@Suite struct PipelineTests {
  static func shape(_ t: Tensor) -> [Int] { [t.channels, t.height, t.width] }

  /// Largest value of channel `c`, `margin` samples away from every border (zero padding makes its own edges).
  static func interiorMax(_ t: Tensor, _ c: Int, margin: Int) -> Float {
    var m = -Float.infinity
    for y in margin ..< t.height - margin {
      for x in margin ..< t.width - margin { m = max(m, t.data[(c * t.height + y) * t.width + x]) }
    }
    return m
  }

  // MARK: - Example pipelines

  @Test func everyExamplePipelineIsTested() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: ExamplePipelines.pipelines.path)
      .filter { $0.hasSuffix(".json") }.sorted()
    #expect(files == ["colour.json", "edges.json", "lecture.json"])
    for file in files {
      let pipeline = try ExamplePipelines.load(file)
      #expect(!pipeline.description.isEmpty)
      #expect(pipeline.stages.allSatisfy { $0.save })
      #expect(Set(pipeline.stages.map(\.name)).count == pipeline.stages.count, "stage names are unique in \(file)")
      _ = try ExamplePipelines.outputs(pipeline, ExamplePipelines.synthetic)
    }
  }

  @Test(arguments: [
    (
      "edges.json",
      [
        ("edges", [10, 32, 32]), ("edges-relu", [10, 32, 32]), ("edges-pool", [10, 16, 16]),
        ("structure", [8, 16, 16]), ("structure-relu", [8, 16, 16]), ("structure-up", [8, 32, 32]),
      ]
    ),
    (
      "colour.json",
      [("opponent", [6, 32, 32]), ("opponent-relu", [6, 32, 32]), ("opponent-pool", [6, 16, 16])]
    ),
    (
      "lecture.json",
      [("lecture-filters", [3, 32, 32]), ("lecture-relu", [3, 32, 32]), ("lecture-pool", [3, 16, 16])]
    ),
  ])
  func stageShapes(file: String, expected: [(String, [Int])]) throws {
    let result = try ExamplePipelines.outputs(try ExamplePipelines.load(file), ExamplePipelines.synthetic)
    #expect(result.map(\.0) == expected.map(\.0))
    #expect(result.map { Self.shape($0.1) } == expected.map(\.1))
    for (name, t) in result where name.hasSuffix("relu") || name.hasSuffix("pool") || name.hasSuffix("up") {
      #expect(t.data.allSatisfy { $0 >= 0 && $0.isFinite }, "\(file) \(name)")
    }
  }

  @Test func oddSizedImagesPoolWithFloor() throws {
    let result = try ExamplePipelines.outputs(try ExamplePipelines.load("edges.json"), ExamplePipelines.image(height: 33, width: 31) { _, x in x > 15 })
    #expect(result.map { Self.shape($0.1) }.last == [8, 32, 30])
    #expect(Self.shape(result[2].1) == [10, 16, 15])
  }

  @Test func edgeBankRespondsAtTheRightOrientation() throws {
    let pipeline = try ExamplePipelines.load("edges.json")
    let vertical = try ExamplePipelines.outputs(pipeline, ExamplePipelines.image { _, x in x >= 16 })
    let horizontal = try ExamplePipelines.outputs(pipeline, ExamplePipelines.image { y, _ in y >= 16 })
    let v = vertical[1].1, h = horizontal[1].1  // after ReLU
    let vMax = (0 ..< 10).map { Self.interiorMax(v, $0, margin: 5) }
    let hMax = (0 ..< 10).map { Self.interiorMax(h, $0, margin: 5) }
    // Maps 0..7: even Gabors at 0, 22.5, ..., 157.5 degrees; 4 is vertical, 0 horizontal.
    #expect(vMax.indices.filter { $0 < 8 }.max { vMax[$0] < vMax[$1] } == 4)
    #expect(hMax.indices.filter { $0 < 8 }.max { hMax[$0] < hMax[$1] } == 0)
    #expect(vMax[4] > 0.4 && vMax[0] < 0.05)
    #expect(hMax[0] > 0.4 && hMax[4] < 0.05)
    #expect(abs(vMax[3] - vMax[5]) < 1e-3, "22.5 degrees either side of vertical respond alike")
    // Sobel-x (8) fires on the dark-to-bright vertical edge at full scale; Sobel-y (9) on the horizontal one.
    #expect(abs(vMax[8] - 1) < 1e-4 && vMax[9] < 1e-4)
    #expect(abs(hMax[9] - 1) < 1e-4 && hMax[8] < 1e-4)
    // Second layer: orientation channel 2 is vertical, 0 horizontal; end-stopping stays quiet on straight edges.
    let v2 = vertical[4].1, h2 = horizontal[4].1
    #expect(Self.interiorMax(v2, 2, margin: 3) > 0.3 && Self.interiorMax(v2, 0, margin: 3) < 0.01)
    #expect(Self.interiorMax(h2, 0, margin: 3) > 0.3 && Self.interiorMax(h2, 2, margin: 3) < 0.01)
    for c in 4 ... 6 {
      #expect(Self.interiorMax(v2, c, margin: 3) < 0.02 && Self.interiorMax(h2, c, margin: 3) < 0.02)
    }
    // ... and fires at the corners of a bright square.
    let square = try ExamplePipelines.outputs(pipeline, ExamplePipelines.image(height: 48, width: 48) { y, x in abs(y - 24) < 10 && abs(x - 24) < 10 })
    #expect(Self.interiorMax(square[4].1, 6, margin: 3) > 0.08)
  }

  @Test func colourOpponentSignsAndGreyIsSilent() throws {
    let pipeline = try ExamplePipelines.load("colour.json")
    // A red disc on green: R+G- (0) is positive at the centre, G+R- (1) negative.
    var red = Tensor(channels: 3, height: 32, width: 32)
    for y in 0 ..< 32 {
      for x in 0 ..< 32 {
        let inside = (y - 16) * (y - 16) + (x - 16) * (x - 16) < 9
        red.data[(0 * 32 + y) * 32 + x] = inside ? 1 : 0
        red.data[(1 * 32 + y) * 32 + x] = inside ? 0 : 1
      }
    }
    let conv = try ExamplePipelines.outputs(pipeline, red)[0].1
    let centre = (0 ..< 6).map { conv.data[($0 * 32 + 16) * 32 + 16] }
    #expect(centre[0] > 0.3 && centre[1] < -0.3)
    let grey = Tensor(channels: 3, height: 32, width: 32, data: [Float](repeating: 0.5, count: 3 * 32 * 32))
    let greyConv = try ExamplePipelines.outputs(pipeline, grey)[0].1
    #expect(abs(Self.interiorMax(greyConv, 0, margin: 6)) < 1e-5)
  }

  @Test func layerFilesMatchTheReadme() throws {
    let shapes = [("edges", [10, 3, 9, 9]), ("colour-opponent", [6, 3, 11, 11]), ("edges-l2", [8, 10, 5, 5])]
    for (name, shape) in shapes {
      let weights = try NPYArray.read(path: ExamplePipelines.layers.appendingPathComponent("\(name).npy").path)
      let bias = try NPYArray.read(path: ExamplePipelines.layers.appendingPathComponent("\(name)-bias.npy").path)
      #expect(weights.shape == shape)
      #expect(bias.shape == [shape[0]])
    }
    // Edge kernels are zero-mean, with positive weights summing to 1.
    let edges = try FilterBank(weights: try NPYArray.read(path: ExamplePipelines.layers.appendingPathComponent("edges.npy").path))
    for n in 0 ..< edges.outChannels {
      let sum = (0 ..< 3).map { edges.kernel(filter: n, channel: $0).sum }.reduce(0, +)
      #expect(abs(sum) < 1e-5)
    }
  }

  // MARK: - Errors

  final class Scratch {
    let directory: URL
    init() throws {
      directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("pipeline-tests-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: directory) }

    /// Writes a pipeline whose stages are the given JSON objects (as text) and returns the load error, if any.
    func loadError(_ stages: String...) -> String? {
      let path = directory.appendingPathComponent("p.json").path
      _ = FileManager.default.createFile(atPath: path, contents: Data("{\"stages\": [\(stages.joined(separator: ","))]}".utf8))
      return loadError(path: path)
    }

    func loadError(path: String) -> String? {
      do {
        _ = try Pipeline.load(path: path, kernelNamed: ExamplePipelines.kernelNamed)
        return nil
      } catch {
        return "\(error)"
      }
    }
  }

  static let edgesPath = ExamplePipelines.layers.appendingPathComponent("edges.npy").path

  @Test func errorsNameTheStageTheKeyAndTheValue() throws {
    let s = try Scratch()
    let relu = #"{"op": "activation", "function": "relu"}"#
    let cases: [(String, [String])] = [
      (#"{"op": "convolve", "name": "first"}"#, ["stage 2 'first'", "\"op\"", "convolve"]),
      (#"{"op": "activation", "name": "act", "function": "relu", "paddng": 1}"#, ["stage 2 'act'", "paddng"]),
      (#"{"op": "conv", "name": "c", "weights": "\#(Self.edgesPath)", "padding": "sam"}"#, ["stage 2 'c'", "\"padding\"", "sam"]),
      (#"{"op": "conv", "weights": "\#(Self.edgesPath)", "padding": [1, 2]}"#, ["stage 2", "\"padding\""]),
      (#"{"op": "activation", "name": "act"}"#, ["stage 2 'act'", "\"function\""]),
      (#"{"op": "activation", "name": "act", "function": "relux"}"#, ["stage 2 'act'", "relux"]),
      (#"{"op": "pool", "name": "p", "kind": "median"}"#, ["stage 2 'p'", "\"kind\"", "median"]),
      (#"{"op": "pool", "name": "p", "size": 2.5}"#, ["stage 2 'p'", "\"size\"", "2.5"]),
      (#"{"op": "upsample", "name": "u", "method": "cubic"}"#, ["stage 2 'u'", "\"method\"", "cubic"]),
      (#"{"op": "conv", "name": "c", "weights": "missing-weights.npy"}"#, ["stage 2 'c'", "\"weights\"", "missing-weights.npy"]),
      (#"{"op": "conv", "name": "c", "weights": "\#(Self.edgesPath)", "bias": "no-bias.npy"}"#, ["stage 2 'c'", "\"bias\"", "no-bias.npy"]),
      (#"{"op": "conv", "name": "c", "filters": ["sobel-x", "sobel-z"]}"#, ["stage 2 'c'", "sobel-z"]),
      (#"{"op": "conv", "name": "c"}"#, ["stage 2 'c'", "\"weights\"", "\"filters\""]),
      (#"{"op": "conv", "name": "c", "weights": "\#(Self.edgesPath)", "stride": "2"}"#, ["stage 2 'c'", "\"stride\""]),
    ]
    for (stage, needles) in cases {
      let message = try #require(s.loadError(relu, stage), "\(stage) should not load")
      for needle in needles { #expect(message.contains(needle), "\(message) should name \(needle)") }
      #expect(message.contains("p.json"), "\(message) should name the pipeline file")
      #expect(!message.contains("not valid JSON"))
    }
    #expect(s.loadError(relu, #"{"op": "conv", "name": "c", "weights": "\#(Self.edgesPath)", "padding": "same"}"#) == nil)
    // Library filters of different sizes are zero-padded to the largest (issue 24), no longer refused.
    #expect(s.loadError(relu, #"{"op": "conv", "name": "c", "filters": ["sobel-x", "box5"]}"#) == nil)
  }

  @Test func fileLevelErrors() throws {
    let s = try Scratch()
    let broken = s.directory.appendingPathComponent("broken.json").path
    _ = FileManager.default.createFile(atPath: broken, contents: Data("{\"stages\": [".utf8))
    #expect(s.loadError(path: broken)?.contains("not valid JSON") == true)
    #expect(s.loadError(path: s.directory.appendingPathComponent("absent.json").path)?.contains("absent.json") == true)
    #expect(s.loadError()?.contains("\"stages\"") == true)
    let extra = s.directory.appendingPathComponent("extra.json").path
    _ = FileManager.default.createFile(
      atPath: extra, contents: Data(#"{"stages": [{"op": "flatten"}], "stage": 1}"#.utf8))
    #expect(s.loadError(path: extra)?.contains("\"stage\"") == true)
  }

  @Test func biasOfTheWrongLengthIsAnError() throws {
    let s = try Scratch()
    let weightsBias = try #require(
      s.loadError(#"{"op": "conv", "name": "c", "weights": "\#(Self.edgesPath)", "bias": [0, 0]}"#))
    #expect(weightsBias.contains("stage 1 'c'") && weightsBias.contains("bias") && weightsBias.contains("2 values"))
    let biasFile = s.directory.appendingPathComponent("bias3.npy").path
    try NPYArray(shape: [3], data: [0, 0, 0]).write(path: biasFile)
    let fromFile = try #require(
      s.loadError(#"{"op": "conv", "name": "c", "weights": "\#(Self.edgesPath)", "bias": "bias3.npy"}"#))
    #expect(fromFile.contains("3 values") && fromFile.contains("10 output channels"))
    // Library filters: the check happens on load, not only when the pipeline runs.
    let filters = try #require(s.loadError(#"{"op": "conv", "name": "lib", "filters": ["sobel-x", "sobel-y"], "bias": [1, 2, 3]}"#))
    #expect(filters.contains("stage 1 'lib'") && filters.contains("3 values"))
    #expect(s.loadError(#"{"op": "conv", "filters": ["sobel-x", "sobel-y"], "bias": 0.5}"#) == nil)
    #expect(s.loadError(#"{"op": "conv", "weights": "\#(Self.edgesPath)", "bias": [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]}"#) == nil)
  }

  @Test func transposedConvolutionBiasCountsOutputChannels() throws {
    let s = try Scratch()
    // PyTorch ConvTranspose2d(2, 3, 2): weights [Cin = 2][Cout = 3][2][2], bias [Cout = 3].
    try NPYArray(shape: [2, 3, 2, 2], data: (0 ..< 24).map { Float($0) / 24 })
      .write(path: s.directory.appendingPathComponent("up.npy").path)
    let path = s.directory.appendingPathComponent("t.json").path
    _ = FileManager.default.createFile(
      atPath: path,
      contents: Data(#"{"stages": [{"op": "conv-transpose", "weights": "up.npy", "bias": [1, 2, 3], "stride": 2}]}"#.utf8))
    let pipeline = try Pipeline.load(path: path, kernelNamed: ExamplePipelines.kernelNamed)
    let input = Tensor(channels: 2, height: 4, width: 4, data: [Float](repeating: 0, count: 32))
    let output = try ExamplePipelines.outputs(pipeline, input)[0].1
    #expect(Self.shape(output) == [3, 8, 8])
    #expect(output.data[0] == 1 && output.data[64] == 2 && output.data[128] == 3)
    _ = FileManager.default.createFile(
      atPath: path,
      contents: Data(#"{"stages": [{"op": "conv-transpose", "weights": "up.npy", "bias": [1, 2], "stride": 2}]}"#.utf8))
    let message = try #require(s.loadError(path: path))
    #expect(message.contains("2 values") && message.contains("3 output channels"))
  }

  /// On Linux, JSONSerialization's 0 and 1 also pass `is Bool`; they must still read as numbers.
  @Test func zeroAndOneAreNumbersAndTrueIsABool() throws {
    let s = try Scratch()
    let path = s.directory.appendingPathComponent("n.json").path
    let json = #"{"stages": [{"op": "conv", "filters": ["sobel-x"], "channels": 1, "stride": 1, "padding": 0, "dilation": 1, "groups": 1, "floor": true},"#
      + #" {"op": "pool", "kind": "max", "size": 2, "stride": 1, "padding": 0, "floor": false}]}"#
    _ = FileManager.default.createFile(atPath: path, contents: Data(json.utf8))
    let pipeline = try Pipeline.load(path: path, kernelNamed: ExamplePipelines.kernelNamed)
    let output = try ExamplePipelines.outputs(pipeline, Tensor(channels: 1, height: 6, width: 6))
    #expect(Self.shape(output[0].1) == [1, 4, 4] && Self.shape(output[1].1) == [1, 3, 3])
    _ = FileManager.default.createFile(
      atPath: path, contents: Data(#"{"stages": [{"op": "pool", "size": 2, "floor": 1}]}"#.utf8))
    #expect(try #require(s.loadError(path: path)).contains("it must be true or false"))
  }

  /// Strides round down by default (with notes naming what is unused); "strict" refuses, "ceil" (pools) rounds up.
  @Test func roundingKeysFloorStrictAndCeil() throws {
    let s = try Scratch()
    let path = s.directory.appendingPathComponent("r.json").path
    func load(_ pool: String) throws -> Pipeline {
      _ = FileManager.default.createFile(
        atPath: path, contents: Data(#"{"stages": [{"op": "pool", "kind": "max", "size": 2\#(pool)}]}"#.utf8))
      return try Pipeline.load(path: path, kernelNamed: ExamplePipelines.kernelNamed)
    }
    let x = Tensor(channels: 1, height: 7, width: 6)
    let floor = try load("").graph(inputChannels: 1, height: 7, width: 6)
    #expect(floor.stageShapes == [[1, 3, 3]])
    #expect(floor.notes == ["stage 1 'pool': the last row (of 7) is unused"])
    #expect(try load(#", "floor": true"#).graph(inputChannels: 1, height: 7, width: 6).stageShapes == [[1, 3, 3]])
    #expect(try load(#", "ceil": true"#).graph(inputChannels: 1, height: 7, width: 6).stageShapes == [[1, 4, 3]])
    #expect(try load(#", "ceil": true"#).graph(inputChannels: 1, height: 7, width: 6).notes.isEmpty)
    let strict = try load(#", "strict": true"#)
    #expect(thrownMessage { try strict.run(x) { _, _, _ in } }?.hasPrefix("stage 1 'pool': stride 2 does not fit: (7 - 2) / 2 + 1 = 3.50 along the height") == true)
    // run --strict: the default floor becomes exact.
    #expect(throws: ConvolveError.self) { try load("").rounding(.floor, to: .strict).run(x) { _, _, _ in } }
    _ = FileManager.default.createFile(
      atPath: path, contents: Data(#"{"stages": [{"op": "pool", "size": 2, "ceil": true, "strict": true}]}"#.utf8))
    #expect(try #require(s.loadError(path: path)).contains("sets more than one of \"floor\", \"strict\" and \"ceil\""))
    _ = FileManager.default.createFile(
      atPath: path, contents: Data(#"{"stages": [{"op": "conv", "filters": ["sobel-x"], "ceil": true}]}"#.utf8))
    #expect(try #require(s.loadError(path: path)).contains("\"ceil\" is for pool stages"))
  }

  @Test func grayAndRGBAPhotosAreAdaptedToTheFirstLayer() throws {
    let bank = try FilterBank(outChannels: 1, inChannelsPerGroup: 3, kernelHeight: 1, kernelWidth: 1, weights: [1, 10, 100])
    let pipeline = Pipeline(name: "p", stages: [.init(name: "c", operation: .conv(bank, LayerGeometry()))])
    #expect(pipeline.inputChannels == 3)
    let gray = Tensor(rows: [[0.5, 1]])
    let (rgb, note) = pipeline.prepared(gray)
    #expect(rgb.channels == 3 && rgb.data == [0.5, 1, 0.5, 1, 0.5, 1] && note?.contains("gray channel repeated") == true)
    let rgba = Tensor(planes: [[[1]], [[2]], [[3]], [[0.5]]])
    #expect(pipeline.prepared(rgba).tensor.data == [1, 2, 3])
    let color = Tensor(planes: [[[1]], [[2]], [[3]]])
    #expect(pipeline.prepared(color).note == nil)
    let lumaBank = try FilterBank(outChannels: 1, inChannelsPerGroup: 1, kernelHeight: 1, kernelWidth: 1, weights: [1])
    let luma = Pipeline(name: "l", stages: [.init(name: "c", operation: .conv(lumaBank, LayerGeometry()))])
    #expect(abs(luma.prepared(color).tensor.data[0] - (0.299 + 2 * 0.587 + 3 * 0.114)) < 1e-6)
    let first = Pipeline(name: "f", stages: [.init(name: "f", operation: .flatten)])
    #expect(first.inputChannels == nil && first.prepared(gray).tensor == gray)
  }
}
