import ArgumentParser
import ConvolveCore
import ConvolveFormats
import ConvolveCNN
import ConvolveRender
import ConvolveLecture
import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct BatchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "batch",
    abstract: "Filter every photo in a folder (or run a pipeline on each), in parallel, resumable and shardable.",
    discussion: """
      Finds the images in INPUT_DIR (with --recursive, in its subfolders too; hidden files and folders are \
      skipped, symbolic links to folders are not followed), sorts them by relative path and writes each \
      result under OUTPUT_DIR at the same relative path, named by --name. With --pipeline each photo gets a \
      folder OUTPUT_DIR/<relative path without extension>/ holding the stage outputs (NN-stage.png).

      Nothing is lost: every output is written to a temporary file and renamed into place, an output that \
      would replace any file found in INPUT_DIR is refused before any work starts, and a damaged file is \
      reported and skipped over (--fail-fast stops at the first). Ctrl-C stops taking new files, lets the \
      running ones finish (Ctrl-C again abandons them and removes their temporary files), prints the \
      summary and exits with 130; rerun with --skip-existing to do the rest.

      --shard I/N (1-based) or --shard-index i --shard-count n (0-based, for $JOB_COMPLETION_INDEX or \
      $SLURM_ARRAY_TASK_ID) keeps the files whose relative path hashes (FNV-1a 64) to that shard: the \
      shards are disjoint, together cover every file, and a file keeps its shard when others are added.

      Exit status: 0 when every file was done or skipped, 1 when any failed, 64 for usage errors, \
      130 when interrupted (143 on SIGTERM).

      Examples:
        convolve batch photos/ blurred/ --filter gaussian --sigma 2 --recursive
        convolve batch photos/ edges/ --filter sobel --format png --name "{stem}-{filter}{ext}" --jobs 4
        convolve batch photos/ maps/ --pipeline Filters/pipelines/edges.json --colormap viridis
        convolve batch photos/ out/ --filter sobel --shard 2/8 --skip-existing --report report-2.json
      """)

  @Argument(help: "Folder with the input photos.") var inputDirectory: String
  @Argument(help: "Folder for the results (created if missing); the input folder's tree is mirrored in it.")
  var outputDirectory: String

  @Option(help: "Run this pipeline file (JSON) on every photo instead of one filter.") var pipeline: String?

  @OptionGroup(title: "Kernel") var kernel: KernelOptions
  @OptionGroup(title: "Geometry") var geometry: GeometryOptions
  @OptionGroup(title: "Output") var out: ImageOutputOptions
  @OptionGroup(title: "Input") var load: ImageInputOptions
  @OptionGroup(title: "Feature maps (with --pipeline)") var mapOptions: MapOutputOptions
  @Flag(help: "With --pipeline: also write the mean of the last stage's maps as a heat map over the photo.")
  var overlay = false

  @Flag(name: [.short, .long], help: "Also process the subfolders.") var recursive = false
  @Option(help: ArgumentHelp(
    "Process only files whose relative path or name matches this glob (repeatable; default *.png, *.jpg, *.jpeg).",
    discussion: "Globs are matched case-insensitively by fnmatch; in a relative path * also matches '/'.",
    valueName: "glob"))
  var include: [String] = []
  @Option(help: ArgumentHelp("Leave out files whose relative path or name matches this glob (repeatable).", valueName: "glob"))
  var exclude: [String] = []
  @Option(help: "Convert the outputs to png or jpg (default: keep each input's format).") var format: BatchFormat?
  @Option(help: ArgumentHelp("Output file name; placeholders {stem}, {ext} (with the dot) and {filter}.", valueName: "template"))
  var name = "{stem}{ext}"

  @Option(name: [.short, .long], help: "Files processed at once (default: the number of active processors).")
  var jobs: Int?
  @Flag(help: "Skip inputs whose output already exists (resume an interrupted or partly failed batch).")
  var skipExisting = false
  @Flag(help: "List what would be done (input -> output) and write nothing.") var dryRun = false
  @Flag(help: "Stop at the first failed file (the running ones finish).") var failFast = false
  @Flag(name: [.short, .long], help: "Print only errors and the summary.") var quiet = false
  @Option(help: ArgumentHelp("Write a JSON report: every file's status, outputs, time and error, and the totals.", valueName: "file"))
  var report: String?

  @Option(help: ArgumentHelp("Process only shard I of N, counted from 1 (e.g. 2/8).", valueName: "I/N")) var shard: String?
  @Option(help: ArgumentHelp("Process only shard i, counted from 0 (with --shard-count).", valueName: "i")) var shardIndex: Int?
  @Option(help: ArgumentHelp("The number of shards, for --shard-index.", valueName: "n")) var shardCount: Int?

  func validate() throws {
    if pipeline == nil && kernel.sourceCount != 1 {
      throw ValidationError("give exactly one of --filter, --kernel, --kernel-file and --pipeline")
    }
    if pipeline != nil && kernel.sourceCount != 0 {
      throw ValidationError("--pipeline replaces --filter, --kernel and --kernel-file; give only one of them")
    }
    if let jobs, jobs < 1 { throw ValidationError("--jobs is \(jobs); use at least 1") }
    if out.inPlace { throw ValidationError("batch never replaces an input file; --in-place is not accepted") }
    if name.contains("/") { throw ValidationError("--name \"\(name)\" is a file name; it must not contain '/'") }
    let unknown = name.replacingOccurrences(of: "{stem}", with: "").replacingOccurrences(of: "{ext}", with: "")
      .replacingOccurrences(of: "{filter}", with: "")
    if unknown.contains("{") || unknown.contains("}") {
      throw ValidationError("--name \"\(name)\": the placeholders are {stem}, {ext} and {filter}")
    }
    _ = try shardSelection()
  }

  func run() throws {
    let started = Date()
    let plan: Plan
    do {
      plan = try makePlan()
    } catch let error as ValidationError {
      // A usage error found while planning: exit 64 like the parser, without its generic usage line.
      writeStandardError("Error: \(error.message)\n")
      throw ExitCode.validationFailure
    }
    if kernel.showKernel, case .filter(let filter, _) = plan.work { Swift.print(filter.describe()) }
    if dryRun {
      for item in plan.items {
        Swift.print("\(item.input) -> \(item.output)\(item.skip ? " (exists, skipped)" : "")")
      }
      let skipped = plan.items.filter(\.skip).count
      if !quiet {
        writeStandardError("dry run: would process \(plan.items.count - skipped), skip \(skipped), write nothing\n")
      }
      return
    }
    try prepareDirectory(outputDirectory)
    let batch = Batch(
      plan: plan, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount, failFast: failFast,
      mode: quiet ? .quiet : standardErrorIsTerminal ? .bar : .lines, started: started)
    batch.report = report
    batch.process { item in try self.process(item, work: plan.work) }
    if let code = batch.finish() { throw ExitCode(code) }
  }

  // MARK: Planning

  /// What is applied to every photo.
  enum Work {
    case filter(ResolvedFilter, ConvolutionOptions)
    case pipeline(Pipeline)

    var name: String {
      switch self {
      case .filter(let f, _): return f.name
      case .pipeline(let p): return p.name
      }
    }
  }

  /// The files of this run, in order, and what is done to them.
  struct Plan {
    var work: Work
    var items: [BatchItem]
    var shard: String?
  }

  private func makePlan() throws -> Plan {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: inputDirectory, isDirectory: &isFolder), isFolder.boolValue else {
      throw ValidationError("the input folder \(inputDirectory) does not exist or is not a folder")
    }
    let work: Work
    do {
      if let pipeline {
        work = .pipeline(try Pipeline.load(path: pipeline, kernelNamed: libraryKernel(named:)))
      } else {
        work = .filter(try kernel.resolve(), geometry.options(correlate: kernel.correlate, defaultBorder: .replicate))
      }
    } catch let error as ValidationError {
      throw error
    } catch {
      throw ValidationError("\(error)")
    }

    let outputRoot = canonicalPath(outputDirectory)
    let inputRoot = canonicalPath(inputDirectory)
    let all = scanFolder(inputDirectory, recursive: recursive, skipping: outputRoot == inputRoot ? nil : outputRoot)
    let includes = (include.isEmpty ? ["*.png", "*.jpg", "*.jpeg"] : include).map { $0.lowercased() }
    let excludes = exclude.map { $0.lowercased() }
    func matches(_ patterns: [String], _ relative: String) -> Bool {
      let path = relative.lowercased()
      let name = path.split(separator: "/").last.map(String.init) ?? path
      return patterns.contains { fnmatch($0, path, 0) == 0 || fnmatch($0, name, 0) == 0 }
    }
    var selected = all.filter { matches(includes, $0) && !matches(excludes, $0) }
    let shardChoice = try shardSelection()
    if let (index, count) = shardChoice {
      selected = selected.filter { fnv1a64($0) % UInt64(count) == UInt64(index) }
    }

    // Every file found in the input folder, matched or not, is protected.
    var inputFiles: [String: String] = [:]
    for relative in all { inputFiles[canonicalPath(join(inputDirectory, relative))] = relative }
    var claimed: [String: String] = [:]
    var items: [BatchItem] = []
    for relative in selected {
      let output = try outputPath(for: relative, work: work)
      let canonical = canonicalPath(output)
      if let other = inputFiles[canonical] {
        throw ValidationError(
          "the output \(output) for \(relative) would replace the input file \(join(inputDirectory, other)); "
            + "choose another OUTPUT_DIR, --name or --format, or --exclude the earlier outputs")
      }
      if pipeline != nil, let inside = inputFiles.first(where: { $0.key.hasPrefix(canonical + "/") }) {
        throw ValidationError(
          "the output folder \(output) for \(relative) holds the input file \(join(inputDirectory, inside.value)); "
            + "choose another OUTPUT_DIR")
      }
      if let other = claimed[canonical] {
        throw ValidationError("\(other) and \(relative) would both be written to \(output); use --name with {ext} or --exclude one")
      }
      claimed[canonical] = relative
      // A pipeline's output is a folder, a filter's a file.
      var existingIsFolder: ObjCBool = false
      let skip = skipExisting && FileManager.default.fileExists(atPath: output, isDirectory: &existingIsFolder)
        && existingIsFolder.boolValue == (pipeline != nil)
      items.append(BatchItem(relative: relative, input: join(inputDirectory, relative), output: output, skip: skip))
    }
    if let report, inputFiles[canonicalPath(report)] != nil {
      throw ValidationError("the report \(report) would replace an input file")
    }
    return Plan(work: work, items: items, shard: shardChoice.map { "\($0.0 + 1)/\($0.1)" })
  }

  /// The output file (or, for a pipeline, folder) of the input at `relative`.
  private func outputPath(for relative: String, work: Work) throws -> String {
    let folder = parentPath(relative)
    let file = relative.split(separator: "/").last.map(String.init) ?? relative
    let dot = file.lastIndex(of: ".").flatMap { $0 == file.startIndex ? nil : $0 }
    let stem = dot.map { String(file[..<$0]) } ?? file
    let directory = folder.isEmpty ? outputDirectory : join(outputDirectory, folder)
    if case .pipeline = work { return join(directory, stem) }
    let ext = format.map { "." + $0.rawValue } ?? dot.map { String(file[$0...]) } ?? ""
    let name = self.name.replacingOccurrences(of: "{stem}", with: stem).replacingOccurrences(of: "{ext}", with: ext)
      .replacingOccurrences(of: "{filter}", with: work.name)
    do {
      _ = try ImageFormat(path: name)
    } catch {
      throw ValidationError("--name \"\(self.name)\" gives \(name) for \(relative): \(error)")
    }
    return join(directory, name)
  }

  /// The 0-based shard index and count asked for, if any.
  private func shardSelection() throws -> (Int, Int)? {
    if let shard {
      if shardIndex != nil || shardCount != nil {
        throw ValidationError("give either --shard I/N or --shard-index with --shard-count, not both")
      }
      let parts = shard.split(separator: "/", omittingEmptySubsequences: false).map { Int($0) }
      guard parts.count == 2, let i = parts[0], let n = parts[1], n >= 1 else {
        throw ValidationError("--shard \(shard): write I/N, e.g. --shard 2/8 for the second of 8 shards")
      }
      if i == 0 {
        throw ValidationError(
          "--shard \(shard): I counts from 1 (1/\(n) to \(n)/\(n)); for a 0-based index such as "
            + "$JOB_COMPLETION_INDEX use --shard-index \(i) --shard-count \(n)")
      }
      guard (1 ... n).contains(i) else {
        throw ValidationError("--shard \(shard): I must be between 1 and \(n)")
      }
      return (i - 1, n)
    }
    switch (shardIndex, shardCount) {
    case (nil, nil): return nil
    case (.some, nil), (nil, .some): throw ValidationError("--shard-index and --shard-count go together")
    case (let i?, let n?):
      guard n >= 1 else { throw ValidationError("--shard-count is \(n); use at least 1") }
      guard (0 ..< n).contains(i) else {
        throw ValidationError(
          "--shard-index \(i) with --shard-count \(n): the index runs from 0 to \(n - 1)"
            + (i == n ? " (for a 1-based index use --shard \(i)/\(n))" : ""))
      }
      return (i, n)
    }
  }

  // MARK: One file

  /// Processes one photo, returning the files written.
  private func process(_ item: BatchItem, work: Work) throws -> [String] {
    let image = try load.load(item.input)
    switch work {
    case .filter(let filter, let options):
      let (_, mapped) = try filterImage(image, with: filter, options: options, outputRange: out.outputRange)
      try makeFolders(parentPath(item.output))
      try out.save(mapped, to: item.output, input: image.info)
      return [item.output]
    case .pipeline(let chain):
      try makeFolders(parentPath(item.output))
      return try writeFolderAtomically(item.output) { folder in
        try runStages(
          chain, image: image, input: item.input, outputDirectory: folder, maps: mapOptions, overlay: overlay,
          prefix: { i, stage in String(format: "%02d-", i + 1) + stage.name }, log: { _ in })
      }
    }
  }
}

