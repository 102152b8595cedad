import Dispatch
import Foundation

/// What a child process did: its exit status and everything it wrote.
public struct ProcessResult: Sendable {
  public var status: Int32
  public var stdout: String
  public var stderr: String
  /// Standard output then standard error (one text when they were one pipe: `mergeOutput`).
  public var output: String { stdout + stderr }
}

/// Runs `executable` with `arguments` and waits for it. Standard output and standard error are read at the same
/// time, so a child that fills one pipe while the other is being read cannot block. `environment` replaces the
/// inherited one; `extraEnvironment` is merged over it. With `mergeOutput`, both go to one pipe (`stdout`).
public func runProcess(
  _ executable: String, _ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil,
  extraEnvironment: [String: String] = [:], mergeOutput: Bool = false
) throws -> ProcessResult {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  if let directory { process.currentDirectoryURL = directory }
  if environment != nil || !extraEnvironment.isEmpty {
    process.environment = (environment ?? ProcessInfo.processInfo.environment).merging(extraEnvironment) { $1 }
  }
  let out = Pipe(), err = mergeOutput ? nil : Pipe()
  process.standardOutput = out
  process.standardError = err ?? out
  try process.run()
  // A thread of its own, not a dispatch queue: the test runner's threads may all be blocked in calls like this.
  let errText = ErrorText()
  let finished = DispatchSemaphore(value: 0)
  if let err {
    Thread {
      errText.data = err.fileHandleForReading.readDataToEndOfFile()
      finished.signal()
    }.start()
  } else {
    finished.signal()
  }
  let outData = out.fileHandleForReading.readDataToEndOfFile()
  finished.wait()
  process.waitUntilExit()
  return ProcessResult(
    status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
    stderr: String(decoding: errText.data, as: UTF8.self))
}

/// Standard error's bytes, written by the reading thread before it signals.
// Unchecked: written by the reading thread only, and read after its semaphore is signalled.
private final class ErrorText: @unchecked Sendable {
  var data = Data()
}
