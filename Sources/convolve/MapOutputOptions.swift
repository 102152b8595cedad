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
  @Option(help: ArgumentHelp("Colormap for feature maps and overlays (default: gray for maps, jet for overlays).", valueName: "name"))
  var colormap: Colormap?

  @Option(help: ArgumentHelp("Tiles per row in the montage (default: about the square root of the map count).", valueName: "n"))
  var columns: Int?

  @Option(help: ArgumentHelp("Clip this percentage of the darkest and brightest values before normalising each map (0 to 49; 0 for plain min-max).", valueName: "p"))
  var clipPercentile: Float = 1

  @Option(help: "Stretch each map over its own value range (printed under it), or all maps over one range (printed on the colour bar).")
  var mapRange: MapRange = .each

  @Flag(help: "Also write every feature map as its own image.")
  var maps = false

  @Flag(help: "Also write raw Float32 values as .npy.")
  var saveNpy = false

  @Flag(help: "Also write each map's raw Float32 values as a 32-bit float TIFF (one file per map).")
  var saveTiff = false

  @Flag(help: "Leave the numbers, names and ranges off the montage tiles.")
  var noLabels = false

  @Option(help: ArgumentHelp("An overlay's opacity where its map peaks (0 to 1); it follows the map down to clear where the map is 0.", valueName: "a"))
  var overlayAlpha: Float = 0.6

  func validate() throws {
    guard (0 ..< 50).contains(clipPercentile) else {
      throw ValidationError("--clip-percentile is \(clipPercentile); use 0 to 49")
    }
    if let columns, columns < 1 { throw ValidationError("--columns is \(columns); use at least 1") }
    guard (0 ... 1).contains(overlayAlpha) else { throw ValidationError("--overlay-alpha is \(overlayAlpha); use 0 to 1") }
  }

  /// The writer these options describe.
  var writer: FeatureMapWriter {
    var writer = FeatureMapWriter(
      colormap: colormap ?? .gray, overlayColormap: colormap ?? .jet, columns: columns, clipPercentile: clipPercentile,
      eachMap: maps, saveNpy: saveNpy, labels: !noLabels, range: mapRange, saveTIFF: saveTiff)
    writer.overlayOpacity = overlayAlpha
    return writer
  }
}