/// The output formats `--format` offers.
enum BatchFormat: String, ExpressibleByArgument, CaseIterable {
  case png, jpg
  init?(argument: String) {
    switch argument.lowercased() {
    case "png": self = .png
    case "jpg", "jpeg": self = .jpg
    default: return nil
    }
  }
}

/// One input photo of a batch.
struct BatchItem: Sendable {
  /// The path relative to the input folder, with '/' separators.
  var relative: String
  var input: String
  /// The output file, or the output folder for a pipeline.
  var output: String
  /// Skipped because the output exists (`--skip-existing`).
  var skip: Bool
}

// MARK: Running

/// How progress is shown.
enum ProgressMode { case bar, lines, quiet }

/// The outcome of one file.
struct BatchOutcome: Sendable {
  enum Status: String, Sendable { case ok, skipped, failed, pending }
  var status: Status
  var outputs: [String] = []
  var milliseconds: Double?
  var error: String?
}

/// Runs a plan on a fixed number of worker threads, each taking the next file when it is done with one, and
/// reports progress, the summary and the JSON report. Lines and the report follow the plan's order.
final class Batch: @unchecked Sendable {
  let plan: BatchCommand.Plan
  let jobs: Int
  let failFast: Bool
  let mode: ProgressMode
  let started: Date
  var report: String?

