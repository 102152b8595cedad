import ConvolveCore
import ConvolveFormats
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One input photo of a batch.
public struct BatchItem: Sendable {
  /// The path relative to the input folder, with '/' separators.
  public var relative: String
  public var input: String
  /// The output file, or the output folder when each photo gets a folder.
  public var output: String
  /// Skipped because the output exists (`--skip-existing`).
  public var skip: Bool

  public init(relative: String, input: String, output: String, skip: Bool = false) {
    (self.relative, self.input, self.output, self.skip) = (relative, input, output, skip)
  }
}

/// The files of a run, in order.
public struct BatchPlan: Sendable {
  public var items: [BatchItem]
  /// `I/N` when sharded.
  public var shard: String?

  public init(items: [BatchItem], shard: String? = nil) { (self.items, self.shard) = (items, shard) }
}

/// What a batch reads and where each result goes: the folder scan, the globs, the shard, the output names,
/// and the checks that no output replaces an input.
public struct BatchLayout: Sendable {
  public var inputDirectory: String
  public var outputDirectory: String
  public var recursive = false
  /// Globs matched case-insensitively against the relative path and the name; empty means PNG and JPEG.
  public var include: [String] = []
  public var exclude: [String] = []
  public var shard: Shard?
  /// The output file name: `{stem}`, `{ext}` (with the dot) and `{work}`'s name as `{filter}`.
  public var nameTemplate = "{stem}{ext}"
  /// The output extension (with the dot) replacing the input's, if any.
  public var outputExtension: String?
  /// Each photo gets a folder `OUTPUT/<relative path without extension>/` instead of a file.
  public var outputIsFolder = false
  public var skipExisting = false

  public init(inputDirectory: String, outputDirectory: String) {
    (self.inputDirectory, self.outputDirectory) = (inputDirectory, outputDirectory)
  }

  /// The plan for `workName` (the filter or pipeline name used by `{filter}`); `report` is the JSON report
  /// path, checked not to replace an input.
  public func plan(workName: String, report: String? = nil) throws -> BatchPlan {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: inputDirectory, isDirectory: &isFolder), isFolder.boolValue else {
      throw BatchUsageError("the input folder \(inputDirectory) does not exist or is not a folder")
    }
    let outputRoot = canonicalPath(outputDirectory)
    let inputRoot = canonicalPath(inputDirectory)
    let all = scanFolder(inputDirectory, recursive: recursive, skipping: outputRoot == inputRoot ? nil : outputRoot)
    let includes = (include.isEmpty ? ImageFormat.readableGlobs : include).map { $0.lowercased() }
    let excludes = exclude.map { $0.lowercased() }
    func matches(_ patterns: [String], _ relative: String) -> Bool {
      let path = relative.lowercased()
      let name = lastComponent(path)
      return patterns.contains { fnmatch($0, path, 0) == 0 || fnmatch($0, name, 0) == 0 }
    }
    var selected = all.filter { matches(includes, $0) && !matches(excludes, $0) }
    if selected.isEmpty && !recursive {
      let below = scanFolder(inputDirectory, recursive: true, skipping: outputRoot == inputRoot ? nil : outputRoot)
        .filter { matches(includes, $0) && !matches(excludes, $0) }.count
      if below > 0 {
        throw BatchUsageError(
          "no image at the top level of \(inputDirectory), but \(below) in its subfolders; add --recursive to take them")
      }
    }
    if let shard { selected = selected.filter(shard.contains) }

    // Every file found in the input folder, matched or not, is protected.
    var inputFiles: [String: String] = [:]
    for relative in all { inputFiles[canonicalPath(join(inputDirectory, relative))] = relative }
    var claimed: [String: String] = [:]
    var items: [BatchItem] = []
    for relative in selected {
      let output = try outputPath(for: relative, workName: workName)
      let canonical = canonicalPath(output)
      if let other = inputFiles[canonical] {
        throw BatchUsageError(
          "the output \(output) for \(relative) would replace the input file \(join(inputDirectory, other)); "
            + "choose another OUTPUT_DIR, --name or --format, or --exclude the earlier outputs")
      }
      if outputIsFolder, let inside = inputFiles.first(where: { $0.key.hasPrefix(canonical + "/") }) {
        throw BatchUsageError(
          "the output folder \(output) for \(relative) holds the input file \(join(inputDirectory, inside.value)); "
            + "choose another OUTPUT_DIR")
      }
      if let other = claimed[canonical] {
        throw BatchUsageError("\(other) and \(relative) would both be written to \(output); use --name with {ext} or --exclude one")
      }
      claimed[canonical] = relative
      var existingIsFolder: ObjCBool = false
      let skip = skipExisting && FileManager.default.fileExists(atPath: output, isDirectory: &existingIsFolder)
        && existingIsFolder.boolValue == outputIsFolder
      items.append(BatchItem(relative: relative, input: join(inputDirectory, relative), output: output, skip: skip))
    }
    if let report, inputFiles[canonicalPath(report)] != nil {
      throw BatchUsageError("the report \(report) would replace an input file")
    }
    return BatchPlan(items: items, shard: shard?.description)
  }

  /// The output file (or folder) of the input at `relative`.
  private func outputPath(for relative: String, workName: String) throws -> String {
    let folder = parentPath(relative)
    let file = lastComponent(relative)
    let dot = file.lastIndex(of: ".").flatMap { $0 == file.startIndex ? nil : $0 }
    let stem = dot.map { String(file[..<$0]) } ?? file
    let directory = folder.isEmpty ? outputDirectory : join(outputDirectory, folder)
    if outputIsFolder { return join(directory, stem) }
    var ext = outputExtension ?? dot.map { String(file[$0...]) } ?? ""
    // A photo in a format read but not written (HEIC) gives a JPEG, as phones export them.
    if outputExtension == nil, (try? ImageFormat(path: file)) == nil,
      ImageFormat.readableExtensions.contains(ext.dropFirst().lowercased())
    {
      ext = "." + ImageFormat.jpeg.fileExtension
    }
    let name = nameTemplate.replacingOccurrences(of: "{stem}", with: stem).replacingOccurrences(of: "{ext}", with: ext)
      .replacingOccurrences(of: "{filter}", with: workName)
    do {
      _ = try ImageFormat(path: name)
    } catch {
      throw BatchUsageError("--name \"\(nameTemplate)\" gives \(name) for \(relative): \(error)")
    }
    return join(directory, name)
  }
}
