import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveRender
import Foundation

/// Runs the stages on the photo, writing each saved stage's output (montages titled with the stage's name, tiles
/// named after their filters when known); logs one line per stage and returns the files written. With
/// `report`, also writes `00-input.png` and `report.html` (`RunReport`) into the folder; with `overlay`, the mean
/// of the last stage's maps over the photo in `maps.overlayColormap`, its opacity following the map up to
/// `maps.overlayOpacity` (shown in the report too).
@discardableResult
public func runStages(
  _ pipeline: Pipeline, image: Tensor, input: String, outputDirectory: String, maps: FeatureMapWriter,
  overlay: Bool, report: Bool = false, prefix: (Int, Pipeline.Stage) -> String,
  log: (String) -> Void = { print($0) }
) throws -> [String] {
  var written: [String] = []
  var last = image
  var featureStage = false
  var page: RunReport?
  if report {
    let preview = (outputDirectory as NSString).appendingPathComponent("00-input.png")
    let shown = image.channels == 2 ? image.firstChannels(1) : image
    try saveImage(mapOutput(shown, .clip), path: preview)
    page = RunReport(
      pipeline: pipeline, inputName: (input as NSString).lastPathComponent, input: image,
      inputImage: "00-input.png")
  }
  // Each stage's time runs from the end of the previous callback to the start of this one: its operation only.
  let clock = ContinuousClock()
  var mark = clock.now
  let (prepared, note) = pipeline.prepared(image)
  let mapNames = pipeline.mapNames
  if let note { log("note: \(note)") }
  try pipeline.run(prepared) { i, stage, output in
    let elapsed = mark.duration(to: clock.now)
    defer { mark = clock.now }
    last = output
    switch stage.operation {
    case .pool, .upsample: break
    default: featureStage = true
    }
    var files: [String] = []
    if stage.save {
      let names = mapNames[i].flatMap { $0.count == output.channels ? $0 : nil }
      files = try maps.write(
        output, directory: outputDirectory, stem: prefix(i, stage), imageLike: !featureStage, title: prefix(i, stage),
        names: names)
      written += files
      log("\(stage.name): \(tensorSizeText(channels: output.channels, height: output.height, width: output.width)) -> \(files.joined(separator: ", "))")
    }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    page?.add(stage, output: output, milliseconds: seconds * 1000, files: files)
  }
  if overlay && last.height > 1 {
    var mean = Tensor(channels: 1, height: last.height, width: last.width)
    for c in 0 ..< last.channels {
      for i in 0 ..< last.planeSize { mean.data[i] += last.data[c * last.planeSize + i] / Float(last.channels) }
    }
    let heat = mapOutput(mean, .normalize)
    let path = (outputDirectory as NSString).appendingPathComponent("\(URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent)-overlay.png")
    let photo = image.channels >= 3 ? image.firstChannels(3) : image.firstChannels(1)
    try saveImage(
      try followingOverlay(heat, on: photo, colormap: maps.overlayColormap, maxOpacity: maps.overlayOpacity), path: path)
    log("overlay: \(path)")
    written.append(path)
    page?.overlayImage = (path as NSString).lastPathComponent
  }
  if let page {
    let path = try page.write(directory: outputDirectory)
    written.append(path)
    log("report: \(path)")
  }
  return written
}