  private let lock = NSLock()
  private var outcomes: [BatchOutcome?]
  private var next = 0
  private var nextLine = 0
  private var stopping = false
  private var signalNumber: Int32?
  private var running: [Int: String] = [:]
  private var finished = false
  private var bar: ProgressBar
  private var signalSources: [DispatchSourceSignal] = []

  init(plan: BatchCommand.Plan, jobs: Int, failFast: Bool, mode: ProgressMode, started: Date) {
    (self.plan, self.jobs, self.failFast, self.mode, self.started) = (plan, jobs, failFast, mode, started)
    outcomes = plan.items.map { $0.skip ? BatchOutcome(status: .skipped) : nil }
    bar = ProgressBar(total: plan.items.count)
  }

  /// Runs `body` on every file not skipped, `jobs` at a time; returns when all are done or the batch stopped.
  func process(_ body: @escaping @Sendable (BatchItem) throws -> [String]) {
    catchSignals()
    lock.lock()
    emitLines()
    lock.unlock()
    let group = DispatchGroup()
    for _ in 0 ..< min(jobs, max(1, plan.items.count)) {
      group.enter()
      let thread = Thread { [self] in
        while let index = take() {
          let item = plan.items[index]
          let start = DispatchTime.now()
          var outcome: BatchOutcome
          do {
            outcome = BatchOutcome(status: .ok, outputs: try body(item))
          } catch {
            outcome = BatchOutcome(status: .failed, error: reason(error, input: item.input))
          }
          outcome.milliseconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
          record(outcome, at: index)
        }
        group.leave()
      }
      thread.stackSize = 8 << 20
      thread.start()
    }
    while group.wait(timeout: .now() + 0.25) == .timedOut {
      if mode == .bar { lock.lock(); drawBar(); lock.unlock() }
    }
  }

