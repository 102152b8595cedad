import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress bar for a terminal: `[#####.....]  12/40  30%  3.4 files/s  ETA 0:08`, redrawn in
/// place with `\r` on standard error.
public struct ProgressBar {
  /// Files in the batch.
  public var total: Int
  /// Terminal columns; the bar shrinks to fit.
  public var columns = terminalColumns()

  public init(total: Int) { self.total = total }

  /// The line for `finished` of `total` files (processed, skipped or failed), `processed` of them in
  /// `elapsed` seconds, with `remaining` still to process.
  public func line(finished: Int, processed: Int, failed: Int, remaining: Int, elapsed: Double) -> String {
    let rate = elapsed > 0 ? Double(processed) / elapsed : 0
    let eta = rate > 0 ? formatClock(Double(remaining) / rate) : "--:--"
    let percent = total > 0 ? finished * 100 / total : 100
    var text = "  \(finished)/\(total)  \(percent)%  \(String(format: "%.1f", rate)) files/s  ETA \(eta)"
    if failed > 0 { text += "  \(failed) failed" }
    let width = max(10, min(40, columns - text.count - 3))
    let filled = total > 0 ? width * finished / total : width
    let bar = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    return String((bar + text).prefix(max(1, columns - 1)))
  }

  /// Draws `line` over the current terminal line.
  public static func draw(_ line: String) { writeStandardError("\r" + line + "\u{1B}[K") }

  /// Clears the bar's line, so that a message can be printed in its place.
  public static func clear() { writeStandardError("\r\u{1B}[K") }
}

/// Whether standard error is a terminal.
public var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

/// The width of the terminal on standard error: the window size, else `$COLUMNS`, else 80.
public func terminalColumns() -> Int {
  var size = winsize()
  if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
  return ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init) ?? 80
}

/// Writes `text` to standard error unbuffered.
public func writeStandardError(_ text: String) {
  FileHandle.standardError.write(Data(text.utf8))
}

/// `m:ss`, or `h:mm:ss` from an hour on.
public func formatClock(_ seconds: Double) -> String {
  let s = Int(seconds.rounded())
  return s >= 3600
    ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
}
