import ConvolveCore
import ConvolveFormats
import Foundation

/// How the maps of a montage are stretched to the colour scale.
public enum MapRange: String, CaseIterable, Sendable {
  /// Every map from its own low to its own high value (printed under the tile): shows each map's pattern.
  case each
  /// One range over all the maps (printed on the legend): shows which maps respond more strongly.
  case shared
}

/// How a stack of feature maps is written for people: a montage of every map (a title naming the stage, each
/// tile labelled with its number, name and range, a colour bar with the values at its ends), optionally each
/// map alone and the raw values as `.npy`.
public struct FeatureMapWriter: Sendable {
  public var colormap: Colormap
  /// The colormap of heat maps drawn over the photo (`--overlay`).
  public var overlayColormap: Colormap
  /// The opacity of an overlay where its map peaks; it follows the map down to 0 (`followingOverlay`).
  public var overlayOpacity: Float = 0.6
  /// Tiles per montage row; nil for about the square root of the map count.
  public var columns: Int?
  /// Percentage clipped at each end before normalising (0 for plain min-max).
  public var clipPercentile: Float
  /// Also write every map as its own image.
  public var eachMap: Bool
  /// Also write the raw Float32 values as `.npy`.
  public var saveNpy: Bool
  /// Also write the raw Float32 values as 32-bit float TIFFs (`floatTIFFs`).
  public var saveTIFF: Bool
  /// Label the montage tiles (number, name, range).
  public var labels: Bool
  public var range: MapRange

  public init(
    colormap: Colormap = .gray, overlayColormap: Colormap = .jet, columns: Int? = nil, clipPercentile: Float = 1,
    eachMap: Bool = false, saveNpy: Bool = false, labels: Bool = true, range: MapRange = .each, saveTIFF: Bool = false
  ) {
    (self.colormap, self.overlayColormap, self.columns, self.clipPercentile) = (colormap, overlayColormap, columns, clipPercentile)
    (self.eachMap, self.saveNpy, self.labels, self.range, self.saveTIFF) = (eachMap, saveNpy, labels, range, saveTIFF)
  }

  /// The maps of `t` as they are (no mapping, no clamping) in 32-bit float TIFFs: `base.tif` for one map,
  /// `base-mapNN.tif` for each of several. Returns the paths written.
  public func floatTIFFs(_ t: Tensor, base: String) throws -> [String] {
    if t.channels == 1 {
      try saveImage(t, path: base + ".tif", bitDepth: 32)
      return [base + ".tif"]
    }
    return try (0 ..< t.channels).map { c in
      let path = base + String(format: "-map%02d.tif", c)
      try saveImage(t.plane(c), path: path, bitDepth: 32)
      return path
    }
  }

  /// Writes `stem.png` (one image, or a montage of the maps with a title, labels and a colour bar), plus the
  /// extras asked for. `title` names the stage or layer (default: `stem`), `names` the maps (one per channel,
  /// e.g. the filters that made them). Returns the paths written.
  @discardableResult
  public func write(
    _ t: Tensor, directory: String, stem: String, imageLike: Bool = false, title: String? = nil,
    names: [String]? = nil
  ) throws -> [String] {
    var written: [String] = []
    let base = (directory as NSString).appendingPathComponent(stem)
    if saveNpy || t.height == 1 && t.width == 1 {
      try NPYArray(t).write(path: base + ".npy")
      written.append(base + ".npy")
    }
    guard t.height > 1 || t.width > 1 else { return written }
    if saveTIFF { written += try floatTIFFs(t, base: base) }
    if imageLike && (1 ... 4).contains(t.channels) {
      try saveImage(mapOutput(t, .clip), path: base + ".png")
      return written + [base + ".png"]
    }
    let (tiles, ranges) = try colouredTiles(t)
    try saveImage(try picture(tiles, ranges: ranges, title: title ?? stem, names: names, shape: t), path: base + ".png")
    written.append(base + ".png")
    if eachMap && t.channels > 1 {
      for (c, tile) in tiles.enumerated() {
        let path = base + String(format: "-map%02d.png", c)
        try saveImage(tile, path: path)
        written.append(path)
      }
    }
    return written
  }

  /// Each map stretched by `range` and `clipPercentile` and coloured, with the value range it was stretched over.
  func colouredTiles(_ t: Tensor) throws -> (tiles: [Tensor], ranges: [(low: Float, high: Float)]) {
    let clip = clipPercentile > 0 ? clipPercentile : nil
    var ranges = normalizationRanges(t, perChannel: range == .each, clipPercentile: clip)
    let normalized = mapOutput(t, normalizedBy: ranges)
    if range == .shared { ranges = Array(repeating: ranges[0], count: t.channels) }
    let tiles = try (0 ..< t.channels).map { c -> Tensor in
      let plane = normalized.plane(c)
      return colormap == .gray ? plane : try colormap.apply(plane)
    }
    return (tiles, ranges)
  }