  /// Prints the summary and writes the report; returns the exit code when it is not 0.
  func finish() -> Int32? {
    lock.lock()
    defer { lock.unlock() }
    return finishLocked()
  }

  private func finishLocked() -> Int32? {
    finished = true
    let counts = self.counts()
    let elapsed = Date().timeIntervalSince(started)
    let processed = counts.ok + counts.failed
    if mode == .bar { ProgressBar.clear() }
    var summary = "done \(counts.ok), skipped \(counts.skipped), failed \(counts.failed) in "
      + String(format: "%.1f s (%.1f files/s)", elapsed, elapsed > 0 ? Double(processed) / elapsed : 0)
    if let signalNumber {
      summary = "interrupted (\(signalNumber == SIGINT ? "SIGINT" : "SIGTERM")): " + summary
        + ", not started \(counts.pending); rerun with --skip-existing to finish"
    }
    writeStandardError(summary + "\n")
    if let report {
      do {
        try writeReport(report, elapsed: elapsed)
      } catch {
        writeStandardError("error: cannot write the report \(report): \(error)\n")
        return signalNumber.map { 128 + $0 } ?? 1
      }
    }
    if let signalNumber { return 128 + signalNumber }
    return counts.failed > 0 ? 1 : nil
  }

  /// The next file to process, or nil when there is none or the batch is stopping.
  private func take() -> Int? {
    lock.lock()
    defer { lock.unlock() }
    while next < plan.items.count && outcomes[next] != nil { next += 1 }
    guard !stopping, next < plan.items.count else { return nil }
    next += 1
    running[next - 1] = plan.items[next - 1].output
    return next - 1
  }

