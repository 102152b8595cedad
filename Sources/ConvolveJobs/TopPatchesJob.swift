import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveRender
import Foundation

/// `model top-patches`: one layer of a model or pipeline run over a folder of photos, the strongest activations
/// of each channel kept (resumable, shardable), then the grids and the page drawn.
public struct TopPatchesJob {
  public var probe: LayerProbe
  /// What was run ("model" or "pipeline") and its file, for the settings check.
  public var source: (kind: String, path: String)
  public var layer: String
  public var k = 9
  public var perPhoto = 1
  /// `0-63`, `0,4,8-11`; nil for every channel.
  public var channels: String?
  public var tile = 96
  /// Skip positions whose receptive field reaches into the padding; nil: for a pipeline whose layer pads,
  /// not for a model.
  public var excludeBorder: Bool?
  /// The model input options as one line (or the pipeline's "the photo as it is").
  public var preprocessing: String
  public var layout: BatchLayout
  public var skipExisting = false
  public var jobs = ProcessInfo.processInfo.activeProcessorCount
  public var quiet = false
  public var maxPixels: Int
  public var load: @Sendable (String) throws -> LoadedImage

  public init(
    probe: LayerProbe, source: (kind: String, path: String), layer: String, preprocessing: String, layout: BatchLayout,
    maxPixels: Int, load: @escaping @Sendable (String) throws -> LoadedImage
  ) {
    (self.probe, self.source, self.layer, self.preprocessing) = (probe, source, layer, preprocessing)
    (self.layout, self.maxPixels, self.load) = (layout, maxPixels, load)
  }

  /// Runs it, printing progress and a summary on standard error; returns the batch's exit status when not 0.
  public func run(started: Date = Date()) throws -> Int32? {
    let (inputDirectory, outputDirectory) = (layout.inputDirectory, layout.outputDirectory)
    try Self.checkInputFolder(inputDirectory)
    var layout = layout
    // Outputs as folders under OUTDIR: nothing is written there, but OUTDIR is left out of a recursive walk.
    layout.outputIsFolder = true
    let plan: BatchPlan
    do { plan = try layout.plan(workName: "top-patches") } catch let error as BatchUsageError {
      throw ConvolveError.invalidArgument(error.message)
    }
    // The layer's channels, for the first photo's size (read from its header; 640x640 for an empty shard).
    let info = try plan.items.first.map { try imageInfo(path: $0.input) }
    let (channelCount, field) = try probe.describe(
      photoHeight: info?.height ?? 640, photoWidth: info?.width ?? 640, channels: info?.channels ?? 3)
    let selected = try channels.map { try parseChannelList($0, count: channelCount) } ?? Array(0 ..< channelCount)
    let pads = [field.y, field.x].contains { $0.start - ($0.size - 1) / 2 < -1e-6 }
    let excludeBorder = self.excludeBorder ?? (source.kind == "pipeline" && pads)
    let settings = TopPatchSettings(
      kind: source.kind, source: lastComponent(source.path), fingerprint: try fileFingerprint(source.path),
      layer: layer, k: k, perPhoto: perPhoto, channels: selected,
      preprocessing: preprocessing + (excludeBorder ? "; positions whose field reaches into the padding skipped" : ""),
      tile: tile)

    if excludeBorder && self.excludeBorder == nil && !quiet {
      writeStandardError("note: positions whose receptive field reaches into the zero padding are skipped (--no-exclude-border keeps them)\n")
    }
    try prepareDirectory(outputDirectory)
    let partialPath = join(outputDirectory, TopPatchesFile.fileName)
    let resumed = skipExisting ? try resumable(partialPath, settings: settings) : nil
    let done = Set(resumed?.photos ?? [])
    let items = plan.items.map { item -> BatchItem in
      var item = item
      item.skip = done.contains(item.relative)
      item.output = partialPath
      return item
    }
    let shard = layout.shard?.description
    let collector = TopPatchCollector(settings: settings, resuming: resumed)
    let saver = PeriodicSaver(every: 30) {
      try collector.file(inputDirectory: inputDirectory, shard: shard).write(to: partialPath)
    }
    let batch = BatchRunner(
      plan: BatchPlan(items: items, shard: plan.shard), jobs: jobs, failFast: false,
      mode: quiet ? .quiet : standardErrorIsTerminal ? .bar : .lines, started: started)
    let (probe, load, maxPixels) = (probe, load, maxPixels)
    batch.process { item in
      let image = try load(item.input)
      let (map, field, scale, origin, input) = try probe.run(image, path: item.input, maxPixels: maxPixels)
      try collector.add(
        photo: item.relative, map: map, field: field, scale: scale, origin: origin,
        excludeBorder: excludeBorder ? input : nil)
      try saver.tick()
      return []
    }
    let code = batch.finish()
    let file = collector.file(inputDirectory: inputDirectory, shard: shard)
    try file.write(to: partialPath)
    if let code, code >= 128 { return code }
    if let shard {
      if !quiet {
        writeStandardError(
          "shard \(shard): wrote \(partialPath); when every shard is done: convolve model merge-top OUTDIR <each shard's folder>\n")
      }
    } else {
      let written = try writeTopPatchGrids(
        file, inputDirectory: inputDirectory, directory: outputDirectory,
        title: "What each channel of \(layer) looks for", load: { try load($0).tensor })
      if !quiet { writeStandardError("wrote \(written.count - 1) grids and \(written.last!)\n") }
    }
    return code
  }

