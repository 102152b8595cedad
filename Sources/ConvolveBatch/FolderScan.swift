import ConvolveCore
import ConvolveFormats
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The relative paths of the files in `folder` (and its subfolders when `recursive`), sorted by their bytes;
/// hidden entries, symbolic links to folders and the folder whose canonical path is `skipping` are left out.
public func scanFolder(_ folder: String, recursive: Bool, skipping: String?) -> [String] {
  var found: [String] = []
  func walk(_ relative: String) {
    let path = relative.isEmpty ? folder : join(folder, relative)
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: path)
    } catch {
      writeStandardError("warning: cannot read the folder \(path): \(error.localizedDescription)\n")
      return
    }
    for name in names where !name.hasPrefix(".") {
      let child = relative.isEmpty ? name : relative + "/" + name
      let full = join(folder, child)
      var info = stat()
      guard lstat(full, &info) == 0 else { continue }
      switch info.st_mode & S_IFMT {
      case S_IFDIR:
        if recursive && canonicalPath(full) != skipping { walk(child) }
      case S_IFREG:
        found.append(child)
      case S_IFLNK:
        var target = stat()
        if stat(full, &target) == 0 && target.st_mode & S_IFMT == S_IFREG { found.append(child) }
      default: break
      }
    }
  }
  walk("")
  return found.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
}