  private func record(_ outcome: BatchOutcome, at index: Int) {
    lock.lock()
    defer { lock.unlock() }
    guard !finished else { return }
    running[index] = nil
    outcomes[index] = outcome
    if outcome.status == .failed && failFast && !stopping {
      stopping = true
    }
    if mode == .bar && outcome.status == .failed {
      // On a terminal an error shows at once, above the bar.
      ProgressBar.clear()
      writeStandardError("FAILED \(plan.items[index].input): \(outcome.error ?? "unknown error")\n")
    }
    emitLines()
    if mode == .bar { drawBar() }
  }

  /// Prints the lines of the files finished so far, in the plan's order (without a terminal, where the lines
  /// may well go to a log file).
  private func emitLines() {
    while nextLine < outcomes.count, let outcome = outcomes[nextLine] {
      let item = plan.items[nextLine]
      nextLine += 1
      var line: String?
      switch (outcome.status, mode) {
      case (.failed, .bar): break
      case (.failed, _): line = "FAILED \(item.input): \(outcome.error ?? "unknown error")"
      case (.ok, .lines):
        line = "ok \(item.input) -> \(item.output) (\(Int((outcome.milliseconds ?? 0).rounded())) ms)"
      case (.skipped, .lines): line = "skipped \(item.input)"
      default: break
      }
      if let line {
        if mode == .bar { ProgressBar.clear() }
        writeStandardError(line + "\n")
      }
    }
  }

  private func drawBar() {
    guard !finished else { return }
    let c = counts()
    let remaining = plan.items.count - c.ok - c.failed - c.skipped
    ProgressBar.draw(
      bar.line(
        finished: c.ok + c.failed + c.skipped, processed: c.ok + c.failed, failed: c.failed, remaining: remaining,
        elapsed: Date().timeIntervalSince(started)))
  }

  private func counts() -> (ok: Int, skipped: Int, failed: Int, pending: Int) {
    var c = (ok: 0, skipped: 0, failed: 0, pending: 0)
    for outcome in outcomes {
      switch outcome?.status ?? .pending {
      case .ok: c.ok += 1
      case .skipped: c.skipped += 1
      case .failed: c.failed += 1
      case .pending: c.pending += 1
      }
    }
    return c
  }

  /// SIGINT or SIGTERM: stop taking files and let the running ones finish; a second one abandons them.
  private func catchSignals() {
    for number in [SIGINT, SIGTERM] {
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler { [self] in interrupted(by: number) }
      source.resume()
      signalSources.append(source)
    }
  }

  private func interrupted(by number: Int32) {
    lock.lock()
    guard !finished else { lock.unlock(); return }
    if signalNumber == nil {
      signalNumber = number
      stopping = true
      if mode == .bar { ProgressBar.clear() }
      if !running.isEmpty {
        writeStandardError(
          "stopping: finishing \(running.count) running file\(running.count == 1 ? "" : "s") "
            + "(interrupt again to abandon \(running.count == 1 ? "it" : "them"))\n")
      }
      lock.unlock()
      return
    }
    // Abandon the running files: remove their temporary files and leave.
    for output in running.values { removeTemporaries(of: output) }
    let code = finishLocked() ?? 0
    exit(code)
  }

