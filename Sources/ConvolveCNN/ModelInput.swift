import ConvolveCore
import Foundation

/// How a photo becomes a model's NCHW input: resized (to a size, or to the nearest multiples of a number),
/// channels matched (gray repeated, alpha dropped, optionally BGR), then `(v · scale − mean) / std` per
/// channel with `v` the 8-bit value (0...255) of the photo.
public struct ModelInput: Equatable, Sendable {
  /// Resize to exactly this height and width.
  public var size: (height: Int, width: Int)?
  /// Resize each side to the nearest multiple of this (at least one multiple), e.g. 32 for most detectors.
  public var fitMultiple: Int?
  public var scale: Float
  /// One value for every channel, or one per channel.
  public var mean: [Float]
  public var std: [Float]
  /// Feed the colour channels in B, G, R order (OpenCV-trained models such as PaddleOCR's).
  public var bgr: Bool

  public init(
    size: (height: Int, width: Int)? = nil, fitMultiple: Int? = nil, scale: Float = 1 / 255, mean: [Float] = [0],
    std: [Float] = [1], bgr: Bool = false
  ) {
    (self.size, self.fitMultiple, self.scale, self.mean, self.std, self.bgr) = (size, fitMultiple, scale, mean, std, bgr)
  }

  public static func == (a: ModelInput, b: ModelInput) -> Bool {
    a.size?.height == b.size?.height && a.size?.width == b.size?.width && a.fitMultiple == b.fitMultiple
      && a.scale == b.scale && a.mean == b.mean && a.std == b.std && a.bgr == b.bgr
  }

  /// The height and width the model gets for a photo of `height × width`: `size`, else the declared fixed
  /// spatial dimensions of `declared` (`N×C×H×W`), else the photo's size rounded to `fitMultiple` (32 when
  /// neither is given and the model's size is free).
  public func modelSize(photoHeight height: Int, photoWidth width: Int, declared: [TensorDimension]?) -> (Int, Int) {
    if let size { return size }
    if fitMultiple == nil, let d = declared, d.count == 4, case .fixed(let h) = d[2], case .fixed(let w) = d[3], h > 0,
      w > 0
    {
      return (h, w)
    }
    let m = max(1, fitMultiple ?? 32)
    func round(_ n: Int) -> Int { max(m, Int((Double(n) / Double(m)).rounded()) * m) }
    return (round(height), round(width))
  }

  /// The channel count the model wants: the declared `C` of `N×C×H×W` when fixed, else 3.
  public static func channels(declared: [TensorDimension]?) -> Int {
    if let d = declared, d.count == 4, case .fixed(let c) = d[1], c > 0 { return c }
    return 3
  }

  /// `photo` (C×H×W, values in [0, 1]) as a `1×C×H×W` input of `channels` channels and the given size, with
  /// a note saying what was done when it is not the photo as it is.
  public func tensor(from photo: Tensor, channels: Int, height: Int, width: Int) throws -> (GraphTensor, [String]) {
    var notes: [String] = []
    guard photo.channels >= 1 && photo.planeSize > 0 else {
      throw ConvolveError.invalidArgument("the photo is empty (\(tensorSizeText(channels: photo.channels, height: photo.height, width: photo.width)))")
    }
    let color = photo.channels == 2 || photo.channels == 4 ? photo.channels - 1 : photo.channels
    var planes = (0 ..< color).map { photo.plane($0) }
    switch (color, channels) {
    case (let a, let b) where a == b: break
    case (1, _):
      planes = Array(repeating: planes[0], count: channels)
      notes.append("gray photo: its channel repeated \(channels) times")
    case (3, 1):
      var luma = planes[0]
      for i in 0 ..< luma.count { luma.data[i] = 0.299 * planes[0].data[i] + 0.587 * planes[1].data[i] + 0.114 * planes[2].data[i] }
      planes = [luma]
      notes.append("RGB photo: the model takes one channel, so it gets the luma")
    default:
      throw ConvolveError.shapeMismatch("the photo has \(color) colour channels; the model expects \(channels)")
    }
    if photo.channels != color { notes.append("alpha channel dropped") }
    if bgr && planes.count == 3 { planes.reverse() }
    if (photo.height, photo.width) != (height, width) {
      let options = ResizeOptions(mode: .linear, coordinates: .halfPixel)
      planes = try planes.map { try $0.resized(height: height, width: width, options: options) }
      notes.append(
        "resized from \(pictureSizeText(width: photo.width, height: photo.height)) (WxH) to the model's "
          + "\(tensorSizeText(channels: planes.count, height: height, width: width)), bilinear")
    }
    for (name, list) in [("mean", mean), ("std", std)] where list.count != 1 && list.count != planes.count {
      throw ConvolveError.usage("--\(name) has \(list.count) values; the model takes \(planes.count) channels: give 1 value or \(planes.count)")
    }
    guard std.allSatisfy({ $0 != 0 && $0.isFinite }), mean.allSatisfy(\.isFinite), scale.isFinite else {
      throw ConvolveError.usage("--scale, --mean and --std must be finite, and --std not 0")
    }
    let count = try CheckedSize.count([planes.count, height, width], what: "model input")
    var data = [Float](repeating: 0, count: count)
    let plane = height * width
    for (c, p) in planes.enumerated() {
      let m = mean.count == 1 ? mean[0] : mean[c], s = std.count == 1 ? std[0] : std[c]
      let a = 255 * scale / s, b = -m / s
      p.data.withUnsafeBufferPointer { src in
        data.withUnsafeMutableBufferPointer { dst in
          for i in 0 ..< plane { dst[c * plane + i] = src[i] * a + b }
        }
      }
    }
    if bgr && planes.count == 3 { notes.append("channels in B, G, R order") }
    return (GraphTensor(shape: [1, planes.count, height, width], floats: data), notes)
  }
}
