import ArgumentParser
import ConvolveBatch
import ConvolveFormats

/// How a command walks a folder of photos (`batch`, `model top-patches`): which files, how many at once, and
/// which shard.
struct FolderOptions: ParsableArguments {
  @Flag(name: [.short, .long], help: "Also process the subfolders.") var recursive = false
  @Option(help: ArgumentHelp(
    "Process only files whose relative path or name matches this glob (repeatable; default \(ImageFormat.readableGlobs.joined(separator: ", "))).",
    discussion: "Globs are matched case-insensitively by fnmatch; in a relative path * also matches '/'.",
    valueName: "glob"))
  var include: [String] = []
  @Option(help: ArgumentHelp("Leave out files whose relative path or name matches this glob (repeatable; default: none).", valueName: "glob"))
  var exclude: [String] = []
  @Option(name: [.short, .long], help: ArgumentHelp("Files processed at once (default: the number of active processors).", valueName: "n"))
  var jobs: Int?
  @Flag(name: [.short, .long], help: "Print only errors and the summary.") var quiet = false
  @Option(help: ArgumentHelp("Process only shard I of N, counted from 1, e.g. 2/8 (default: every file).", valueName: "I/N"))
  var shard: String?
  @Option(help: ArgumentHelp("Process only shard i, counted from 0, with --shard-count (default: every file).", valueName: "i"))
  var shardIndex: Int?
  @Option(help: ArgumentHelp("The number of shards, for --shard-index (default: 1).", valueName: "n")) var shardCount: Int?

  func validate() throws {
    if let jobs, jobs < 1 { throw ValidationError("--jobs is \(jobs); use at least 1") }
    _ = try shardChoice()
  }

  private func shardChoice() throws -> Shard? {
    do { return try ConvolveBatch.shardChoice(shard: shard, index: shardIndex, count: shardCount) } catch let error as BatchUsageError {
      throw ValidationError(error.message)
    }
  }

  /// The files of `input` these options choose, with outputs under `output`.
  func layout(_ input: String, _ output: String) throws -> BatchLayout {
    var layout = BatchLayout(inputDirectory: input, outputDirectory: output)
    (layout.recursive, layout.include, layout.exclude) = (recursive, include, exclude)
    layout.shard = try shardChoice()
    return layout
  }
}
