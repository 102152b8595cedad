import ConvolveCNN
import ConvolveCore
import ConvolveFormats

/// Where a montage writes each tile's label.
public enum LabelPlacement: String, CaseIterable, Sendable {
  /// In a strip under each tile (`MontageLayout.stripHeight`), which adds to every row's height.
  case below
  /// In a box at the tile's top-left corner, over the tile's own pixels.
  case over
}

/// Where each tile of a montage goes.
///
/// Tiles run left to right, then top to bottom, with `gap` pixels between neighbours and no outer border:
/// `width = columns·tileWidth + (columns − 1)·gap` and
/// `height = rows·(tileHeight + strip) + (rows − 1)·gap`, where `rows = ceil(count / columns)` and `strip` is
/// `labelScale·(6·labelLines + 1)` for labels below the tiles, else 0. Cells after the last tile hold the pad value.
public struct MontageLayout: Equatable, Sendable {
  /// Height of a label strip of one line at scale 1: one 5-pixel line of text with a pixel above and below.
  public static let labelStripHeight = 7

  /// The font scale that suits a tile: each glyph pixel drawn as `s × s`, `s = max(1, min(h, w) / 128)`, so a
  /// label stays about the same fraction of the tile (3 pixels per glyph row on a 512-pixel tile: 15 high).
  public static func labelScale(tileHeight: Int, tileWidth: Int) -> Int {
    Swift.max(1, Swift.min(tileHeight, tileWidth) / 128)
  }

  /// Height of a strip holding `lines` lines of text at `scale`.
  public static func stripHeight(lines: Int, scale: Int) -> Int { scale * (6 * lines + 1) }

  public var count: Int
  public var tileHeight: Int
  public var tileWidth: Int
  public var columns: Int
  public var rows: Int
  public var gap: Int
  public var stripHeight: Int

  /// - Parameter columns: defaults to `ceil(sqrt(count))`; more than `count` are not used.
  /// - Throws: `ConvolveError.invalidArgument` for no tiles, fewer than one column or a negative gap.
  public init(
    count: Int, tileHeight: Int, tileWidth: Int, columns: Int? = nil, gap: Int = 2, labelsBelow: Bool = false,
    labelLines: Int = 1, labelScale: Int = 1
  ) throws {
    guard count > 0 else { throw ConvolveError.invalidArgument("a montage needs at least one tile") }
    if let columns, columns < 1 { throw ConvolveError.invalidArgument("montage columns must be at least 1, got \(columns)") }
    guard gap >= 0 else { throw ConvolveError.invalidArgument("montage gap must not be negative, got \(gap)") }
    var squareSide = 1
    while squareSide * squareSide < count { squareSide += 1 }
    self.count = count
    self.tileHeight = tileHeight
    self.tileWidth = tileWidth
    self.columns = min(columns ?? squareSide, count)
    self.rows = (count + self.columns - 1) / self.columns
    self.gap = gap
    self.stripHeight = labelsBelow ? Self.stripHeight(lines: labelLines, scale: labelScale) : 0
  }

  public var width: Int { columns * tileWidth + (columns - 1) * gap }
  public var height: Int { rows * (tileHeight + stripHeight) + (rows - 1) * gap }

  /// Top-left pixel of tile `k`: `y = (k / columns)·(tileHeight + strip + gap)`, `x = (k % columns)·(tileWidth + gap)`.
  public func origin(of k: Int) -> (y: Int, x: Int) {
    ((k / columns) * (tileHeight + stripHeight + gap), (k % columns) * (tileWidth + gap))
  }
}

