import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Why the file at `path` cannot be opened for reading, in the system's words ("No such file or directory",
/// "Permission denied"), or "it is a folder"; nil when it can.
public func unreadableReason(_ path: String) -> String? {
  let fd = open(path, O_RDONLY)
  guard fd >= 0 else { return String(cString: strerror(errno)) }
  defer { close(fd) }
  var info = stat()
  if fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { return "it is a folder" }
  return nil
}

/// The bytes of the file at `path`; when it cannot be read, a file error saying why: `cannot be read: Permission
/// denied`, or with `what`, `cannot read the pipeline file: No such file or directory`.
public func readFileData(_ path: String, what: String? = nil) throws -> Data {
  func fail(_ why: String) -> ConvolveError {
    .file(path: path, reason: (what.map { "cannot read \($0)" } ?? "cannot be read") + ": " + why)
  }
  if let why = unreadableReason(path) { throw fail(why) }
  do {
    return try Data(contentsOf: URL(fileURLWithPath: path))
  } catch {
    throw fail(unreadableReason(path) ?? error.localizedDescription)
  }
}