  /// Each tile's label: its number and name (`3 sobel-x`), and with `.each` a second line with the range it
  /// was stretched over (`-1.31 to 1.24`); nil without labels.
  func tileLabels(ranges: [(low: Float, high: Float)], names: [String]?) -> [String]? {
    guard labels else { return nil }
    return ranges.indices.map { k in
      let name = names.flatMap { k < $0.count ? $0[k] : nil }.map { " \($0)" } ?? ""
      let span = range == .each ? "\n\(legendNumber(ranges[k].low)) to \(legendNumber(ranges[k].high))" : ""
      return "\(k)\(name)\(span)"
    }
  }

  /// The shorter side small maps are enlarged to (nearest neighbour, by a whole factor) in a montage.
  public static let minimumTileSide = 96
  /// The longest side that enlargement may give a long, thin map.
  public static let maximumEnlargedSide = 512

  /// How many times a `height × width` map is enlarged in a montage: enough for `minimumTileSide` on its
  /// shorter side, unless that would take its longer side past `maximumEnlargedSide`; at least 1.
  public static func enlargement(height: Int, width: Int) -> Int {
    let short = max(1, min(height, width)), long = max(1, max(height, width))
    let wanted = (minimumTileSide + short - 1) / short
    return max(1, min(wanted, maximumEnlargedSide / long))
  }

  /// The font scale of a montage's labels for tiles of `height × width`: the tile's
  /// (`MontageLayout.labelScale`), at least 2 (glyphs 10 pixels tall).
  public static func labelScale(tileHeight: Int, tileWidth: Int) -> Int {
    max(2, MontageLayout.labelScale(tileHeight: tileHeight, tileWidth: tileWidth))
  }

  /// The montage with its title above (and the montage's 2-pixel gap) and its colour bar below. Small maps are
  /// enlarged (`enlargement`), and tiles widened with the background where their labels are wider, so that no
  /// label, title or range is cut.
  func picture(
    _ tiles: [Tensor], ranges: [(low: Float, high: Float)], title: String, names: [String]?, shape t: Tensor
  ) throws -> Tensor {
    let factor = Self.enlargement(height: t.height, width: t.width)
    let (h, w) = (t.height * factor, t.width * factor)
    let scale = Self.labelScale(tileHeight: h, tileWidth: w)
    let labels = tileLabels(ranges: ranges, names: names)
    let labelWidth = (labels ?? []).flatMap { $0.split(separator: "\n").map { TinyFont.width(of: String($0)) } }.max() ?? 0
    let cellWidth = max(w, scale * (labelWidth + 2))
    let cells = tiles.map { padded(enlarged($0, by: factor), width: cellWidth) }
    let grid = try montage(cells, columns: columns, labels: labels, labelScale: scale)
    let maps = t.channels == 1 ? "1 map" : "\(t.channels) maps"
    let how = t.channels == 1 ? "" : range == .each ? ", each over its own range" : ", one range"
    let shown = factor > 1 ? ", shown \(factor)x" : ""
    let text = "\(title): \(maps) \(planeSizeText(height: t.height, width: t.width))\(shown)\(how)"
    let (low, high) = range == .each && t.channels > 1
      ? ("min", "max") : (legendNumber(ranges[0].low), legendNumber(ranges[0].high))
    // Wide enough for the title, and for the bar's two numbers with a bar between them.
    let width = max(grid.width, scale * (TinyFont.width(of: text) + 2), scale * (TinyFont.width(of: low + high) + 16))
    let heading = textStrip(text, width: width, scale: scale, channels: grid.channels)
    let bar = colorbar(width: width, colormap: colormap, low: low, high: high, scale: scale)
    let gap = Tensor(channels: 1, height: 2, width: width, repeating: 1)
    return stackedVertically([heading, gap, grid, bar])
  }
}

/// `t` with every pixel repeated `factor × factor` times.
func enlarged(_ t: Tensor, by factor: Int) -> Tensor {
  guard factor > 1 else { return t }
  let (h, w) = (t.height * factor, t.width * factor)
  var out = Tensor(channels: t.channels, height: h, width: w)
  t.data.withUnsafeBufferPointer { src in
    out.data.withUnsafeMutableBufferPointer { dst in
      for c in 0 ..< t.channels {
        for y in 0 ..< h {
          let from = (c * t.height + y / factor) * t.width, to = (c * h + y) * w
          for x in 0 ..< w { dst[to + x] = src[from + x / factor] }
        }
      }
    }
  }
  return out
}

/// `t` widened to `width` with `value` on the right (unchanged when it is as wide already).
func padded(_ t: Tensor, width: Int, value: Float = 1) -> Tensor {
  guard width > t.width else { return t }
  var out = Tensor(channels: t.channels, height: t.height, width: width, repeating: value)
  for c in 0 ..< t.channels {
    for y in 0 ..< t.height {
      let to = (c * t.height + y) * width, from = (c * t.height + y) * t.width
      out.data.replaceSubrange(to ..< to + t.width, with: t.data[from ..< from + t.width])
    }
  }
  return out
}
