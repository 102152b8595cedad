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

struct RunResult {
  var status: Int32
  var stdout: String
  var stderr: String
}

/// Runs `convolve` with the arguments and returns its exit status and output.
func runConvolve(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws
  -> RunResult
{
  let process = Process()
  process.executableURL = convolveBinary
  process.arguments = arguments
  if let directory { process.currentDirectoryURL = directory }
  if !environment.isEmpty {
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
  }
  let out = Pipe(), err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  let outData = out.fileHandleForReading.readDataToEndOfFile()
  let errData = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return RunResult(
    status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
    stderr: String(decoding: errData, as: UTF8.self))
}
