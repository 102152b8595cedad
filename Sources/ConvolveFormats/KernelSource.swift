import ConvolveCore
import Foundation

/// A kernel given on the command line, in any of the syntaxes convolve reads.
public enum KernelSource: Equatable, Sendable {
  /// A plain weight matrix, with the output offset a libvips matrix carries (0 for every other syntax).
  case matrix(KernelMatrix)
  /// A filter file in the library's JSON format.
  case filter(FilterDefinition)
}

/// A weight matrix and where it came from.
public struct KernelMatrix: Equatable, Sendable {
  public enum Syntax: String, Sendable {
    case rows, imageMagick = "ImageMagick", vipsMatrix = "libvips matrix", textFile = "text matrix", npy = ".npy"
  }
  public var kernel: Kernel
  /// Added to every output value (libvips `offset`), in libvips's units: 0...255 for 8-bit images.
  public var offset: Float
  public var syntax: Syntax

  public init(kernel: Kernel, offset: Float = 0, syntax: Syntax) {
    (self.kernel, self.offset, self.syntax) = (kernel, offset, syntax)
  }
}

/// The kernel syntaxes, for messages and help.
public let kernelSyntaxSummary = """
  rows "1,2,1;2,4,2;1,2,1" (',' or spaces between values, ';' between rows, fractions like 1/16); \
  NumPy's lists "[[1,2,1],[2,4,2],[1,2,1]]"; \
  ImageMagick "3x3: -1,-1,-1,-1,8,-1,-1,-1,-1", "3: ..." or "5x3+2+1: ..." (origin); \
  or a file: .txt (one row per line), .mat (libvips: a line "W H [scale offset]", then the rows), \
  .npy (a 2-D array), .json (a filter file, see Filters/README.md)
  """

/// Reads `--kernel TEXT`: a file when TEXT ends in .txt, .mat, .npy or .json; ImageMagick's syntax when it has
/// a ':'; otherwise convolve's rows. Text in none of these forms is refused with the list of forms.
///
/// An odd square number (9, 25, ...) of values with no ';' is refused: convolve's rows read it as one row,
/// ImageMagick's old-style `-convolve` list as a square, and guessing either would silently give the wrong
/// filter. `"3x3: ..."` gives the square, a trailing ';' the row.
public func parseKernelArgument(_ text: String) throws -> KernelSource {
  let trimmed = text.trimmingCharacters(in: .whitespaces)
  if kernelFileExtension(trimmed) != nil { return try readKernelFile(trimmed) }
  if trimmed.contains(":") {
    return .matrix(KernelMatrix(kernel: try parseImageMagickKernel(trimmed), syntax: .imageMagick))
  }
  let looksLikeRows = trimmed.contains(where: \.isNumber) && trimmed.contains(where: { ",; \t".contains($0) })
  let kernel: Kernel
  do {
    kernel = try parseInlineKernel(trimmed)
  } catch let error as ConvolveError where !looksLikeRows {
    _ = error
    throw unknownKernelSyntax(trimmed)
  }
  // A NumPy list in brackets says where its rows are.
  if !trimmed.contains(";"), !trimmed.hasPrefix("["), kernel.height == 1, kernel.width >= 9 {
    let side = Int(Double(kernel.width).squareRoot().rounded())
    if side * side == kernel.width && side % 2 == 1 {
      throw ConvolveError.invalidArgument(
        "kernel \"\(text)\": \(kernel.width) values and no ';' could be one row of \(kernel.width) (convolve's rows) "
          + "or a \(side)x\(side) square (ImageMagick's old-style -convolve list); write \"\(side)x\(side): \(trimmed)\" "
          + "for the square, or end with ';' for one row")
    }
  }
  return .matrix(KernelMatrix(kernel: kernel, syntax: .rows))
}

