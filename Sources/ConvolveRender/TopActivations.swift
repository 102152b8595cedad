import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import Foundation

/// One strong activation of a channel: the photo (path relative to the input folder), the position in the
/// layer's map, the value, and the position's receptive field in the photo's pixels (`[top, left, bottom,
/// right]` edges, pixel `i` spanning `i ..< i + 1`; it may reach past the photo, where the patch is grey).
public struct TopEntry: Codable, Equatable, Sendable {
  public var photo: String
  public var y: Int
  public var x: Int
  public var value: Float
  public var box: [Double]

  public init(photo: String, y: Int, x: Int, value: Float, box: [Double]) {
    (self.photo, self.y, self.x, self.value, self.box) = (photo, y, x, value, box)
  }

  /// The order of a grid: value descending, then photo path (bytewise), row, column.
  public static func precedes(_ a: TopEntry, _ b: TopEntry) -> Bool {
    if a.value != b.value { return a.value > b.value }
    if a.photo != b.photo { return a.photo.utf8.lexicographicallyPrecedes(b.photo.utf8) }
    return (a.y, a.x) < (b.y, b.x)
  }
}

/// The `k` first entries of one channel in `TopEntry.precedes` order, kept sorted: memory `k`, whatever the
/// number of photos, and the same entries whatever order they arrive in or however they are split and merged.
public struct RunningTopK: Equatable, Sendable {
  public let k: Int
  public private(set) var entries: [TopEntry] = []

  public init(k: Int) { self.k = k }

  public mutating func insert(_ entry: TopEntry) {
    if entries.count == k, let last = entries.last, !TopEntry.precedes(entry, last) { return }
    var lo = 0, hi = entries.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if TopEntry.precedes(entries[mid], entry) { lo = mid + 1 } else { hi = mid }
    }
    entries.insert(entry, at: lo)
    if entries.count > k { entries.removeLast() }
  }
}

/// The strongest positions of one channel's map (`height × width` values), at most `count`, at least a
/// suppression window apart: after taking the largest value, positions less than `window.y` rows and
/// `window.x` columns from it are left out (so one photo gives several entries only for separate regions).
/// Ties go to the first position in row-major order; values that are not finite are skipped.
public func mapPeaks(
  _ values: UnsafeBufferPointer<Float>, height: Int, width: Int, count: Int, window: (y: Int, x: Int)
) -> [(y: Int, x: Int, value: Float)] {
  var peaks: [(y: Int, x: Int, value: Float)] = []
  while peaks.count < count {
    var best = -1
    var bestValue = -Float.infinity
    for y in 0 ..< height {
      row: for x in 0 ..< width {
        let v = values[y * width + x]
        guard v.isFinite, best < 0 || v > bestValue else { continue }
        for p in peaks where abs(p.y - y) < window.y && abs(p.x - x) < window.x { continue row }
        (best, bestValue) = (y * width + x, v)
      }
    }
    guard best >= 0 else { break }
    peaks.append((best / width, best % width, bestValue))
  }
  return peaks
}

/// What a top-patches run was made with; partial files merge only when these agree.
public struct TopPatchSettings: Codable, Equatable, Sendable {
  /// `model` or `pipeline`.
  public var kind: String
  /// The file's name (not its folder: shards may run on machines that keep it elsewhere).
  public var source: String
  /// FNV-1a 64 of the file's bytes, in hex.
  public var fingerprint: String
  public var layer: String
  public var k: Int
  public var perPhoto: Int
  public var channels: [Int]
  /// The model input options, as text.
  public var preprocessing: String
  public var tile: Int

  public init(
    kind: String, source: String, fingerprint: String, layer: String, k: Int, perPhoto: Int, channels: [Int],
    preprocessing: String, tile: Int
  ) {
    (self.kind, self.source, self.fingerprint, self.layer, self.k) = (kind, source, fingerprint, layer, k)
    (self.perPhoto, self.channels, self.preprocessing, self.tile) = (perPhoto, channels, preprocessing, tile)
  }