  private func writeReport(_ path: String, elapsed: Double) throws {
    let c = counts()
    let files: [[String: Any]] = plan.items.enumerated().map { index, item in
      let outcome = outcomes[index] ?? BatchOutcome(status: .pending)
      var entry: [String: Any] = [
        "input": item.input, "relativePath": item.relative, "status": outcome.status.rawValue,
        "outputs": outcome.status == .skipped ? [item.output] : outcome.outputs,
      ]
      if let ms = outcome.milliseconds { entry["milliseconds"] = (ms * 10).rounded() / 10 }
      if let error = outcome.error { entry["error"] = error }
      return entry
    }
    var totals: [String: Any] = [
      "done": c.ok, "skipped": c.skipped, "failed": c.failed, "notStarted": c.pending,
      "seconds": (elapsed * 1000).rounded() / 1000,
      "filesPerSecond": elapsed > 0 ? (Double(c.ok + c.failed) / elapsed * 100).rounded() / 100 : 0,
      "interrupted": signalNumber != nil,
    ]
    if let shard = plan.shard { totals["shard"] = shard }
    let document: [String: Any] = ["files": files, "totals": totals]
    let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
    try data.write(to: URL(fileURLWithPath: path), options: .atomic)
  }
}

/// The reason `error` gives, without the input path when it starts with it.
private func reason(_ error: Error, input: String) -> String {
  if case ConvolveError.file(let path, let reason) = error, path == input { return reason }
  return "\(error)"
}

// MARK: Files

/// The relative paths of the files in `folder` (and its subfolders when `recursive`), sorted by their bytes;
/// hidden entries, symbolic links to folders and the folder whose canonical path is `skipping` are left out.
func scanFolder(_ folder: String, recursive: Bool, skipping: String?) -> [String] {
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

/// The absolute path with symbolic links resolved, for paths that may not exist yet: the longest existing
/// ancestor is resolved and the rest appended.
func canonicalPath(_ path: String) -> String {
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

/// FNV-1a, 64 bits, of the UTF-8 bytes of `text`: a hash that never changes between runs or machines.
func fnv1a64(_ text: String) -> UInt64 {
  var hash: UInt64 = 0xcbf2_9ce4_8422_2325
  for byte in text.utf8 {
    hash ^= UInt64(byte)
    hash = hash &* 0x100_0000_01b3
  }
  return hash
}

/// Writes a folder through a temporary sibling folder that `body` fills, renamed into place when complete;
/// when the folder exists already, the new files are renamed into it one by one. Returns the final paths.
func writeFolderAtomically(_ folder: String, _ body: (String) throws -> [String]) throws -> [String] {
  let parent = parentPath(folder)
  let name = folder.split(separator: "/").last.map(String.init) ?? folder
  let temporary = join(parent.isEmpty ? "." : parent, ".\(name).tmp-\(getpid())-\(String(UInt64.random(in: 0 ... .max), radix: 16))")
  do {
    try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false)
  } catch {
    throw ConvolveError.file(path: folder, reason: "cannot create a temporary folder beside it")
  }
  do {
    let written = try body(temporary)
    let final = written.map { join(folder, $0.split(separator: "/").last.map(String.init) ?? $0) }
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

/// Removes the temporary files and folders this process made for `output` (`.NAME.tmp-PID-...`).
func removeTemporaries(of output: String) {
  let parent = parentPath(output)
  let folder = parent.isEmpty ? "." : parent
  let name = output.split(separator: "/").last.map(String.init) ?? output
  let prefix = ".\(name).tmp-\(getpid())-"
  for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where entry.hasPrefix(prefix) {
    try? FileManager.default.removeItem(atPath: join(folder, entry))
  }
}

/// Creates `path` and its missing parents; safe when other threads create the same folders.
func makeFolders(_ path: String) throws {
  guard !path.isEmpty else { return }
  var info = stat()
  if stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR { return }
  try makeFolders(parentPath(path))
  if mkdir(path, 0o777) != 0 && errno != EEXIST {
    throw ConvolveError.file(path: path, reason: "cannot create the folder: \(String(cString: strerror(errno)))")
  }
}

/// `a/b` from `a` and `b`.
func join(_ folder: String, _ name: String) -> String {
  folder.hasSuffix("/") ? folder + name : folder + "/" + name
}

/// The folder part of a path ("" for a bare name).
func parentPath(_ path: String) -> String {
  guard let slash = path.lastIndex(of: "/") else { return "" }
  return slash == path.startIndex ? "/" : String(path[..<slash])
}