/// The channels of `maps`, each already in [0, 1], tiled into one one-channel image as `MontageLayout` describes.
/// - Parameters:
///   - padValue: fills gaps, empty cells and label backgrounds.
///   - labels: one per tile, e.g. `(0 ..< n).map(String.init)`, drawn in a 3×5 font (digits, letters
///     in either case, `-.:_/=+()#,`; anything else as `?`) in 0 or 1, whichever differs more from `padValue`;
///     a label may hold several lines, split by `\n`. Text past the tile's right edge is cut.
///   - labelScale: each glyph pixel drawn `s × s`; nil for `MontageLayout.labelScale(tileHeight:tileWidth:)`.
/// - Throws: `ConvolveError.invalidArgument` for a bad layout or a label count other than the tile count.
public func montage(
  _ maps: Tensor, columns: Int? = nil, gap: Int = 2, padValue: Float = 1, labels: [String]? = nil,
  labelPlacement: LabelPlacement = .below, labelScale: Int? = nil
) throws -> Tensor {
  try montage(
    (0 ..< maps.channels).map { maps.plane($0) }, columns: columns, gap: gap, padValue: padValue, labels: labels,
    labelPlacement: labelPlacement, labelScale: labelScale)
}

/// `tiles` of one size, each one-channel grey or three-channel RGB in [0, 1], tiled as `MontageLayout` describes;
/// three channels out if any tile has three (grey tiles repeat into each), else one. Other parameters as for
/// `montage(_ maps: Tensor, ...)`.
/// - Throws: `ConvolveError.shapeMismatch` for tiles of different sizes or with 2 or more than 3 channels;
///   `ConvolveError.invalidArgument` as for the other form.
public func montage(
  _ tiles: [Tensor], columns: Int? = nil, gap: Int = 2, padValue: Float = 1, labels: [String]? = nil,
  labelPlacement: LabelPlacement = .below, labelScale: Int? = nil
) throws -> Tensor {
  let first = tiles.first ?? Tensor(channels: 1, height: 0, width: 0)
  for (k, tile) in tiles.enumerated() {
    guard tile.channels == 1 || tile.channels == 3 else {
      throw ConvolveError.shapeMismatch("montage tile \(k) has \(tile.channels) channels; tiles need 1 or 3")
    }
    guard tile.height == first.height && tile.width == first.width else {
      throw ConvolveError.shapeMismatch(
        "montage tile \(k) is \(tile.height)×\(tile.width), tile 0 is \(first.height)×\(first.width)")
    }
  }
  if let labels, labels.count != tiles.count {
    throw ConvolveError.invalidArgument("\(labels.count) labels for \(tiles.count) montage tiles")
  }
  let scale = labelScale ?? MontageLayout.labelScale(tileHeight: first.height, tileWidth: first.width)
  guard scale >= 1 else { throw ConvolveError.invalidArgument("label scale must be at least 1, got \(scale)") }
  let lines = (labels ?? []).map { $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
  let lineCount = lines.map(\.count).max() ?? 1
  let layout = try MontageLayout(
    count: tiles.count, tileHeight: first.height, tileWidth: first.width, columns: columns, gap: gap,
    labelsBelow: labels != nil && labelPlacement == .below, labelLines: lineCount, labelScale: scale)
  let channels = tiles.contains { $0.channels == 3 } ? 3 : 1
  var out = Tensor(channels: channels, height: layout.height, width: layout.width, repeating: padValue)
  let ink: Float = padValue < 0.5 ? 1 : 0
  let (h, w) = (first.height, first.width)
  out.data.withUnsafeMutableBufferPointer { dst in
    for (k, tile) in tiles.enumerated() {
      let (y0, x0) = layout.origin(of: k)
      tile.data.withUnsafeBufferPointer { src in
        for c in 0 ..< channels {
          let plane = tile.channels == 1 ? 0 : c
          for y in 0 ..< h {
            let from = src.baseAddress! + (plane * h + y) * w
            (dst.baseAddress! + (c * layout.height + y0 + y) * layout.width + x0).update(from: from, count: w)
          }
        }
      }
      guard labels != nil else { continue }
      let text = lines[k]
      var box = (y: y0, x: x0, height: MontageLayout.stripHeight(lines: text.count, scale: scale), width: w)
      if labelPlacement == .below {
        box.y += h
        box.height = layout.stripHeight
      } else {
        box.height = min(box.height, h)
        box.width = min(scale * ((text.map(TinyFont.width(of:)).max() ?? 0) + 2), w)
        for c in 0 ..< channels {
          for y in box.y ..< box.y + box.height {
            let row = (c * layout.height + y) * layout.width
            for x in box.x ..< box.x + box.width { dst[row + x] = padValue }
          }
        }
      }
      for (i, line) in text.enumerated() {
        TinyFont.draw(
          line, into: dst, channels: channels, imageHeight: layout.height, imageWidth: layout.width,
          clip: (box.y + scale * (1 + 6 * i), box.x + scale, box.y + box.height, box.x + box.width), value: ink,
          scale: scale)
      }
    }
  }
  return out
}

/// A 3×5 bitmap font, one glyph per 4-pixel advance (times the scale).
enum TinyFont {
  static let glyphHeight = 5
  static let advance = 4

  /// Width in pixels of `text` drawn with `draw`.
  static func width(of text: String) -> Int { max(text.count * advance - 1, 0) }

  /// Sets the pixels of `text` with its top-left at `(clip.top, clip.left)` in every channel, each glyph pixel
  /// as a `scale × scale` square, leaving out those at or beyond `clip.bottom` and `clip.right`.
  static func draw(
    _ text: String, into image: UnsafeMutableBufferPointer<Float>, channels: Int, imageHeight: Int, imageWidth: Int,
    clip: (top: Int, left: Int, bottom: Int, right: Int), value: Float, scale: Int = 1
  ) {
    for (i, character) in text.enumerated() {
      let bits = character.lowercased().first.flatMap { glyphs[$0] } ?? glyphs["?"]!
      for gy in 0 ..< glyphHeight {
        for gx in 0 ..< 3 where bits & (1 << (14 - gy * 3 - gx)) != 0 {
          for dy in 0 ..< scale {
            for dx in 0 ..< scale {
              let y = clip.top + gy * scale + dy, x = clip.left + (i * advance + gx) * scale + dx
              guard y >= 0 && x >= 0 && y < clip.bottom && x < clip.right else { continue }
              for c in 0 ..< channels { image[(c * imageHeight + y) * imageWidth + x] = value }
            }
          }
        }
      }
    }
  }

  /// Each glyph as 15 bits, rows top to bottom, each row's pixels left to right, most significant first.
  static let glyphs: [Character: UInt16] = {
    let rows: [Character: String] = [
      "0": "111 101 101 101 111", "1": "010 110 010 010 111", "2": "111 001 111 100 111",
      "3": "111 001 111 001 111", "4": "101 101 111 001 001", "5": "111 100 111 001 111",
      "6": "111 100 111 101 111", "7": "111 001 001 010 010", "8": "111 101 111 101 111",
      "9": "111 101 111 001 111", "a": "010 101 111 101 101", "b": "110 101 110 101 110",
      "c": "011 100 100 100 011", "d": "110 101 101 101 110", "e": "111 100 110 100 111",
      "f": "111 100 110 100 100", "g": "011 100 101 101 011", "h": "101 101 111 101 101",
      "i": "111 010 010 010 111", "j": "001 001 001 101 010", "k": "101 101 110 101 101",
      "l": "100 100 100 100 111", "m": "101 111 111 101 101", "n": "110 101 101 101 101",
      "o": "010 101 101 101 010", "p": "110 101 110 100 100", "q": "010 101 101 110 011",
      "r": "110 101 110 101 101", "s": "011 100 010 001 110", "t": "111 010 010 010 010",
      "u": "101 101 101 101 111", "v": "101 101 101 101 010", "w": "101 101 111 111 101",
      "x": "101 101 010 101 101", "y": "101 101 010 010 010", "z": "111 001 010 100 111",
      "-": "000 000 111 000 000", ".": "000 000 000 000 010", ":": "000 010 000 010 000",
      "_": "000 000 000 000 111", "/": "001 001 010 100 100", "=": "000 111 000 111 000",
      "+": "000 010 111 010 000", "(": "010 100 100 100 010", ")": "010 001 001 001 010",
      "#": "101 111 101 111 101", "?": "111 001 010 000 010", " ": "000 000 000 000 000",
      ",": "000 000 000 010 100", "%": "101 001 010 100 101",
    ]
    return rows.mapValues { UInt16($0.filter { $0 != " " }, radix: 2)! }
  }()
}
