import ConvolveCore
import ConvolveFormats
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// How progress is shown.
public enum ProgressMode { case bar, lines, quiet }

/// The outcome of one file.
public struct BatchOutcome: Sendable {
  public enum Status: String, Sendable { case ok, skipped, failed, pending }
  public var status: Status
  public var outputs: [String] = []
  public var milliseconds: Double?
  public var error: String?
}

/// Runs a plan on a fixed number of worker threads, each taking the next file when it is done with one, and
/// reports progress, the summary and the JSON report. Lines and the report follow the plan's order.
// Unchecked: the counters, outcomes and bar change under `lock` only; `report` is set before `process` starts.
public final class BatchRunner: @unchecked Sendable {
  public let plan: BatchPlan
  public let jobs: Int
  public let failFast: Bool
  public let mode: ProgressMode
  public let started: Date
  /// Where to write the JSON report, if anywhere.
  public var report: String?

  private let lock = NSLock()
  var outcomes: [BatchOutcome?]
  private var next = 0
  private var nextLine = 0
  private var stopping = false
  var signalNumber: Int32?
  private var running: [Int: String] = [:]
  private var finished = false
  private var bar: ProgressBar
  private var signalSources: [DispatchSourceSignal] = []

  public init(plan: BatchPlan, jobs: Int, failFast: Bool, mode: ProgressMode, started: Date) {
    (self.plan, self.jobs, self.failFast, self.mode, self.started) = (plan, jobs, failFast, mode, started)
    outcomes = plan.items.map { $0.skip ? BatchOutcome(status: .skipped) : nil }
    bar = ProgressBar(total: plan.items.count)
  }

  /// Runs `body` on every file not skipped, `jobs` at a time; returns when all are done or the batch stopped.
  public func process(_ body: @escaping @Sendable (BatchItem) throws -> [String]) {
    catchSignals()
    lock.lock()
    emitLines()
    lock.unlock()
    let group = DispatchGroup()
    for _ in 0 ..< min(jobs, max(1, plan.items.count)) {
      group.enter()
      let thread = Thread { [self] in
        while let index = take() {
          let item = plan.items[index]
          let start = DispatchTime.now()
          var outcome: BatchOutcome
          do {
            outcome = BatchOutcome(status: .ok, outputs: try body(item))
          } catch {
            outcome = BatchOutcome(status: .failed, error: reason(error, input: item.input))
          }
          outcome.milliseconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
          record(outcome, at: index)
        }
        group.leave()
      }
      thread.stackSize = 8 << 20
      thread.start()
    }
    while group.wait(timeout: .now() + 0.25) == .timedOut {
      if mode == .bar { lock.lock(); drawBar(); lock.unlock() }
    }
  }

  /// Prints the summary and writes the report; returns the exit code when it is not 0.
  public func finish() -> Int32? {
    lock.lock()
    defer { lock.unlock() }
    return finishLocked()
  }

  private func finishLocked() -> Int32? {
    finished = true
    let counts = self.counts()
    let elapsed = Date().timeIntervalSince(started)
    let processed = counts.ok + counts.failed
    if mode == .bar { ProgressBar.clear() }
    var summary = "done \(counts.ok), skipped \(counts.skipped), failed \(counts.failed) in "
      + String(format: "%.1f s (%.1f files/s)", elapsed, elapsed > 0 ? Double(processed) / elapsed : 0)
    if let signalNumber {
      summary = "interrupted (\(signalNumber == SIGINT ? "SIGINT" : "SIGTERM")): " + summary
        + ", not started \(counts.pending); rerun with --skip-existing to finish"
    }
    writeStandardError(summary + "\n")
    if let report {
      do {
        try writeReport(report, elapsed: elapsed)
      } catch {
        writeStandardError("error: cannot write the report \(report): \(error)\n")
        return signalNumber.map { 128 + $0 } ?? 1
      }
    }
    if let signalNumber { return 128 + signalNumber }
    return counts.failed > 0 ? 1 : nil
  }

