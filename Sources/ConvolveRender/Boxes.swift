import ConvolveCore

/// One box to draw: its corners in the photo's pixels (x to the right, y down; any order), the text of its
/// label and which colour of the palette it takes (a class number: one colour per class).
public struct LabeledBox: Equatable, Sendable {
  public var x0: Float, y0: Float, x1: Float, y1: Float
  public var text: String
  public var colorIndex: Int

  public init(x0: Float, y0: Float, x1: Float, y1: Float, text: String, colorIndex: Int) {
    (self.x0, self.y0, self.x1, self.y1) = (x0, y0, x1, y1)
    self.text = text
    self.colorIndex = colorIndex
  }
}

/// Twelve colours that stay apart on photos (Tableau's, then brighter ones), as RGB in [0, 1].
let boxPalette: [(Float, Float, Float)] = [
  (0.12, 0.47, 0.71), (1.00, 0.50, 0.05), (0.17, 0.63, 0.17), (0.84, 0.15, 0.16), (0.58, 0.40, 0.74),
  (0.55, 0.34, 0.29), (0.89, 0.47, 0.76), (0.50, 0.50, 0.50), (0.74, 0.74, 0.13), (0.09, 0.75, 0.81),
  (1.00, 0.90, 0.00), (0.00, 1.00, 0.60),
]

/// `photo` (1 or 3 channels, values in [0, 1]) as RGB with each box's outline drawn in its class colour and its
/// label above its top-left corner (inside the box when there is no room above) in white on that colour. Line
/// width and text size grow with the photo (about 1/300 of its larger side). Boxes are drawn in the order
/// given, so put the strongest last to have it on top. Parts outside the photo are clipped.
public func drawBoxes(_ boxes: [LabeledBox], on photo: Tensor) throws -> Tensor {
  guard photo.channels == 1 || photo.channels == 3 else {
    throw ConvolveError.shapeMismatch("boxes are drawn on a 1- or 3-channel photo, got \(photo.channels) channels")
  }
  let (h, w) = (photo.height, photo.width)
  var out = photo.channels == 3 ? photo : Tensor(channels: 3, height: h, width: w, data: photo.data + photo.data + photo.data)
  guard h > 0, w > 0 else { return out }
  let line = max(1, max(h, w) / 300), scale = max(1, max(h, w) / 400)
  out.data.withUnsafeMutableBufferPointer { image in
    func fill(_ top: Int, _ left: Int, _ bottom: Int, _ right: Int, _ color: (Float, Float, Float)) {
      let (t, l, b, r) = (max(top, 0), max(left, 0), min(bottom, h), min(right, w))
      guard t < b, l < r else { return }
      for (c, v) in [color.0, color.1, color.2].enumerated() {
        for y in t ..< b { for x in l ..< r { image[(c * h + y) * w + x] = v } }
      }
    }
    for box in boxes {
      guard [box.x0, box.y0, box.x1, box.y1].allSatisfy({ $0.isFinite && abs($0) < 1e7 }) else { continue }
      let left = Int(min(box.x0, box.x1).rounded(.down)), right = Int(max(box.x0, box.x1).rounded(.up))
      let top = Int(min(box.y0, box.y1).rounded(.down)), bottom = Int(max(box.y0, box.y1).rounded(.up))
      let color = boxPalette[((box.colorIndex % boxPalette.count) + boxPalette.count) % boxPalette.count]
      fill(top, left, top + line, right, color)
      fill(bottom - line, left, bottom, right, color)
      fill(top, left, bottom, left + line, color)
      fill(top, right - line, bottom, right, color)
      guard !box.text.isEmpty else { continue }
      let textHeight = (TinyFont.glyphHeight + 2) * scale, textWidth = (TinyFont.width(of: box.text) + 2) * scale
      let labelTop = top - textHeight >= 0 ? top - textHeight : top + line
      let labelLeft = max(0, min(left, w - textWidth))
      fill(labelTop, labelLeft, labelTop + textHeight, labelLeft + textWidth, color)
      TinyFont.draw(
        box.text, into: image, channels: 3, imageHeight: h, imageWidth: w,
        clip: (top: labelTop + scale, left: labelLeft + scale, bottom: min(h, labelTop + textHeight), right: min(w, labelLeft + textWidth)),
        value: 1, scale: scale)
    }
  }
  return out
}
