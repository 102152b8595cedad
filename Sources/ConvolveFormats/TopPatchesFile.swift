import ConvolveCore
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
  public init(size: [Double], jump: [Double]) { (self.size, self.jump) = (size, jump) }
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
    let data = try readFileData(path, what: "the top-k.json of `convolve model top-patches`")
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
