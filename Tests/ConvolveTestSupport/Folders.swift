import Foundation

/// The package root, found from this file's path.
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()

/// `Tests/Fixtures/<name>`: committed fixtures and the scripts that make them.
public func fixtureURL(_ name: String) -> URL {
  packageRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(name)
}

/// Decodes the JSON fixture `Tests/Fixtures/<name>`.
public func loadFixture<T: Decodable>(_ name: String, as: T.Type = T.self) throws -> T {
  try JSONDecoder().decode(T.self, from: Data(contentsOf: fixtureURL(name)))
}

/// `../shared` beside the checkout: corpora and trained models made by others, read in place.
public let sharedFolder = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")

/// A fresh empty directory under the system temporary folder; the caller removes it.
public func temporaryDirectory() throws -> URL {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("convolve-test-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  return dir
}

/// The message of the error `body` throws, or nil when it returns.
public func thrownMessage(_ body: () throws -> Any) -> String? {
  do {
    _ = try body()
    return nil
  } catch {
    return "\(error)"
  }
}
