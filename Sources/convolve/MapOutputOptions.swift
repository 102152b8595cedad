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

  /// The writer these options describe.
  var writer: FeatureMapWriter {
    FeatureMapWriter(
      colormap: colormap, columns: columns, clipPercentile: clipPercentile, eachMap: maps, saveNpy: saveNpy,
      labels: !noLabels)
  }
}