  /// The next file to process, or nil when there is none or the batch is stopping.
  private func take() -> Int? {
    lock.lock()
    defer { lock.unlock() }
    while next < plan.items.count && outcomes[next] != nil { next += 1 }
    guard !stopping, next < plan.items.count else { return nil }
    next += 1
    running[next - 1] = plan.items[next - 1].output
    return next - 1
  }

  private func record(_ outcome: BatchOutcome, at index: Int) {
    lock.lock()
    defer { lock.unlock() }
    guard !finished else { return }
    running[index] = nil
    outcomes[index] = outcome
    if outcome.status == .failed && failFast && !stopping {
      stopping = true
    }
    if mode == .bar && outcome.status == .failed {
      // On a terminal an error shows at once, above the bar.
      ProgressBar.clear()
      writeStandardError("FAILED \(plan.items[index].input): \(outcome.error ?? "unknown error")\n")
    }
    emitLines()
    if mode == .bar { drawBar() }
  }

  /// Prints the lines of the files finished so far, in the plan's order (without a terminal, where the lines
  /// may well go to a log file).
  private func emitLines() {
    while nextLine < outcomes.count, let outcome = outcomes[nextLine] {
      let item = plan.items[nextLine]
      nextLine += 1
      var line: String?
      switch (outcome.status, mode) {
      case (.failed, .bar): break
      case (.failed, _): line = "FAILED \(item.input): \(outcome.error ?? "unknown error")"
      case (.ok, .lines):
        line = "ok \(item.input) -> \(item.output) (\(Int((outcome.milliseconds ?? 0).rounded())) ms)"
      case (.skipped, .lines): line = "skipped \(item.input)"
      default: break
      }
      if let line {
        if mode == .bar { ProgressBar.clear() }
        writeStandardError(line + "\n")
      }
    }
  }

  private func drawBar() {
    guard !finished else { return }
    let c = counts()
    let remaining = plan.items.count - c.ok - c.failed - c.skipped
    ProgressBar.draw(
      bar.line(
        finished: c.ok + c.failed + c.skipped, processed: c.ok + c.failed, failed: c.failed, remaining: remaining,
        elapsed: Date().timeIntervalSince(started)))
  }

  func counts() -> (ok: Int, skipped: Int, failed: Int, pending: Int) {
    var c = (ok: 0, skipped: 0, failed: 0, pending: 0)
    for outcome in outcomes {
      switch outcome?.status ?? .pending {
      case .ok: c.ok += 1
      case .skipped: c.skipped += 1
      case .failed: c.failed += 1
      case .pending: c.pending += 1
      }
    }
    return c
  }

  /// SIGINT or SIGTERM: stop taking files and let the running ones finish; a second one abandons them.
  private func catchSignals() {
    for number in [SIGINT, SIGTERM] {
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler { [self] in interrupted(by: number) }
      source.resume()
      signalSources.append(source)
    }
  }

  private func interrupted(by number: Int32) {
    lock.lock()
    guard !finished else { lock.unlock(); return }
    if signalNumber == nil {
      signalNumber = number
      stopping = true
      if mode == .bar { ProgressBar.clear() }
      if !running.isEmpty {
        writeStandardError(
          "stopping: finishing \(running.count) running file\(running.count == 1 ? "" : "s") "
            + "(interrupt again to abandon \(running.count == 1 ? "it" : "them"))\n")
      }
      lock.unlock()
      return
    }
    // Abandon the running files: remove their temporary files and leave.
    for output in running.values { AtomicFile.removeTemporaries(of: output) }
    let code = finishLocked() ?? 0
    exit(code)
  }
}

/// The reason `error` gives, without the input path when it starts with it.
private func reason(_ error: Error, input: String) -> String {
  if case ConvolveError.file(let path, let reason) = error, path == input { return reason }
  return "\(error)"
}
