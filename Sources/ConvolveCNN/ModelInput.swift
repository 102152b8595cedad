import ConvolveCore
import Foundation

/// How a photo becomes a model's NCHW input: resized (to a size, to the nearest multiples of a number, or with
/// its shorter side to a length), optionally centre-cropped (as torchvision's `Resize(256)` then
/// `CenterCrop(224)`), channels matched (gray repeated, alpha dropped, optionally BGR), then
/// `(v · scale − mean) / std` per channel with `v` the 8-bit value (0...255) of the photo.
public struct ModelInput: Equatable, Sendable {
  /// Resize to exactly this height and width.
  public var size: (height: Int, width: Int)?
  /// Resize each side to the nearest multiple of this (at least one multiple), e.g. 32 for most detectors.
  public var fitMultiple: Int?
  /// Resize the shorter side to this, the longer in proportion (truncated, as torchvision's `Resize(n)`).
  public var resizeShorter: Int?
  /// After the resize, keep this window from the centre (torchvision's `CenterCrop`).
  public var crop: (height: Int, width: Int)?
  /// Shrink with a filter widened by the factor (Pillow's and torchvision's antialiased bilinear resize);
  /// false for plain bilinear (OpenCV's `INTER_LINEAR`, ONNX Resize).
  public var antialias: Bool
  public var scale: Float
  /// One value for every channel, or one per channel.
  public var mean: [Float]
  public var std: [Float]
  /// Feed the colour channels in B, G, R order (OpenCV-trained models such as PaddleOCR's).
  public var bgr: Bool

  public init(
    size: (height: Int, width: Int)? = nil, fitMultiple: Int? = nil, scale: Float = 1 / 255, mean: [Float] = [0],
    std: [Float] = [1], bgr: Bool = false, resizeShorter: Int? = nil, crop: (height: Int, width: Int)? = nil,
    antialias: Bool = true
  ) {
    (self.size, self.fitMultiple, self.scale, self.mean, self.std, self.bgr) = (size, fitMultiple, scale, mean, std, bgr)
    (self.resizeShorter, self.crop, self.antialias) = (resizeShorter, crop, antialias)
  }

  public static func == (a: ModelInput, b: ModelInput) -> Bool {
    a.size?.height == b.size?.height && a.size?.width == b.size?.width && a.fitMultiple == b.fitMultiple
      && a.resizeShorter == b.resizeShorter && a.crop?.height == b.crop?.height && a.crop?.width == b.crop?.width
      && a.antialias == b.antialias && a.scale == b.scale && a.mean == b.mean && a.std == b.std && a.bgr == b.bgr
  }

  /// The height and width the model gets for a photo of `height × width`: the `crop` when given; else the
  /// resize's (`resizeShorter`, `size`, the declared fixed spatial dimensions of `declared` (`N×C×H×W`), else
  /// the photo's size rounded to `fitMultiple`, 32 when neither is given and the model's size is free).
  public func modelSize(photoHeight height: Int, photoWidth width: Int, declared: [TensorDimension]?) -> (Int, Int) {
    if let crop { return crop }
    return resizedSize(photoHeight: height, photoWidth: width, declared: declared)
  }

  /// The size the photo is resized to, before any crop: with a `crop` and neither `size` nor `resizeShorter`,
  /// the photo's own (the crop is cut from the photo as it is).
  public func resizedSize(photoHeight height: Int, photoWidth width: Int, declared: [TensorDimension]?) -> (Int, Int) {
    if let s = resizeShorter {
      // torchvision: the shorter side becomes s, the longer int(s · long / short).
      let long = { (l: Int, short: Int) in max(1, Int(Double(s) * Double(l) / Double(short))) }
      return height <= width ? (s, long(width, height)) : (long(height, width), s)
    }
    if let size { return size }
    if crop != nil { return (height, width) }
    if fitMultiple == nil, let d = declared, d.count == 4, case .fixed(let h) = d[2], case .fixed(let w) = d[3], h > 0,
      w > 0
    {
      return (h, w)
    }
    let m = max(1, fitMultiple ?? 32)
    func round(_ n: Int) -> Int { max(m, Int((Double(n) / Double(m)).rounded()) * m) }
    return (round(height), round(width))
  }

