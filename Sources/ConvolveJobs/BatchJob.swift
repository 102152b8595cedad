import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveRender
import Foundation

/// `batch`: one filter, pipeline or model applied to every photo of a plan, on `jobs` workers.
public struct BatchJob: Sendable {
  /// What is applied to every photo.
  public enum Work: Sendable {
    case filter(ResolvedFilter, ConvolutionOptions)
    case pipeline(Pipeline)
    case model(ModelRunner, ModelInput)

    /// The name `{filter}` stands for in output names.
    public var name: String {
      switch self {
      case .filter(let f, _): return f.name
      case .pipeline(let p): return p.name
      case .model(let runner, _): return URL(fileURLWithPath: runner.graph.source).deletingPathExtension().lastPathComponent
      }
    }
  }

  public var work: Work
  /// A filter's `--output-range` (nil: the filter's own).
  public var outputRange: OutputMapping?
  public var light = PhotoLight()
  public var writing = ImageWriteSettings()
  public var loading = ImageLoading()
  /// A filter's output rows per strip (nil: the default; 0: never stream).
  public var stripRows: Int?
  /// How a pipeline's stages are drawn, and whether the mean of the last one goes over the photo.
  public var maps = FeatureMapWriter()
  public var overlay = false
  /// Print the note on unused rows and columns (off when the rounding was chosen explicitly, `--floor`).
  public var roundingNote = true

  public init(work: Work) { self.work = work }

  /// Runs every item of `plan` into `outputDirectory` (progress on standard error unless `quiet`); the notes on
  /// unused rows and columns summed up in one line at the end. Returns the batch's exit status when not 0.
  public func run(
    _ plan: BatchPlan, into outputDirectory: String, jobs: Int, failFast: Bool, quiet: Bool, report: String?,
    started: Date = Date()
  ) throws -> Int32? {
    try prepareDirectory(outputDirectory)
    let batch = BatchRunner(
      plan: plan, jobs: jobs, failFast: failFast, mode: quiet ? .quiet : standardErrorIsTerminal ? .bar : .lines,
      started: started)
    batch.report = report
    let notes = BatchNotes()
    batch.process { item in try self.process(item, notes: notes) }
    let code = batch.finish()
    if let note = notes.summary(files: plan.items.count), !quiet, roundingNote { writeStandardError("note: \(note)\n") }
    return code
  }

  /// Processes one photo, returning the files written.
  public func process(_ item: BatchItem, notes: BatchNotes) throws -> [String] {
    if case .filter(let filter, let options) = work {
      try makeFolders(parentPath(item.output))
      let job = PhotoFilterJob(
        filter: filter, options: options, outputRange: outputRange, light: light, writing: writing, loading: loading,
        stripRows: stripRows)
      try job.run(
        input: item.input, standardInput: nil, output: item.output, format: nil, note: { notes.add(item.input, $0) },
        curveNote: false)
      return [item.output]
    }
    let image = try loading.load(item.input)
    let (c, h, w) = (image.tensor.channels, image.tensor.height, image.tensor.width)
    switch work {
    case .filter: return []
    case .pipeline(let chain):
      notes.add(item.input, try checkPipeline(chain, channels: c, height: h, width: w, maxPixels: loading.maxPixels).first)
      try makeFolders(parentPath(item.output))
      return try AtomicFile.writeFolder(item.output) { folder in
        try runStages(
          chain, image: image.tensor, input: item.input, outputDirectory: folder, maps: maps, overlay: overlay,
          prefix: { i, stage in String(format: "%02d-", i + 1) + stage.name }, log: { _ in })
      }
    case .model(let runner, let preprocessing):
      let (tensor, photo, _) = try modelInput(
        item.input, runner: runner, preprocessing: preprocessing, image: image, maxPixels: loading.maxPixels)
      try makeFolders(parentPath(item.output))
      return try AtomicFile.writeFolder(item.output) { folder in
        try runner.run(input: tensor, photo: photo, inputName: lastComponent(item.input), directory: folder)
      }
    }
  }
}

/// The notes on unused rows and columns of a batch's files, summed up in one line at the end.
public final class BatchNotes: @unchecked Sendable {  // Unchecked: its mutable state is read and written under `lock` only.
  private let lock = NSLock()
  private var first: (file: String, note: String)?
  private var count = 0

  public init() {}

  public func add(_ file: String, _ note: String?) {
    guard let note else { return }
    lock.lock()
    defer { lock.unlock() }
    count += 1
    if first == nil || file < first!.file { first = (file, note) }
  }

  /// `2 of 4 files ...: e.g. chelsea.jpg: ...`, or nil when no file had a note.
  public func summary(files: Int) -> String? {
    lock.lock()
    defer { lock.unlock() }
    guard let first else { return nil }
    return "\(count) of \(files) file\(files == 1 ? "" : "s") had input rows or columns a stride leaves unused, e.g. "
      + "\(lastComponent(first.file)): \(first.note)"
  }
}
