import ConvolveTestSupport
import Foundation
import Testing

/// The package root, found from this file's path.

/// The `convolve` executable built next to the test bundle.
let convolveBinary: URL = {
  let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  for dir in [beside, beside.deletingLastPathComponent(), packageRoot.appendingPathComponent(".build/debug")] {
    let candidate = dir.appendingPathComponent("convolve")
    if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
  }
  return packageRoot.appendingPathComponent(".build/debug/convolve")
}()

typealias RunResult = ProcessResult

/// Runs `convolve` with the arguments and returns its exit status and output.
func runConvolve(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws
  -> RunResult
{
  try runProcess(convolveBinary.path, arguments, in: directory, extraEnvironment: environment)
}