  /// Where the model's input lies in the photo, for a photo of `height × width`.
  public func geometry(photoHeight height: Int, photoWidth width: Int, declared: [TensorDimension]?) throws -> InputGeometry {
    let resized = resizedSize(photoHeight: height, photoWidth: width, declared: declared)
    var window = (top: 0, left: 0, height: resized.0, width: resized.1)
    if let crop {
      guard crop.height <= resized.0 && crop.width <= resized.1 else {
        throw ConvolveError.usage(
          "--crop \(crop.height)x\(crop.width) is larger than the \(pictureSizeText(width: resized.1, height: resized.0)) (WxH) photo it is cut from; "
            + "raise --resize-shorter (or --size), or lower --crop")
      }
      // torchvision's CenterCrop: int(round((h − ch) / 2)), Python rounding halves to even.
      func offset(_ free: Int) -> Int { Int((Double(free) / 2).rounded(.toNearestOrEven)) }
      window = (offset(resized.0 - crop.height), offset(resized.1 - crop.width), crop.height, crop.width)
    }
    return InputGeometry(photo: (height, width), resized: resized, window: window)
  }
  /// The channel count the model wants: the declared `C` of `N×C×H×W` when fixed, else 3.
  /// Throws a usage error unless `--mean` and `--std` have one value or one per channel of `channels`.
  public func checkChannels(_ channels: Int) throws {
    for (name, list) in [("mean", mean), ("std", std)] where list.count != 1 && list.count != channels {
      throw ConvolveError.usage("--\(name) has \(list.count) values; the model takes \(channels) channels: give 1 value or \(channels)")
    }
  }

  public static func channels(declared: [TensorDimension]?) -> Int {
    if let d = declared, d.count == 4, case .fixed(let c) = d[1], c > 0 { return c }
    return 3
  }

  /// `photo` (C×H×W, values in [0, 1]) as a `1×C×H×W` input of `channels` channels and the given size, with
  /// a note saying what was done when it is not the photo as it is.
  public func tensor(from photo: Tensor, channels: Int, height: Int, width: Int) throws -> (GraphTensor, [String]) {
    try tensor(
      from: photo, channels: channels,
      geometry: InputGeometry(photo: (photo.height, photo.width), resized: (height, width), window: (0, 0, height, width)))
  }

