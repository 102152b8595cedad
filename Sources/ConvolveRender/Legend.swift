import ConvolveCore
import Foundation

/// A strip `width` pixels wide holding one line of `text` in the montage font at `scale`, on `padValue`, in
/// ink 0 or 1 (whichever differs more from `padValue`); text past the right edge is cut.
public func textStrip(_ text: String, width: Int, scale: Int = 1, channels: Int = 1, padValue: Float = 1) -> Tensor {
  let height = MontageLayout.stripHeight(lines: 1, scale: scale)
  var out = Tensor(channels: channels, height: height, width: width, repeating: padValue)
  out.data.withUnsafeMutableBufferPointer { dst in
    TinyFont.draw(
      text, into: dst, channels: channels, imageHeight: height, imageWidth: width,
      clip: (scale, scale, height, width), value: padValue < 0.5 ? 1 : 0, scale: scale)
  }
  return out
}

/// A value-range legend `width` pixels wide: `low` text, a colour bar running through `colormap` from 0 at its
/// left to 1 at its right (framed in ink), then `high` text; one text line high at `scale`. Three channels,
/// or one for `gray`.
public func colorbar(
  width: Int, colormap: Colormap, low: String, high: String, scale: Int = 1, padValue: Float = 1
) -> Tensor {
  let height = MontageLayout.stripHeight(lines: 1, scale: scale) + 2 * scale
  let channels = colormap == .gray ? 1 : 3
  var out = Tensor(channels: channels, height: height, width: width, repeating: padValue)
  let ink: Float = padValue < 0.5 ? 1 : 0
  let lowWidth = TinyFont.width(of: low) * scale, highWidth = TinyFont.width(of: high) * scale
  // The bar sits between the two texts, with two glyph pixels of space on each side.
  let barLeft = scale + lowWidth + 2 * scale
  let barRight = width - scale - highWidth - 2 * scale
  let (barTop, barBottom) = (scale, height - scale)
  let textTop = (height - 5 * scale) / 2
  out.data.withUnsafeMutableBufferPointer { dst in
    TinyFont.draw(
      low, into: dst, channels: channels, imageHeight: height, imageWidth: width,
      clip: (textTop, scale, height, width), value: ink, scale: scale)
    TinyFont.draw(
      high, into: dst, channels: channels, imageHeight: height, imageWidth: width,
      clip: (textTop, width - scale - highWidth, height, width), value: ink, scale: scale)
    guard barRight - barLeft >= 3 else { return }
    for x in barLeft ..< barRight {
      let frame = x == barLeft || x == barRight - 1
      let color = colormap.color(at: Float(x - barLeft - 1) / Float(max(barRight - barLeft - 3, 1)))
      let rgb = [color.red, color.green, color.blue]
      for y in barTop ..< barBottom {
        let edge = frame || y == barTop || y == barBottom - 1
        for c in 0 ..< channels { dst[(c * height + y) * width + x] = edge ? ink : rgb[c] }
      }
    }
  }
  return out
}

/// `parts` stacked top to bottom, each as wide as the widest (filled with `padValue` on the right); one
/// channel if every part has one, else three (grey parts repeated into each).
public func stackedVertically(_ parts: [Tensor], padValue: Float = 1) -> Tensor {
  let width = parts.map(\.width).max() ?? 0
  let channels = parts.contains { $0.channels == 3 } ? 3 : 1
  let height = parts.reduce(0) { $0 + $1.height }
  var out = Tensor(channels: channels, height: height, width: width, repeating: padValue)
  var top = 0
  for part in parts {
    for c in 0 ..< channels {
      let from = part.channels == 1 ? 0 : c
      for y in 0 ..< part.height {
        for x in 0 ..< part.width { out.data[(c * height + top + y) * width + x] = part[from, y, x] }
      }
    }
    top += part.height
  }
  return out
}

/// A number for a legend, at most four significant digits: `0.0123`, `-1.5`, `1.2e+04`.
public func legendNumber(_ v: Float) -> String {
  guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
  if v == 0 { return "0" }
  return String(format: "%.3g", Double(v))
}
