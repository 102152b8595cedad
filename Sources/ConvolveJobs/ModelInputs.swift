import ConvolveCNN
import ConvolveCore
import ConvolveFormats

/// A model input from a `.npy` tensor (NCHW, or CHW with a batch of one added), with notes on what was done.
public func modelInput(npy path: String) throws -> (GraphTensor, [String]) {
  let array = try NPYArray.read(path: path)
  switch array.shape.count {
  case 4: return (GraphTensor(shape: array.shape, floats: array.data), [])
  case 3: return (GraphTensor(shape: [1] + array.shape, floats: array.data), ["\(lastComponent(path)): CHW tensor given a batch of 1"])
  default:
    throw ConvolveError.file(path: path, reason: "the model input must be NCHW or CHW; this array is \(array.shape)")
  }
}

/// The model's input from a loaded photo, and the part of the photo it shows (cut as a `--crop` cuts it, so
/// that overlays drawn on it line up).
public func modelInput(_ path: String, runner: ModelRunner, preprocessing: ModelInput, image: LoadedImage, maxPixels: Int)
  throws -> (GraphTensor, Tensor?, [String])
{
  var (tensor, geometry, notes) = try modelInputGeometry(
    runner: runner, preprocessing: preprocessing, photo: image.tensor, maxPixels: maxPixels)
  if let profile = image.convertedFrom {
    let name = ImageMetadata.iccDescription(profile)
    if !(name?.lowercased().contains("srgb") ?? false) {
      notes.insert(
        "\(lastComponent(path)): colours converted from its ICC profile\(name.map { " (\($0))" } ?? "") to sRGB, as "
          + "networks are trained on sRGB photos (--keep-colours feeds them as stored)", at: 0)
    }
  }
  guard geometry.isCropped else { return (tensor, image.tensor, notes) }
  let w = geometry.photoWindow
  return (tensor, image.tensor.window(top: w.top, left: w.left, height: w.height, width: w.width), notes)
}

/// The model's input from a photo and where it lies in the photo.
public func modelInputGeometry(runner: ModelRunner, preprocessing: ModelInput, photo: Tensor, maxPixels: Int)
  throws -> (GraphTensor, InputGeometry, [String])
{
  let declared = try runner.input.shape
  let geometry = try preprocessing.geometry(photoHeight: photo.height, photoWidth: photo.width, declared: declared)
  let fix = preprocessing.resizeShorter != nil ? "lower --resize-shorter" : "lower --size"
  try checkPixels("the model input", height: geometry.window.height, width: geometry.window.width, maxPixels: maxPixels, fix: fix)
  try checkPixels("the resized photo", height: geometry.resized.height, width: geometry.resized.width, maxPixels: maxPixels, fix: fix)
  let (tensor, notes) = try preprocessing.tensor(
    from: photo, channels: ModelInput.channels(declared: declared), geometry: geometry)
  return (tensor, geometry, notes)
}

extension ModelInput {
  /// The preparation as one line, for the top-patches page and its settings check.
  public var summary: String {
    var parts = [
      resizeShorter.map { "resize-shorter \($0)" } ?? size.map { "size \($0.height)x\($0.width)" }
        ?? (crop != nil ? "photo size" : "fit-multiple \(fitMultiple ?? 32)")
    ]
    if let crop { parts.append("crop \(crop.height)x\(crop.width)") }
    if !antialias { parts.append("no antialias") }
    parts.append("scale \(scale)")
    parts.append("mean \(mean.map { "\($0)" }.joined(separator: ","))")
    parts.append("std \(std.map { "\($0)" }.joined(separator: ","))")
    if bgr { parts.append("bgr") }
    return parts.joined(separator: ", ")
  }
}