  /// `photo` resized and cut as `geometry` says (see `geometry(photoHeight:photoWidth:declared:)`), as a
  /// `1×C×H×W` input of `channels` channels, with notes saying what was done.
  public func tensor(from photo: Tensor, channels: Int, geometry: InputGeometry) throws -> (GraphTensor, [String]) {
    let (height, width) = (geometry.window.height, geometry.window.width)
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
    if (photo.height, photo.width) != geometry.resized {
      let (height, width) = geometry.resized
      let shrinks = height < photo.height || width < photo.width
      if antialias && shrinks {
        planes = try Self.antialiasedResize(planes, height: height, width: width)
      } else {
        let options = ResizeOptions(mode: .linear, coordinates: .halfPixel)
        planes = try planes.map { try $0.resized(height: height, width: width, options: options) }
      }
      let to = geometry.isCropped
        ? "\(pictureSizeText(width: width, height: height)) (WxH)"
        : "the model's \(tensorSizeText(channels: planes.count, height: height, width: width))"
      notes.append("resized from \(pictureSizeText(width: photo.width, height: photo.height)) (WxH) to \(to), bilinear")
      if antialias && shrinks { notes.append("shrunk with antialiasing, as Pillow and torchvision do (--no-antialias: plain bilinear, as OpenCV)") }
    }
    if geometry.isCropped {
      let w = geometry.window
      planes = planes.map { $0.window(top: w.top, left: w.left, height: w.height, width: w.width) }
      notes.append(
        "centre crop \(pictureSizeText(width: w.width, height: w.height)) (WxH) from "
          + "\(pictureSizeText(width: geometry.resized.width, height: geometry.resized.height)), at row \(w.top), column \(w.left)")
    }
    try checkChannels(planes.count)
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

  /// Pillow's bilinear resize (its triangle filter widened by the shrink factor, taps past the edge left out),
  /// through ONNX Resize's antialias filter.
  static func antialiasedResize(_ planes: [Tensor], height: Int, width: Int) throws -> [Tensor] {
    guard let first = planes.first else { return planes }
    _ = try CheckedSize.count([planes.count, first.height, width], what: "resized photo")
    _ = try CheckedSize.count([planes.count, height, width], what: "resized photo")
    let filter = ResizeFilter(cubic: false, a: -0.75, excludeOutside: true, antialias: true)
    let out = filter.apply(
      planes.flatMap(\.data), planes: planes.count, h: first.height, w: first.width, oh: height, ow: width,
      scaleY: Float(height) / Float(first.height), scaleX: Float(width) / Float(first.width), coordinates: .halfPixel)
    let n = height * width
    return (0 ..< planes.count).map { Tensor(channels: 1, height: height, width: width, data: Array(out[$0 * n ..< ($0 + 1) * n])) }
  }
}

/// Where a model's input lies in the photo it is made from: the photo resized to `resized`, then the
/// `window` of that kept (all of it without a crop).
public struct InputGeometry: Sendable {
  public var photo: (height: Int, width: Int)
  public var resized: (height: Int, width: Int)
  public var window: (top: Int, left: Int, height: Int, width: Int)

  public init(photo: (height: Int, width: Int), resized: (height: Int, width: Int), window: (top: Int, left: Int, height: Int, width: Int)) {
    (self.photo, self.resized, self.window) = (photo, resized, window)
  }

  public var isCropped: Bool { window.height != resized.height || window.width != resized.width }

  /// Photo pixels per model-input pixel, down and across.
  public var scale: (y: Double, x: Double) {
    (Double(photo.height) / Double(resized.height), Double(photo.width) / Double(resized.width))
  }

  /// The model input's top-left edge in photo pixels.
  public var origin: (y: Double, x: Double) { (Double(window.top) * scale.y, Double(window.left) * scale.x) }

  /// The photo's pixels the model sees, rounded to whole pixels: the picture overlays and maps are drawn on.
  public var photoWindow: (top: Int, left: Int, height: Int, width: Int) {
    guard isCropped else { return (0, 0, photo.height, photo.width) }
    let s = scale
    let top = min(max(0, Int((Double(window.top) * s.y).rounded())), photo.height - 1)
    let left = min(max(0, Int((Double(window.left) * s.x).rounded())), photo.width - 1)
    let bottom = min(photo.height, max(top + 1, Int((Double(window.top + window.height) * s.y).rounded())))
    let right = min(photo.width, max(left + 1, Int((Double(window.left + window.width) * s.x).rounded())))
    return (top, left, bottom - top, right - left)
  }
}

extension Tensor {
  /// The `height × width` window of every channel with its top-left at (`top`, `left`); the window must lie
  /// inside the tensor.
  public func window(top: Int, left: Int, height: Int, width: Int) -> Tensor {
    var out = Tensor(channels: channels, height: height, width: width)
    for c in 0 ..< channels {
      for y in 0 ..< height {
        let from = (c * self.height + top + y) * self.width + left
        out.data.replaceSubrange((c * height + y) * width ..< (c * height + y + 1) * width, with: data[from ..< from + width])
      }
    }
    return out
  }
}
