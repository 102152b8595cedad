import ConvolveCore
import ConvolveFormats
import Foundation

/// How a stack of feature maps is written for people: a montage of every map normalised on its own (with a
/// colormap and labels), optionally each map alone and the raw values as `.npy`.
public struct FeatureMapWriter: Sendable {
  public var colormap: Colormap
  /// Tiles per montage row; nil for about the square root of the map count.
  public var columns: Int?
  /// Percentage clipped at each end before normalising a map (0 for plain min-max).
  public var clipPercentile: Float
  /// Also write every map as its own image.
  public var eachMap: Bool
  /// Also write the raw Float32 values as `.npy`.
  public var saveNpy: Bool
  /// Number the montage tiles.
  public var labels: Bool

  public init(
    colormap: Colormap = .gray, columns: Int? = nil, clipPercentile: Float = 1, eachMap: Bool = false,
    saveNpy: Bool = false, labels: Bool = true
  ) {
    (self.colormap, self.columns, self.clipPercentile, self.eachMap, self.saveNpy, self.labels) =
      (colormap, columns, clipPercentile, eachMap, saveNpy, labels)
  }

  /// Writes `stem.png` (one image, or a montage of every map normalised on its own), plus the extras asked for.
  /// Returns the paths written.
  @discardableResult
  public func write(_ t: Tensor, directory: String, stem: String, imageLike: Bool = false) throws -> [String] {
    var written: [String] = []
    let base = (directory as NSString).appendingPathComponent(stem)
    if saveNpy || t.height == 1 && t.width == 1 {
      try NPYArray(t).write(path: base + ".npy")
      written.append(base + ".npy")
    }
    guard t.height > 1 || t.width > 1 else { return written }
    if imageLike && (1 ... 4).contains(t.channels) {
      try saveImage(ConvolveCore.map(t, .clip), path: base + ".png")
      return written + [base + ".png"]
    }
    let normalized = ConvolveCore.map(
      t, .normalize, perChannel: true, clipPercentile: clipPercentile > 0 ? clipPercentile : nil)
    let tiles = try (0 ..< t.channels).map { c -> Tensor in
      let plane = normalized.plane(c)
      return colormap == .gray ? plane : try colormap.apply(plane)
    }
    if t.channels == 1 {
      try saveImage(tiles[0], path: base + ".png")
      return written + [base + ".png"]
    }
    let labels = !self.labels ? nil : (0 ..< t.channels).map(String.init)
    try saveImage(montage(tiles, columns: columns, labels: labels), path: base + ".png")
    written.append(base + ".png")
    if eachMap {
      for (c, tile) in tiles.enumerated() {
        let path = base + String(format: "-map%02d.png", c)
        try saveImage(tile, path: path)
        written.append(path)
      }
    }
    return written
  }
}