  /// The first setting in which `other` differs, as `name: a vs b`, or nil when they agree.
  public func difference(from other: TopPatchSettings) -> String? {
    let pairs: [(String, String, String)] = [
      ("model or pipeline", "\(kind) \(source)", "\(other.kind) \(other.source)"),
      ("file contents (FNV-1a)", fingerprint, other.fingerprint), ("--layer", layer, other.layer),
      ("--k", "\(k)", "\(other.k)"), ("--per-photo", "\(perPhoto)", "\(other.perPhoto)"),
      ("--channels", channelListText(channels), channelListText(other.channels)),
      ("model input", preprocessing, other.preprocessing), ("--tile", "\(tile)", "\(other.tile)"),
    ]
    return pairs.first { $0.1 != $0.2 }.map { "\($0.0): \($0.1) vs \($0.2)" }
  }
}

/// `0-63`, `0,2,5-7`: a channel list as `--channels` takes it.
public func channelListText(_ channels: [Int]) -> String {
  var parts: [String] = []
  var i = 0
  while i < channels.count {
    var j = i
    while j + 1 < channels.count && channels[j + 1] == channels[j] + 1 { j += 1 }
    parts.append(j == i ? "\(channels[i])" : "\(channels[i])-\(channels[j])")
    i = j + 1
  }
  return parts.joined(separator: ",")
}

/// A layer's receptive field as the partial file records it (for the page; the boxes hold what the patches need).
public struct FieldSummary: Codable, Equatable, Sendable {
  public var size: [Double]
  public var jump: [Double]
  public init(_ field: ReceptiveField) { (size, jump) = ([field.y.size, field.x.size], [field.y.jump, field.x.jump]) }
}

/// The running top-k of every selected channel, over the photos done so far: what `top-k.json` holds, and
/// what `convolve model merge-top` adds up.
public struct TopPatchesFile: Codable, Equatable, Sendable {
  public static let formatName = "convolve top-patches 1"
  public static let fileName = "top-k.json"

  public var format = TopPatchesFile.formatName
  public var settings: TopPatchSettings
  /// The input folder the photo paths are relative to.
  public var inputDirectory: String
  /// `I/N` for a shard's file.
  public var shard: String?
  public var field: FieldSummary?
  /// The photos done, sorted.
  public var photos: [String]
  /// One list per entry of `settings.channels`, each in `TopEntry.precedes` order.
  public var entries: [[TopEntry]]

  public init(settings: TopPatchSettings, inputDirectory: String) {
    self.settings = settings
    self.inputDirectory = inputDirectory
    photos = []
    entries = settings.channels.map { _ in [] }
  }

  public func write(to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    try AtomicFile.write(try encoder.encode(self), to: path)
  }

  /// Reads and checks a file written by `write`; errors name it.
  public static func read(path: String) throws -> TopPatchesFile {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ConvolveError.file(path: path, reason: "cannot read it (a top-k.json of `convolve model top-patches`)")
    }
    let file: TopPatchesFile
    do { file = try JSONDecoder().decode(TopPatchesFile.self, from: data) } catch {
      throw ConvolveError.file(path: path, reason: "not a top-patches file: \(error.localizedDescription); make it with `convolve model top-patches`")
    }
    guard file.format == formatName else {
      throw ConvolveError.file(path: path, reason: "format \"\(file.format)\"; this convolve reads \"\(formatName)\"")
    }
    guard file.entries.count == file.settings.channels.count,
      file.entries.allSatisfy({ $0.count <= file.settings.k && $0.allSatisfy { $0.box.count == 4 } })
    else {
      throw ConvolveError.file(path: path, reason: "its entries do not match its channels and k; write it again with `convolve model top-patches`")
    }
    return file
  }

  /// The files added up: their photos (which must not repeat) and, per channel, the first k of all entries.
  /// Refuses files made with other settings or (without `inputDirectory`) another input folder; errors name both files.
  public static func merged(_ files: [(path: String, file: TopPatchesFile)], inputDirectory: String? = nil) throws -> TopPatchesFile {
    guard let (firstPath, first) = files.first else {
      throw ConvolveError.invalidArgument("no partial files to merge")
    }
    var out = TopPatchesFile(settings: first.settings, inputDirectory: inputDirectory ?? first.inputDirectory)
    var owner: [String: String] = [:]
    var tops = first.settings.channels.map { _ in RunningTopK(k: first.settings.k) }
    for (path, file) in files {
      if let difference = first.settings.difference(from: file.settings) {
        throw ConvolveError.file(
          path: path, reason: "made with other settings than \(firstPath) (\(difference)); merge only the shards of one run")
      }
      if inputDirectory == nil && file.inputDirectory != first.inputDirectory {
        throw ConvolveError.file(
          path: path,
          reason: "its photos are in \(file.inputDirectory), those of \(firstPath) in \(first.inputDirectory); give --input-dir to read them from one folder")
      }
      for photo in file.photos {
        if let other = owner.updateValue(path, forKey: photo) {
          throw ConvolveError.file(path: path, reason: "photo \(photo) is also in \(other): merge each shard once")
        }
      }
      for (c, list) in file.entries.enumerated() { for entry in list { tops[c].insert(entry) } }
      out.field = out.field ?? file.field
    }
    out.photos = owner.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    out.entries = tops.map(\.entries)
    return out
  }
}

