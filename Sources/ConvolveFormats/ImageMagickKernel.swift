import ConvolveCore
import Foundation

/// ImageMagick's user-defined kernel strings, as `-morphology Convolve` and `-define convolve:...` read them
/// (MagickCore/morphology.c, `ParseKernelArray`):
///
///     "WxH[+X+Y]: v, v, v ..."     W*H values, row by row; origin at +X+Y (+0+0 is the top left)
///     "W: v, v, ..."               a W x W square
///
/// Values are separated by commas and/or white space; `nan` or `-` marks a position that is not part of the
/// kernel (it weighs nothing). Exactly W*H values are needed, as ImageMagick requires. Without `+X+Y` the
/// origin is the centre, or just above/left of it for an even size (`(W-1)/2`, `(H-1)/2`).
///
/// ImageMagick applies `Convolve` with the kernel reflected about its origin and `Correlate` unreflected; the
/// kernel returned here is zero-padded so that the origin is its centre (a 2x2 kernel becomes 3x3 with its
/// first row and column 0), which gives ImageMagick's alignment for both, through convolve's own default
/// (convolution) and `--correlate`.
///
/// Not accepted, each with its own message: the rotation-expanded lists (`@`, `^`, `<`, `>` after the size),
/// lists of several kernels (`;`), built-in kernel names (`Gaussian:0x2`, `Sobel`), a `!` or `%` scale in the
/// size. The old-style list of an odd square number of values without a size (`-convolve "1,1,1,1,1,1,1,1,1"`)
/// is refused by `parseKernelArgument`, because convolve reads it as one row.
public func parseImageMagickKernel(_ text: String) throws -> Kernel {
  func fail(_ message: String) -> ConvolveError {
    ConvolveError.invalidArgument("ImageMagick kernel \"\(text)\": \(message)")
  }
  // ImageMagick skips quote characters around the kernel (for -convolve usage).
  var body = text.replacingOccurrences(of: "'", with: "")
  if let semicolon = body.firstIndex(of: ";") {
    let rest = body[body.index(after: semicolon)...]
    guard rest.allSatisfy({ $0 == ";" || $0.isWhitespace }) else {
      throw fail("lists of several kernels (separated by ';') are not supported; give one kernel and run convolve once per kernel")
    }
    body = String(body[..<semicolon])
  }
  guard let colon = body.firstIndex(of: ":") else {
    throw fail("needs a size and a colon before the values, like \"3x3: -1,-1,-1,-1,8,-1,-1,-1,-1\" or \"3: ...\"")
  }
  let geometry = body[..<colon].trimmingCharacters(in: .whitespaces)
  if let first = geometry.first, first.isLetter, !geometry.lowercased().hasPrefix("x") {
    throw fail(
      "ImageMagick's built-in kernels (\(geometry):...) are not supported; use a library filter instead "
        + "(--filter gaussian --sigma S, --filter sobel, ...; `convolve filters` lists them) or write the values out")
  }
  let size = try parseGeometry(geometry, fail: fail)

  // Values: separated by ',' and/or white space; "nan" or "-" is a position outside the kernel.
  var values: [Float] = []
  let pieces = body[body.index(after: colon)...].split(separator: ",", omittingEmptySubsequences: false)
  for (p, piece) in pieces.enumerated() {
    let tokens = piece.split(whereSeparator: \.isWhitespace)
    if tokens.isEmpty {
      if pieces.count == 1 { break }
      throw fail("empty value after value \(values.count) (\(p == pieces.count - 1 ? "a ',' at the end" : "two ',' in a row")?)")
    }
    for token in tokens {
      if token.lowercased() == "nan" || token == "-" {
        values.append(.nan)
        continue
      }
      guard let value = parseNumber(String(token)) else {
        throw fail("value \(values.count + 1), \"\(token)\", is not a number (write values like 2, -0.5 or 1/16, or nan or - for a position outside the kernel)")
      }
      guard value.isFinite else { throw fail("value \(values.count + 1), \"\(token)\", is not finite (division by zero?)") }
      values.append(value)
    }
  }
  guard let needed = CheckedSize.product([size.width, size.height]), needed == values.count else {
    throw fail(
      "a \(size.width)x\(size.height) kernel needs \(size.width) x \(size.height) = "
        + "\(CheckedSize.product([size.width, size.height]).map(String.init) ?? "too many") values, got \(values.count)")
  }
  guard values.contains(where: { !$0.isNaN }) else {
    throw fail("every value is nan or -; give at least one number")
  }
  let weights = values.map { $0.isNaN ? 0 : $0 }
  return centredOnOrigin(
    Kernel(height: size.height, width: size.width, weights: weights), originX: size.originX, originY: size.originY)
}

