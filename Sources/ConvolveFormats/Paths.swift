import ConvolveCore
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `a/b` from `a` and `b`.
public func join(_ folder: String, _ name: String) -> String {
  folder.hasSuffix("/") ? folder + name : folder + "/" + name
}

/// The folder part of a path: "" for a bare name, "/" for a file at the root.
public func parentPath(_ path: String) -> String {
  guard let slash = path.lastIndex(of: "/") else { return "" }
  return slash == path.startIndex ? "/" : String(path[..<slash])
}

/// The last component of a path.
public func lastComponent(_ path: String) -> String {
  path.split(separator: "/").last.map(String.init) ?? path
}

/// The absolute path with symbolic links resolved, for paths that may not exist yet: the longest existing
/// ancestor is resolved and the rest appended.
public func canonicalPath(_ path: String) -> String {
  var url = URL(fileURLWithPath: path).standardizedFileURL
  var rest: [String] = []
  while true {
    if let resolved = realpath(url.path, nil) {
      defer { free(resolved) }
      let base = String(cString: resolved)
      return rest.isEmpty ? base : (base == "/" ? "" : base) + "/" + rest.joined(separator: "/")
    }
    if url.path == "/" { return path }
    rest.insert(url.lastPathComponent, at: 0)
    url = url.deletingLastPathComponent()
  }
}

/// Creates `path` and its missing parents; safe when other threads create the same folders.
public func makeFolders(_ path: String) throws {
  guard !path.isEmpty else { return }
  var info = stat()
  if stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR { return }
  try makeFolders(parentPath(path))
  if mkdir(path, 0o777) != 0 && errno != EEXIST {
    throw ConvolveError.file(path: path, reason: "cannot create the folder: \(String(cString: strerror(errno)))")
  }
}

/// Creates the output directory if needed.
public func prepareDirectory(_ path: String) throws {
  do {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  } catch {
    throw ConvolveError.file(path: path, reason: "cannot create the output folder")
  }
}
