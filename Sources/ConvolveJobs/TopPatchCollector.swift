import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import Foundation

/// The strongest positions of one channel's map (`height × width` values), at most `count`, at least a
/// suppression window apart: after taking the largest value, positions less than `window.y` rows and
/// `window.x` columns from it are left out (so one photo gives several entries only for separate regions).
/// Ties go to the first position in row-major order; values that are not finite are skipped, and so are
/// positions outside `rows` and `columns` when given.
public func mapPeaks(
  _ values: UnsafeBufferPointer<Float>, height: Int, width: Int, count: Int, window: (y: Int, x: Int),
  rows: Range<Int>? = nil, columns: Range<Int>? = nil
) -> [(y: Int, x: Int, value: Float)] {
  var peaks: [(y: Int, x: Int, value: Float)] = []
  let rows = (rows ?? 0 ..< height).clamped(to: 0 ..< height), columns = (columns ?? 0 ..< width).clamped(to: 0 ..< width)
  while peaks.count < count {
    var best = -1
    var bestValue = -Float.infinity
    for y in rows {
      row: for x in columns {
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

extension FieldAxis {
  /// The positions of `0 ..< count` whose whole field lies inside an input of `length` pixels (none of it in
  /// the padding); empty when the field is longer than the input.
  public func inside(positions count: Int, length: Int) -> Range<Int> {
    let half = (size - 1) / 2, slack = 1e-6
    guard jump > 0, count > 0 else { return 0 ..< 0 }
    // centre(i) − half ≥ 0 and centre(i) + half ≤ length − 1.
    let lo = max(0, Int(((half - start - slack) / jump).rounded(.up)))
    let hi = min(count - 1, Int(((Double(length - 1) - half - start + slack) / jump).rounded(.down)))
    return lo <= hi ? lo ..< hi + 1 : 0 ..< 0
  }
}

extension FieldSummary {
  public init(_ field: ReceptiveField) { self.init(size: [field.y.size, field.x.size], jump: [field.y.jump, field.x.jump]) }
}

/// Collects the top activations of a run, from many threads: one `RunningTopK` per channel behind a lock, so
/// memory is k entries per channel plus the photos in flight.
public final class TopPatchCollector: @unchecked Sendable {  // Unchecked: its mutable state is read and written under `lock` only.
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
  /// (photo pixels per model pixel, y and x) and where the model input's top-left edge is at `origin`. With
  /// `excludeBorder` (the model input's height and width), positions whose field reaches into the padding are
  /// skipped, on each axis where some position's field stays inside. Returns whether they were.
  @discardableResult
  public func add(
    photo: String, map: GraphTensor, field: ReceptiveField, scale: (y: Double, x: Double),
    origin: (y: Double, x: Double) = (0, 0), excludeBorder input: (height: Int, width: Int)? = nil
  ) throws -> Bool {
    let shape = map.shape
    guard shape.count == 4, shape[0] == 1 else {
      throw ConvolveError.shapeMismatch("the layer's output is \(shapeText(shape)); top patches need 1 x C x H x W")
    }
    let (h, w) = (shape[2], shape[3])
    var rows = 0 ..< h, columns = 0 ..< w
    var excluded = false
    if let input, !field.isGlobal {
      let (y, x) = (field.y.inside(positions: h, length: input.height), field.x.inside(positions: w, length: input.width))
      if !y.isEmpty { (rows, excluded) = (y, true) }
      if !x.isEmpty { (columns, excluded) = (x, true) }
    }
    let window = (
      y: max(1, Int((field.y.size / (2 * field.y.jump)).rounded(.up))), x: max(1, Int((field.x.size / (2 * field.x.jump)).rounded(.up)))
    )
    var found: [[TopEntry]] = []
    let data = map.floats
    data.withUnsafeBufferPointer { all in
      for channel in settings.channels {
        let plane = UnsafeBufferPointer(rebasing: all[channel * h * w ..< (channel + 1) * h * w])
        found.append(
          mapPeaks(plane, height: h, width: w, count: settings.perPhoto, window: window, rows: rows, columns: columns).map { p in
            let (cy, cx) = (field.y.center(p.y), field.x.center(p.x))
            let box = [
              origin.y + (cy - field.y.size / 2 + 0.5) * scale.y, origin.x + (cx - field.x.size / 2 + 0.5) * scale.x,
              origin.y + (cy + field.y.size / 2 + 0.5) * scale.y, origin.x + (cx + field.x.size / 2 + 0.5) * scale.x,
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
    return excluded
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
