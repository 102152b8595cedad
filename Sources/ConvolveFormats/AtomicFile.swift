import ConvolveCore
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Every file and folder convolve writes goes through here: it is made under a temporary name beside its
/// final path (`.NAME.tmp-PID-RANDOM`) and renamed into place when complete, so a failure or an
/// interruption never leaves a half-written output, and `removeTemporaries(of:)` finds what is left.
public enum AtomicFile {
  /// A fresh temporary name beside `path`.
  public static func temporaryPath(for path: String) -> String {
    let parent = parentPath(path)
    return join(parent.isEmpty ? "." : parent, temporaryPrefix(lastComponent(path)) + String(UInt64.random(in: 0 ... .max), radix: 16))
  }

  /// Writes `path` by letting `body` write its temporary path, then renaming it over `path`; the temporary
  /// file is removed when `body` or the rename fails.
  public static func write(_ path: String, _ body: (String) throws -> Void) throws {
    let parent = parentPath(path).isEmpty ? "." : parentPath(path)
    var status = stat()
    guard stat(parent, &status) == 0 else {
      if errno == ENOENT || errno == ENOTDIR { throw ConvolveError.file(path: path, reason: "directory '\(parent)' does not exist") }
      throw ConvolveError.file(path: path, reason: "cannot use directory '\(parent)': \(String(cString: strerror(errno)))")
    }
    guard status.st_mode & S_IFMT == S_IFDIR else { throw ConvolveError.file(path: path, reason: "'\(parent)' is not a directory") }
    let temporary = temporaryPath(for: path)
    do {
      try body(temporary)
      guard rename(temporary, path) == 0 else {
        throw ConvolveError.file(path: path, reason: "cannot replace the file: \(String(cString: strerror(errno)))")
      }
    } catch {
      unlink(temporary)
      throw error
    }
  }

  /// Writes `data` to `path` atomically.
  public static func write(_ data: Data, to path: String) throws {
    try write(path) { temporary in
      guard FileManager.default.createFile(atPath: temporary, contents: data) else {
        throw ConvolveError.file(path: path, reason: "cannot write the temporary file \(temporary)")
      }
    }
  }

  /// Writes a folder through a temporary sibling folder that `body` fills, renamed into place when complete;
  /// when the folder exists already, the new files are renamed into it one by one. Returns the final paths.
  public static func writeFolder(_ folder: String, _ body: (String) throws -> [String]) throws -> [String] {
    let temporary = temporaryPath(for: folder)
    do {
      try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false)
    } catch {
      throw ConvolveError.file(path: folder, reason: "cannot create a temporary folder beside it")
    }
    do {
      let written = try body(temporary)
      let final = written.map { join(folder, lastComponent($0)) }
      if rename(temporary, folder) != 0 {
        guard errno == ENOTEMPTY || errno == EEXIST else {
          throw ConvolveError.file(path: folder, reason: "cannot rename the finished folder: \(String(cString: strerror(errno)))")
        }
        for (from, to) in zip(written, final) where rename(from, to) != 0 {
          throw ConvolveError.file(path: to, reason: "cannot replace the file: \(String(cString: strerror(errno)))")
        }
        try? FileManager.default.removeItem(atPath: temporary)
      }
      return final
    } catch {
      try? FileManager.default.removeItem(atPath: temporary)
      throw error
    }
  }

  /// Removes the temporary files and folders this process made for `output`.
  public static func removeTemporaries(of output: String) {
    let parent = parentPath(output)
    let folder = parent.isEmpty ? "." : parent
    let prefix = temporaryPrefix(lastComponent(output))
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where entry.hasPrefix(prefix) {
      try? FileManager.default.removeItem(atPath: join(folder, entry))
    }
  }

  private static func temporaryPrefix(_ name: String) -> String { ".\(name).tmp-\(getpid())-" }
}
