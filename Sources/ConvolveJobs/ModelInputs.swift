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

/// The model's input from a loaded photo.
public func modelInput(_ path: String, runner: ModelRunner, preprocessing: ModelInput, image: LoadedImage, maxPixels: Int)
  throws -> (GraphTensor, Tensor?, [String])
{
  let declared = try runner.input.shape
  let photo = image.tensor
  let (h, w) = preprocessing.modelSize(photoHeight: photo.height, photoWidth: photo.width, declared: declared)
  try checkPixels("the model input", height: h, width: w, maxPixels: maxPixels, fix: "lower --size")
  let (tensor, notes) = try preprocessing.tensor(
    from: photo, channels: ModelInput.channels(declared: declared), height: h, width: w)
  return (tensor, photo, notes)
}

extension ModelInput {
  /// The preparation as one line, for the top-patches page and its settings check.
  public var summary: String {
    var parts = [size.map { "size \($0.height)x\($0.width)" } ?? "fit-multiple \(fitMultiple ?? 32)", "scale \(scale)"]
    parts.append("mean \(mean.map { "\($0)" }.joined(separator: ","))")
    parts.append("std \(std.map { "\($0)" }.joined(separator: ","))")
    if bgr { parts.append("bgr") }
    return parts.joined(separator: ", ")
  }
}
