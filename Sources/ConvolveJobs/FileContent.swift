import ConvolveCore

/// Runs `body` on the content of the file at `path` (weights, a pipeline, a model): a value error it throws is
/// about the file, so it becomes `ConvolveError.file` naming it (for the CLI: exit 1, not 64); a `.usage` error
/// (an option that does not fit the file) stays as it is.
public func fileContent<T>(_ path: String, _ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let error as ConvolveError {
    switch error {
    case .file, .usage: throw error
    default: break
    }
    let (message, prefix) = (error.description, path + ": ")
    throw ConvolveError.file(path: path, reason: message.hasPrefix(prefix) ? String(message.dropFirst(prefix.count)) : message)
  }
}
