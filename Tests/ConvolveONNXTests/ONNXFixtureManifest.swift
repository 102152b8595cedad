import Foundation
import Testing

/// One case of a fixture folder's `manifest.json` (written by the fixture scripts with onnxruntime's outputs): the
/// model, its operators and opset, and each input and output as a `.npy` file.
struct ONNXFixtureCase: Decodable, CustomTestStringConvertible {
  struct Value: Decodable {
    var name: String
    var shape: [Int]
    /// `int64` for integer data; float32 when absent.
    var dtype: String?
    var file: String
  }

  var name: String
  var ops: [String]
  var opset: Int
  var model: String
  var inputs: [Value]
  var outputs: [Value]
  var testDescription: String { name }

  /// The cases of `folder`'s manifest; none when it is missing (the coverage tests then fail).
  static func manifest(_ folder: URL) -> [ONNXFixtureCase] {
    struct Manifest: Decodable { var cases: [ONNXFixtureCase] }
    guard let data = try? Data(contentsOf: folder.appendingPathComponent("manifest.json")) else { return [] }
    return (try? JSONDecoder().decode(Manifest.self, from: data))?.cases ?? []
  }
}