/// Reads `--kernel-file PATH`: .json is a filter file, .npy a 2-D array, .mat a libvips matrix, .txt a libvips
/// matrix when it starts with one (else one row per line, `#` comments allowed, or an ImageMagick string). Other
/// extensions are recognised by their content.
public func readKernelFile(_ path: String) throws -> KernelSource {
  switch kernelFileExtension(path) {
  case "json": return .filter(try FilterDefinition(contentsOf: path))
  case "npy": return .matrix(try npyKernel(path))
  case "mat":
    let m = try VipsMatrix(contentsOf: path)
    return .matrix(KernelMatrix(kernel: m.kernel, offset: m.offset, syntax: .vipsMatrix))
  default:
    let text = try readKernelText(path)
    if text.drop(while: \.isWhitespace).first == "{" {
      return .filter(try FilterDefinition(json: Data(text.utf8), path: path))
    }
    return .matrix(try textKernel(text, path: path))
  }
}

/// The lower-cased extension when it is one of the kernel file types.
private func kernelFileExtension(_ path: String) -> String? {
  let name = path.split(separator: "/").last ?? ""
  guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
  let ext = name[name.index(after: dot)...].lowercased()
  return ["txt", "mat", "npy", "json"].contains(ext) ? ext : nil
}

private func textKernel(_ text: String, path: String) throws -> KernelMatrix {
  if VipsMatrix.looksLikeMatrix(text) {
    let m = try VipsMatrix(text: text, path: path)
    return KernelMatrix(kernel: m.kernel, offset: m.offset, syntax: .vipsMatrix)
  }
  let lines = text.split(whereSeparator: \.isNewline)
    .map { line in line.prefix(while: { $0 != "#" }).trimmingCharacters(in: .whitespaces) }
    .filter { !$0.isEmpty }
  guard !lines.isEmpty else {
    throw ConvolveError.file(path: path, reason: "holds no numbers; write one kernel row per line, like 1 2 1")
  }
  let joined = lines.joined(separator: " ")
  if joined.contains(":") {
    do {
      return KernelMatrix(kernel: try parseImageMagickKernel(joined), syntax: .imageMagick)
    } catch ConvolveError.invalidArgument(let message) {
      throw ConvolveError.file(path: path, reason: message)
    }
  }
  let kernel = try parseKernelRows(lines.joined(separator: ";")) { reason in
    ConvolveError.file(
      path: path, reason: "\(reason) (rows are lines; a libvips matrix starts with a line \"W H [scale offset]\")")
  }
  return KernelMatrix(kernel: kernel, syntax: .textFile)
}

private func npyKernel(_ path: String) throws -> KernelMatrix {
  let array = try NPYArray.read(path: path)
  let ones = array.shape.dropLast(2)
  guard array.shape.count >= 2, ones.allSatisfy({ $0 == 1 }) else {
    throw ConvolveError.file(
      path: path,
      reason: "holds an array of shape \(array.shape); a kernel needs a 2-D (H, W) array (or 1 x ... x H x W)")
  }
  let (height, width) = (array.shape[array.shape.count - 2], array.shape[array.shape.count - 1])
  guard height > 0, width > 0 else { throw ConvolveError.file(path: path, reason: "holds an empty \(planeSizeText(height: height, width: width)) array") }
  if let bad = array.data.firstIndex(where: { !$0.isFinite }) {
    throw ConvolveError.file(
      path: path, reason: "value at row \(bad / width + 1), column \(bad % width + 1) is \(array.data[bad]), not a finite number")
  }
  return KernelMatrix(kernel: Kernel(height: height, width: width, weights: array.data), syntax: .npy)
}

private func unknownKernelSyntax(_ text: String) -> ConvolveError {
  let name = !text.isEmpty && text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" })
  let hint = name ? " (for the library filter '\(text)', use --filter \(text))" : ""
  return ConvolveError.invalidArgument(
    "kernel \"\(text)\" is in no syntax convolve reads\(hint). Write it as one of: \(kernelSyntaxSummary)")
}