  /// Refuses a missing folder of photos (before a model is loaded).
  public static func checkInputFolder(_ path: String) throws {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
      throw ConvolveError.file(path: path, reason: "no such folder; give the folder of photos to read")
    }
  }

  /// The partial file of an earlier run with the same settings and photos, or nil when there is none.
  private func resumable(_ path: String, settings: TopPatchSettings) throws -> TopPatchesFile? {
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    let file = try TopPatchesFile.read(path: path)
    if let difference = file.settings.difference(from: settings) {
      throw ConvolveError.file(
        path: path, reason: "made with other settings (\(difference)); remove it or run without --skip-existing")
    }
    guard canonicalPath(file.inputDirectory) == canonicalPath(layout.inputDirectory) else {
      throw ConvolveError.file(
        path: path,
        reason: "made from the photos in \(file.inputDirectory), not \(layout.inputDirectory); remove it or run without --skip-existing")
    }
    return file
  }
}

/// `0-63`, `0,4,8-11`: sorted distinct channel numbers, each below `count` when it is known.
public func parseChannelList(_ text: String, count: Int?) throws -> [Int] {
  var out = Set<Int>()
  for part in text.split(separator: ",", omittingEmptySubsequences: false) {
    let ends = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard (1 ... 2).contains(ends.count), let a = ends[0], let b = ends.last!, a >= 0, a <= b, b < 1 << 20 else {
      throw ConvolveError.invalidArgument("--channels \(text): write channel numbers from 0 and ranges, e.g. 0-63 or 0,4,8-11")
    }
    if let count, b >= count {
      throw ConvolveError.invalidArgument("--channels \(text): the layer has \(count) channels, 0-\(count - 1)")
    }
    out.formUnion(a ... b)
  }
  return out.sorted()
}

/// Runs `save` at most every `seconds`, from any thread (one save at a time; the others skip).
final class PeriodicSaver: @unchecked Sendable {  // Unchecked: its mutable state is read and written under `lock` only.
  private let lock = NSLock()
  private let seconds: Double
  private var last = Date()
  private var saving = false
  private let save: () throws -> Void

  init(every seconds: Double, _ save: @escaping () throws -> Void) { (self.seconds, self.save) = (seconds, save) }

  func tick() throws {
    lock.lock()
    guard !saving, Date().timeIntervalSince(last) >= seconds else {
      lock.unlock()
      return
    }
    saving = true
    lock.unlock()
    defer {
      lock.lock()
      (saving, last) = (false, Date())
      lock.unlock()
    }
    try save()
  }
}