/// Collects the top activations of a run, from many threads: one `RunningTopK` per channel behind a lock, so
/// memory is k entries per channel plus the photos in flight.
public final class TopPatchCollector: @unchecked Sendable {
  private let lock = NSLock()
  private var tops: [RunningTopK]
  private var photos: [String]
  private var field: FieldSummary?
  public let settings: TopPatchSettings

  /// Starts from `file` (resuming), or empty.
  public init(settings: TopPatchSettings, resuming file: TopPatchesFile? = nil) {
    self.settings = settings
    tops = settings.channels.map { _ in RunningTopK(k: settings.k) }
    photos = file?.photos ?? []
    field = file?.field
    if let file { for (c, list) in file.entries.enumerated() { for e in list { tops[c].insert(e) } } }
  }

  /// Adds one photo's layer output (`1 × C × H × W`): the peaks of each selected channel (`mapPeaks`, windows of
  /// half the receptive field), each with its field mapped into the photo, whose size to the model's is `scale`
  /// (photo pixels per model pixel, y and x).
  public func add(
    photo: String, map: GraphTensor, field: ReceptiveField, scale: (y: Double, x: Double)
  ) throws {
    let shape = map.shape
    guard shape.count == 4, shape[0] == 1 else {
      throw ConvolveError.shapeMismatch("the layer's output is \(shapeText(shape)); top patches need 1 x C x H x W")
    }
    let (h, w) = (shape[2], shape[3])
    let window = (
      y: max(1, Int((field.y.size / (2 * field.y.jump)).rounded(.up))), x: max(1, Int((field.x.size / (2 * field.x.jump)).rounded(.up)))
    )
    var found: [[TopEntry]] = []
    let data = map.floats
    data.withUnsafeBufferPointer { all in
      for channel in settings.channels {
        let plane = UnsafeBufferPointer(rebasing: all[channel * h * w ..< (channel + 1) * h * w])
        found.append(
          mapPeaks(plane, height: h, width: w, count: settings.perPhoto, window: window).map { p in
            let (cy, cx) = (field.y.center(p.y), field.x.center(p.x))
            let box = [
              (cy - field.y.size / 2 + 0.5) * scale.y, (cx - field.x.size / 2 + 0.5) * scale.x,
              (cy + field.y.size / 2 + 0.5) * scale.y, (cx + field.x.size / 2 + 0.5) * scale.x,
            ]
            return TopEntry(photo: photo, y: p.y, x: p.x, value: p.value, box: box)
          })
      }
    }
    lock.lock()
    defer { lock.unlock() }
    for (c, list) in found.enumerated() { for e in list { tops[c].insert(e) } }
    photos.append(photo)
    if self.field == nil { self.field = FieldSummary(field) }
  }

  /// The state as a file (photos sorted).
  public func file(inputDirectory: String, shard: String?) -> TopPatchesFile {
    lock.lock()
    defer { lock.unlock() }
    var file = TopPatchesFile(settings: settings, inputDirectory: inputDirectory)
    file.shard = shard
    file.field = field
    file.photos = photos.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    file.entries = tops.map(\.entries)
    return file
  }
}
