import ConvolveCore
import ConvolveFormats
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension BatchRunner {
  /// Writes every file's status, outputs, time and error, and the totals, as JSON.
  func writeReport(_ path: String, elapsed: Double) throws {
    let c = counts()
    let files: [[String: Any]] = plan.items.enumerated().map { index, item in
      let outcome = outcomes[index] ?? BatchOutcome(status: .pending)
      var entry: [String: Any] = [
        "input": item.input, "relativePath": item.relative, "status": outcome.status.rawValue,
        "outputs": outcome.status == .skipped ? [item.output] : outcome.outputs,
      ]
      if let ms = outcome.milliseconds { entry["milliseconds"] = (ms * 10).rounded() / 10 }
      if let error = outcome.error { entry["error"] = error }
      return entry
    }
    var totals: [String: Any] = [
      "done": c.ok, "skipped": c.skipped, "failed": c.failed, "notStarted": c.pending,
      "seconds": (elapsed * 1000).rounded() / 1000,
      "filesPerSecond": elapsed > 0 ? (Double(c.ok + c.failed) / elapsed * 100).rounded() / 100 : 0,
      "interrupted": signalNumber != nil,
    ]
    if let shard = plan.shard { totals["shard"] = shard }
    let document: [String: Any] = ["files": files, "totals": totals]
    let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
    try AtomicFile.write(data, to: path)
  }
}
