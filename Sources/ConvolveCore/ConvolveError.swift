/// Every error the library throws: one line, naming what was wrong and with which value.
public enum ConvolveError: Error, Equatable, CustomStringConvertible {
  /// A parameter outside what is allowed, e.g. a negative stride or an empty kernel.
  case invalidArgument(String)
  /// Sizes that do not fit together, e.g. a stride that leaves part of the input unused under `.strict` rounding.
  case shapeMismatch(String)
  /// A file that could not be read, decoded or written.
  case file(path: String, reason: String)
  /// A size computed from parameters (an output, an intermediate buffer) that overflows or is beyond a limit;
  /// the message gives the computed size. Found before anything is allocated (`CheckedSize`).
  case tooLarge(String)
  /// A command-line value that does not fit the file it is used with (`--mean` with 2 values for a model of 3
  /// channels, a `--layers` pattern no node matches): a usage error even where it is found while the file's
  /// content is read or run.
  case usage(String)

  public var description: String {
    switch self {
    case .invalidArgument(let message), .shapeMismatch(let message), .tooLarge(let message), .usage(let message):
      return message
    case .file(let path, let reason): return "\(path): \(reason)"
    }
  }

  /// The same kind of error with `prefix` before its message (before the reason of a file error).
  public func prefixed(_ prefix: String) -> ConvolveError {
    switch self {
    case .invalidArgument(let m): return .invalidArgument(prefix + m)
    case .shapeMismatch(let m): return .shapeMismatch(prefix + m)
    case .tooLarge(let m): return .tooLarge(prefix + m)
    case .usage(let m): return .usage(prefix + m)
    case .file(let path, let reason): return .file(path: path, reason: prefix + reason)
    }
  }
}
