import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import Foundation

/// A photo's colour planes (3, or 1 for grey) and their halvings, each pixel the mean of 2x2 of the level
/// below: patches much larger than their tile are sampled from the level that matches, without aliasing.
public struct PhotoPyramid: Sendable {
  public let levels: [Tensor]

  /// Levels 0 (the photo) to `maxLevel` (fewer when a side reaches 1).
  public init(_ photo: Tensor, maxLevel: Int) {
    var levels = [photo.channels >= 3 ? photo.firstChannels(3) : photo.firstChannels(1)]
    while levels.count <= maxLevel, let last = levels.last, last.height > 1 || last.width > 1 {
      let (h, w) = ((last.height + 1) / 2, (last.width + 1) / 2)
      var next = Tensor(channels: last.channels, height: h, width: w)
      for c in 0 ..< last.channels {
        for y in 0 ..< h {
          for x in 0 ..< w {
            let ys = [2 * y, min(2 * y + 1, last.height - 1)], xs = [2 * x, min(2 * x + 1, last.width - 1)]
            var sum: Float = 0
            for yy in ys { for xx in xs { sum += last[c, yy, xx] } }
            next[c, y, x] = sum / 4
          }
        }
      }
      levels.append(next)
    }
    self.levels = levels
  }

  /// The level for patches of `step` photo pixels per tile pixel: `floor(log2(step))`, at most the last.
  public static func level(step: Double) -> Int { step < 2 ? 0 : Int(log2(step).rounded(.down)) }
}

/// The patch of `photo` (C×H×W in [0, 1]) inside `box` (`[top, left, bottom, right]` edges in photo pixels),
/// as an RGB tile of `size × size`, grey (0.5) where the box reaches past the photo.
public func photoPatch(_ photo: Tensor, box: [Double], size: Int) -> Tensor {
  let step = box.count == 4 ? max(box[2] - box[0], box[3] - box[1]) / Double(size) : 1
  return photoPatch(PhotoPyramid(photo, maxLevel: PhotoPyramid.level(step: step)), box: box, size: size)
}

/// The patch from the pyramid level that suits the box: each tile pixel the mean of up to 2×2 bilinear samples
/// of that level, samples past the photo's edge counted as grey.
public func photoPatch(_ pyramid: PhotoPyramid, box: [Double], size: Int) -> Tensor {
  var tile = Tensor(channels: 3, height: size, width: size, repeating: 0.5)
  let base = pyramid.levels[0]
  let (h, w) = (base.height, base.width)
  guard h > 0, w > 0, box.count == 4, size > 0 else { return tile }
  let stepY = (box[2] - box[0]) / Double(size), stepX = (box[3] - box[1]) / Double(size)
  let level = min(PhotoPyramid.level(step: max(stepY, stepX)), pyramid.levels.count - 1)
  let image = pyramid.levels[level]
  let unit = Double(1 << level)
  let (lh, lw) = (image.height, image.width)
  let color = image.channels
  let sub = (y: min(8, max(1, Int((stepY / unit).rounded(.up)))), x: min(8, max(1, Int((stepX / unit).rounded(.up)))))
  image.data.withUnsafeBufferPointer { src in
    tile.data.withUnsafeMutableBufferPointer { dst in
      for ty in 0 ..< size {
        for tx in 0 ..< size {
          var sum: (Double, Double, Double) = (0, 0, 0)
          var n = 0
          for sy in 0 ..< sub.y {
            // Edge coordinates in photo pixels, then pixel-centre coordinates in the level.
            let ey = box[0] + (Double(ty) + (Double(sy) + 0.5) / Double(sub.y)) * stepY
            guard ey >= 0, ey <= Double(h) else { continue }
            let fy = min(max(ey / unit - 0.5, 0), Double(lh - 1))
            let y0 = Int(fy), y1 = min(y0 + 1, lh - 1), ay = fy - Double(y0)
            for sx in 0 ..< sub.x {
              let ex = box[1] + (Double(tx) + (Double(sx) + 0.5) / Double(sub.x)) * stepX
              guard ex >= 0, ex <= Double(w) else { continue }
              let fx = min(max(ex / unit - 0.5, 0), Double(lw - 1))
              let x0 = Int(fx), x1 = min(x0 + 1, lw - 1), ax = fx - Double(x0)
              var rgb: [Double] = [0, 0, 0]
              for c in 0 ..< 3 {
                let plane = (color == 3 ? c : 0) * lh * lw
                let top = Double(src[plane + y0 * lw + x0]) * (1 - ax) + Double(src[plane + y0 * lw + x1]) * ax
                let bottom = Double(src[plane + y1 * lw + x0]) * (1 - ax) + Double(src[plane + y1 * lw + x1]) * ax
                rgb[c] = top * (1 - ay) + bottom * ay
              }
              sum = (sum.0 + rgb[0], sum.1 + rgb[1], sum.2 + rgb[2])
              n += 1
            }
          }
          let total = Double(sub.y * sub.x), grey = 0.5 * (total - Double(n))
          dst[ty * size + tx] = Float((sum.0 + grey) / total)
          dst[(size + ty) * size + tx] = Float((sum.1 + grey) / total)
          dst[(2 * size + ty) * size + tx] = Float((sum.2 + grey) / total)
        }
      }
    }
  }
  return tile
}

