import ArgumentParser
import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import Foundation

/// How a photo becomes the model's input tensor (the size option is the command's own: `--size` in
/// `model run`, `--model-size` in `batch`, where `--size` is the box filter's).
struct ModelInputOptions: ParsableArguments {
  @Option(help: ArgumentHelp("Round each side of the photo to the nearest multiple of N (default 32 when the model's size is free).", valueName: "N"))
  var fitMultiple: Int?

  @Option(help: ArgumentHelp("Resize the photo's shorter side to N, the longer in proportion, as torchvision's Resize(N) (default: see the size option).", valueName: "N"))
  var resizeShorter: Int?

  @Option(help: ArgumentHelp("Then cut HxW (or N for NxN) from the centre, as torchvision's CenterCrop; overlays show that part of the photo (default: no crop).", valueName: "HxW"))
  var crop: String?

  @Flag(inversion: .prefixedNo, help: "Shrink the photo with antialiasing, as Pillow and torchvision do (--no-antialias: plain bilinear, as OpenCV's resize).")
  var antialias = true

  /// The help of the size option.
  static let sizeHelp = ArgumentHelp(
    "Resize the photo to HxW for the model (default: the model's declared size, else the photo's size rounded to --fit-multiple).",
    valueName: "HxW")

  @Option(help: ArgumentHelp("Multiply 8-bit values (0-255) by this before --mean and --std; a number or a fraction.", valueName: "S"))
  var scale = "1/255"

  @Option(help: ArgumentHelp("Subtract this after scaling: one value or one per channel (e.g. 0.485,0.456,0.406).", valueName: "M"))
  var mean = "0"

  @Option(help: ArgumentHelp("Then divide by this: one value or one per channel (e.g. 0.229,0.224,0.225).", valueName: "S"))
  var std = "1"

  @Flag(help: "Feed the colour channels in B, G, R order (models trained with OpenCV, such as PaddleOCR's).")
  var bgr = false

  @Flag(help: "Feed a photo's colours as stored; by default a photo with an ICC profile (Adobe RGB, Display P3, ...) is converted to sRGB first, as networks are trained on sRGB photos.")
  var keepColours = false

  func validate() throws {
    _ = try modelInput(size: nil, option: "")
  }

  /// The preprocessing these options describe, with the size given as `option`.
  func modelInput(size: String?, option: String) throws -> ModelInput {
    if let resizeShorter {
      guard (1 ... 1 << 16).contains(resizeShorter) else {
        throw ValidationError("--resize-shorter is \(resizeShorter); use 1 to 65536")
      }
      if size != nil { throw ValidationError("give \(option) or --resize-shorter, not both") }
      if fitMultiple != nil { throw ValidationError("give --fit-multiple or --resize-shorter, not both") }
    }
    let cropSize = try crop.map { try parseSize($0, option: "--crop") }
    if let cropSize, let s = resizeShorter, min(cropSize.height, cropSize.width) > s {
      throw ValidationError("--crop \(crop!) is larger than the shorter side --resize-shorter \(s) gives; lower --crop or raise --resize-shorter")
    }
    if let cropSize, let s = try size.map({ try parseSize($0, option: option) }), cropSize.height > s.height || cropSize.width > s.width {
      throw ValidationError("--crop \(crop!) is larger than \(option) \(size!); lower --crop")
    }
    return ModelInput(
      size: try size.map { try parseSize($0, option: option) }, fitMultiple: try fitMultiple.map { m in
        guard m >= 1 else { throw ValidationError("--fit-multiple is \(m); use at least 1") }
        return m
      }, scale: try number(scale, "--scale"), mean: try numbers(mean, "--mean"), std: try numbers(std, "--std"), bgr: bgr,
      resizeShorter: resizeShorter, crop: cropSize, antialias: antialias)
  }
}

/// `HxW` (or one number for a square) as a positive height and width.
func parseSize(_ text: String, option: String) throws -> (height: Int, width: Int) {
  let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
  guard (1 ... 2).contains(parts.count), let h = parts[0], let w = parts.last!, h >= 1, w >= 1, h <= 1 << 16, w <= 1 << 16 else {
    throw ValidationError("\(option) \(text): write HxW with whole numbers from 1 to 65536, e.g. 640x640")
  }
  return (h, w)
}

private func number(_ text: String, _ option: String) throws -> Float {
  let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { Float($0.trimmingCharacters(in: .whitespaces)) }
  guard (1 ... 2).contains(parts.count), let a = parts[0], let b = parts.count == 2 ? parts[1] : 1, b != 0, (a / b).isFinite
  else {
    throw ValidationError("\(option) \(text): write a number or a fraction such as 1/255")
  }
  return a / b
}

private func numbers(_ text: String, _ option: String) throws -> [Float] {
  let values = try text.split(separator: ",").map { try number(String($0), option) }
  guard !values.isEmpty else { throw ValidationError("\(option) needs one number or one per channel") }
  if option == "--std", values.contains(0) { throw ValidationError("--std must not be 0") }
  return values
}

extension ModelInputOptions {
  /// The input `runner` takes from the photo or `.npy` at `path` (and the photo shown under overlays), prepared as
  /// these options and `size` (`--size`) say; the notes on what was done printed. An error in it names `model`.
  func input(_ path: String, runner: ModelRunner, model: String, size: String?, load: ImageInputOptions) throws
    -> (GraphTensor, Tensor?)
  {
    let preprocessing = try modelInput(size: size, option: "--size")
    let (tensor, photo, notes): (GraphTensor, Tensor?, [String]) = try fileContent(model) {
      if path.lowercased().hasSuffix(".npy") {
        let (tensor, notes) = try ConvolveJobs.modelInput(npy: path)
        return (tensor, nil, notes)
      }
      let image = try load.loading(keepColours: keepColours)
        .load(path, data: path == standardStream ? try load.readStandardInput() : nil)
      return try ConvolveJobs.modelInput(
        path, runner: runner, preprocessing: preprocessing, image: image, maxPixels: load.maxPixels)
    }
    notes.forEach { print("note: \($0)") }
    return (tensor, photo)
  }
}