private struct IMGeometry {
  var width: Int, height: Int, originX: Int, originY: Int
}

/// `W`, `WxH`, `xH`, each optionally followed by `+X+Y`; flags that ImageMagick turns into kernel lists are
/// refused by name.
private func parseGeometry(_ geometry: String, fail: (String) -> ConvolveError) throws -> IMGeometry {
  let flags: [(Character, String)] = [
    ("@", "'@' (expand a 3x3 kernel by 45-degree rotations) makes a list of kernels"),
    ("^", "'^' (expand by 90-degree rotations) makes a list of kernels"),
    ("<", "'<' (mirror expansion) makes a list of kernels"),
    (">", "'>' (rotation expansion) makes a list of kernels"),
    ("!", "'!' is a scaling flag, not part of a kernel size"),
    ("%", "'%' is a scaling flag, not part of a kernel size"),
  ]
  for (flag, meaning) in flags where geometry.contains(flag) {
    throw fail("\(meaning), which convolve does not support; give a single kernel as WxH[+X+Y]: values")
  }
  let usage = "the size \"\(geometry)\" is not W, WxH or WxH+X+Y (e.g. 3x3, 5, 5x3+2+1)"
  var text = Substring(geometry.replacingOccurrences(of: " ", with: "").lowercased())
  func integer() -> Int? {
    let digits = text.prefix(while: \.isNumber)
    guard !digits.isEmpty else { return nil }
    text = text.dropFirst(digits.count)
    return Int(digits) ?? Int.max
  }
  var width = integer()
  var height: Int?
  if text.first == "x" {
    text = text.dropFirst()
    guard let h = integer() else { throw fail(usage) }
    height = h
  }
  var origin: [Int] = []
  while let sign = text.first, sign == "+" || sign == "-" {
    text = text.dropFirst()
    guard let value = integer() else { throw fail(usage) }
    if sign == "-" {
      throw fail("the origin offset -\(value) is negative; +0+0 is the top-left value, +X+Y counts right and down")
    }
    origin.append(value)
  }
  guard text.isEmpty, origin.count <= 2, width != nil || height != nil else { throw fail(usage) }
  width = width ?? height
  height = height ?? width
  guard let w = width, let h = height, w >= 1, h >= 1 else {
    throw fail("the kernel size \(geometry) has a zero side; width and height must be at least 1")
  }
  let ox = origin.count > 0 ? origin[0] : (w - 1) / 2
  let oy = origin.count > 1 ? origin[1] : (h - 1) / 2
  guard ox < w, oy < h else {
    throw fail("the origin +\(ox)+\(oy) is outside the \(w)x\(h) kernel (+0+0 is the top left, +\(w - 1)+\(h - 1) the bottom right)")
  }
  return IMGeometry(width: w, height: h, originX: ox, originY: oy)
}

/// `kernel` padded with zero rows and columns so that (originY, originX) becomes its exact centre; unchanged
/// when it already is (odd sizes, default origin).
func centredOnOrigin(_ kernel: Kernel, originX: Int, originY: Int) -> Kernel {
  let halfX = max(originX, kernel.width - 1 - originX)
  let halfY = max(originY, kernel.height - 1 - originY)
  let (left, top) = (halfX - originX, halfY - originY)
  let (width, height) = (2 * halfX + 1, 2 * halfY + 1)
  if width == kernel.width && height == kernel.height { return kernel }
  var weights = [Float](repeating: 0, count: width * height)
  for y in 0 ..< kernel.height {
    for x in 0 ..< kernel.width {
      weights[(y + top) * width + x + left] = kernel[y, x]
    }
  }
  return Kernel(height: height, width: width, weights: weights)
}
