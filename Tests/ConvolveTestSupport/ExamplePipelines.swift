import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import Foundation

/// The example pipelines of `Filters/pipelines` and a synthetic photo to run them on.
public enum ExamplePipelines {
  public static let pipelines = packageRoot.appendingPathComponent("Filters/pipelines")
  public static let layers = packageRoot.appendingPathComponent("Filters/layers")

  /// Stands in for the library: the lecture's kernels in convolution orientation, by name.
  public static func kernelNamed(_ name: String) throws -> Kernel {
    switch name {
    case "sobel-x": return try Kernel(rows: [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    case "sobel-y": return try Kernel(rows: [[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
    case "laplacian4": return try Kernel(rows: [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    case "box5": return Kernel(height: 5, width: 5, weights: [Float](repeating: 1 / 25, count: 25))
    default: throw StubError.unknown(name)
    }
  }

  public enum StubError: Error, CustomStringConvertible {
    case unknown(String)
    public var description: String {
      switch self { case .unknown(let name): return "no filter named '\(name)' in the stub library" }
    }
  }

  /// Grey RGB image, 1 where `bright(y, x)`, else 0.
  public static func image(height: Int = 32, width: Int = 32, _ bright: (Int, Int) -> Bool) -> Tensor {
    var plane = [Float](repeating: 0, count: height * width)
    for y in 0 ..< height { for x in 0 ..< width where bright(y, x) { plane[y * width + x] = 1 } }
    return Tensor(channels: 3, height: height, width: width, data: plane + plane + plane)
  }

  /// A vertical edge in the top half (bright right of x = 16) and a horizontal one below (bright from y = 24).
  public static let synthetic = image { y, x in y < 16 ? x >= 16 : y >= 24 }

  public static func load(_ name: String) throws -> Pipeline {
    try Pipeline.load(path: pipelines.appendingPathComponent(name).path, kernelNamed: kernelNamed)
  }

  public static func outputs(_ pipeline: Pipeline, _ input: Tensor) throws -> [(String, Tensor)] {
    var result: [(String, Tensor)] = []
    try pipeline.run(input) { _, stage, x in result.append((stage.name, x)) }
    return result
  }

}