/// Draws the grids of a top-patches file into `directory`: `channel-NNN.png` per channel (its patches in
/// `TopEntry.precedes` order, each labelled with its value and photo, under a title line) and `index.html`.
/// Photos are read once each from `inputDirectory` with `load`, on every core; patches are kept as 8-bit
/// values (what the PNG holds anyway), so memory is channels · k · tile² · 3 bytes. Returns the files written.
public func writeTopPatchGrids(
  _ file: TopPatchesFile, inputDirectory: String, directory: String, title: String,
  load: @Sendable (String) throws -> Tensor
) throws -> [String] {
  let size = file.settings.tile
  // Each photo once: every patch any channel takes from it.
  var taken: [String: [(Int, Int)]] = [:]
  for (c, list) in file.entries.enumerated() { for (i, e) in list.enumerated() { taken[e.photo, default: []].append((c, i)) } }
  let uses = taken
  let photos = uses.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
  let store = TileStore(file.entries.map { $0.count })
  DispatchQueue.concurrentPerform(iterations: photos.count) { p in
    do {
      let image = try load(join(inputDirectory, photos[p]))
      let steps = uses[photos[p]]!.map { (c, i) in
        let b = file.entries[c][i].box
        return max(b[2] - b[0], b[3] - b[1]) / Double(size)
      }
      let pyramid = PhotoPyramid(image, maxLevel: PhotoPyramid.level(step: steps.max() ?? 1))
      for (c, i) in uses[photos[p]]! { store.set(c, i, quantized(photoPatch(pyramid, box: file.entries[c][i].box, size: size))) }
    } catch {
      store.fail(error, at: p)
    }
  }
  if let error = store.firstError { throw error }

  let digits = max(3, String(file.settings.channels.max() ?? 0).count)
  let names = file.settings.channels.map { channel in
    "channel-" + String(repeating: "0", count: max(0, digits - String(channel).count)) + "\(channel).png"
  }
  let columns = Int(Double(file.settings.k).squareRoot().rounded(.up))
  let chars = max(4, size / 4 - 1)
  DispatchQueue.concurrentPerform(iterations: file.entries.count) { c in
    let list = file.entries[c]
    guard !list.isEmpty else { return }
    do {
      let tiles = (0 ..< list.count).map { i in restored(store.tile(c, i), size: size) }
      let labels = list.map { e in legendNumber(e.value) + "\n" + String(fileStem(e.photo).prefix(chars)) }
      let grid = try montage(tiles, columns: min(columns, list.count), gap: 2, padValue: 1, labels: labels)
      let heading = textStrip(
        "channel \(file.settings.channels[c])  peak \(legendNumber(list[0].value))", width: max(grid.width, 120), channels: 3)
      try saveImage(stackedVertically([heading, grid]), path: join(directory, names[c]))
    } catch {
      store.fail(error, at: photos.count + c)
    }
  }
  if let error = store.firstError { throw error }
  var written: [String] = []
  var cards: [TopPatchesPage.Card] = []
  for (c, channel) in file.settings.channels.enumerated() {
    let list = file.entries[c]
    cards.append(TopPatchesPage.Card(channel: channel, image: list.isEmpty ? nil : names[c], peak: list.first?.value, count: list.count))
    if !list.isEmpty { written.append(join(directory, names[c])) }
  }
  let page = TopPatchesPage(title: title, file: file, cards: cards)
  let index = join(directory, "index.html")
  try AtomicFile.write(Data(page.html().utf8), to: index)
  return written + [index]
}

/// The patches of a grid run, filled from many threads; the error of the first failed item is kept.
private final class TileStore: @unchecked Sendable {  // Unchecked: its mutable state is read and written under `lock` only.
  private let lock = NSLock()
  private var tiles: [[[UInt8]]]
  private var failed: (index: Int, error: Error)?

  init(_ counts: [Int]) { tiles = counts.map { Array(repeating: [], count: $0) } }

  func set(_ c: Int, _ i: Int, _ bytes: [UInt8]) {
    lock.lock()
    tiles[c][i] = bytes
    lock.unlock()
  }

  func tile(_ c: Int, _ i: Int) -> [UInt8] {
    lock.lock()
    defer { lock.unlock() }
    return tiles[c][i]
  }

  func fail(_ error: Error, at index: Int) {
    lock.lock()
    if failed == nil || index < failed!.index { failed = (index, error) }
    lock.unlock()
  }

  var firstError: Error? {
    lock.lock()
    defer { lock.unlock() }
    return failed?.error
  }
}

/// A tile's values as the PNG encoder rounds them (`ccodecs_planar_to_u8`), so `restored` gives the same file.
private func quantized(_ t: Tensor) -> [UInt8] {
  t.data.map { v in UInt8(Int32(min(max(v, 0), 1) * 255 + 0.5)) }
}

private func restored(_ bytes: [UInt8], size: Int) -> Tensor {
  Tensor(channels: 3, height: size, width: size, data: bytes.map { Float($0) / 255 })
}

/// A file name without folder or extension.
private func fileStem(_ path: String) -> String {
  let name = lastComponent(path)
  guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
  return String(name[..<dot])
}
