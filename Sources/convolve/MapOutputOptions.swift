import ArgumentParser
import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveLecture
import ConvolveRender
import Foundation

/// How stacks of feature maps are written for viewing.
struct MapOutputOptions: ParsableArguments {
  @Option(help: "Colormap for feature maps: \(Colormap.allCases.map(\.rawValue).joined(separator: ", ")).")
  var colormap: Colormap = .gray

  @Option(help: "Tiles per row in the montage (default: about the square root of the map count).")
  var columns: Int?

  @Option(help: "Clip this percentage of the darkest and brightest values before normalising each map (0 to 49; 0 for plain min-max).")
  var clipPercentile: Float = 1

  @Flag(help: "Also write every feature map as its own image.")
  var maps = false

  @Flag(help: "Also write raw Float32 values as .npy.")
  var saveNpy = false

  @Flag(help: "Leave the map numbers off the montage tiles.")
  var noLabels = false

  func validate() throws {
    guard (0 ..< 50).contains(clipPercentile) else {
      throw ValidationError("--clip-percentile is \(clipPercentile); use 0 to 49")
    }
    if let columns, columns < 1 { throw ValidationError("--columns is \(columns); use at least 1") }
  }

  /// Writes `stem.png` (one image, or a montage of every map normalised on its own), plus the extras asked for.
  /// Returns the paths written.
  @discardableResult
  func write(_ t: Tensor, directory: String, stem: String, imageLike: Bool = false) throws -> [String] {
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
    let labels = noLabels ? nil : (0 ..< t.channels).map(String.init)
    try saveImage(montage(tiles, columns: columns, labels: labels), path: base + ".png")
    written.append(base + ".png")
    if maps {
      for (c, tile) in tiles.enumerated() {
        let path = base + String(format: "-map%02d.png", c)
        try saveImage(tile, path: path)
        written.append(path)
      }
    }
    return written
  }
}
