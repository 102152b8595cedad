/// Every error the library throws: one line, naming what was wrong and with which value.
public enum ConvolveError: Error, Equatable, CustomStringConvertible {
  /// A parameter outside what is allowed, e.g. a negative stride or an empty kernel.
  case invalidArgument(String)
  /// Sizes that do not fit together, e.g. a stride that leaves part of the input unused.
  case shapeMismatch(String)
  /// A file that could not be read, decoded or written.
  case file(path: String, reason: String)

  public var description: String {
    switch self {
    case .invalidArgument(let message), .shapeMismatch(let message): return message
    case .file(let path, let reason): return "\(path): \(reason)"
    }
  }
}
