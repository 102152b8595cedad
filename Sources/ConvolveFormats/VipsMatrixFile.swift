import ConvolveCore
import Foundation

/// A libvips matrix file (`vips_matrixload`, usually `.mat`), as `vips conv` takes its mask:
///
///     W H [scale [offset]]
///     v v v ...      (H rows of W numbers)
///
/// Numbers are separated by any mix of spaces, commas, tabs and double quotes; scale must not be 0 (default
/// 1), offset defaults to 0. libvips computes `sum(pixel * mask) / scale + offset`, so the kernel here is the
/// values divided by scale, and `offset` is kept apart, in libvips's units (0...255 for 8-bit images).
/// As in libvips, numbers after the W-th on a row and lines after the H-th row are ignored; blank lines are
/// skipped.
public struct VipsMatrix: Equatable, Sendable {
  /// The values divided by scale.
  public var kernel: Kernel
  public var scale: Float
  public var offset: Float

  /// Parses the text of a matrix file; `path` names it in messages.
  public init(text: String, path: String) throws {
    func fail(_ reason: String) -> ConvolveError { .file(path: path, reason: reason) }
    let lines = text.split(whereSeparator: \.isNewline).enumerated()
      .map { (number: $0.offset + 1, fields: vipsFields($0.element)) }
      .filter { !$0.fields.isEmpty }
    let form = "a libvips matrix starts with a line \"W H [scale offset]\", then H rows of W numbers"
    guard let header = lines.first else { throw fail("is empty; \(form)") }
    guard (2 ... 4).contains(header.fields.count) else {
      throw fail("line \(header.number) has \(header.fields.count) numbers; \(form)")
    }
    guard let width = Int(header.fields[0]), let height = Int(header.fields[1]), width >= 1, height >= 1 else {
      throw fail(
        "line \(header.number): the width and height \"\(header.fields[0]) \(header.fields[1])\" must be positive "
          + "whole numbers; \(form)")
    }
    func number(_ field: String, _ what: String, line: Int) throws -> Float {
      guard let v = parseNumber(field), v.isFinite else {
        throw fail("line \(line): the \(what) \"\(field)\" is not a finite number")
      }
      return v
    }
    scale = header.fields.count > 2 ? try number(header.fields[2], "scale", line: header.number) : 1
    offset = header.fields.count > 3 ? try number(header.fields[3], "offset", line: header.number) : 0
    guard scale != 0 else { throw fail("line \(header.number): the scale is 0; it divides every value, so it must not be 0") }
    guard CheckedSize.product([width, height]) != nil else {
      throw fail("line \(header.number): a matrix of \(width) columns and \(height) rows is too large")
    }
    let rows = lines.dropFirst()
    guard rows.count >= height else {
      throw fail("the header says \(height) rows of \(width) numbers, the file has \(rows.count) rows after it")
    }
    var weights: [Float] = []
    for (r, row) in rows.prefix(height).enumerated() {
      guard row.fields.count >= width else {
        throw fail("line \(row.number) (row \(r + 1)) has \(row.fields.count) numbers; the header says \(width) per row")
      }
      for field in row.fields.prefix(width) {
        weights.append(try number(field, "value", line: row.number) / scale)
      }
    }
    guard weights.allSatisfy(\.isFinite) else { throw fail("a value divided by the scale \(scale) is not finite") }
    kernel = Kernel(height: height, width: width, weights: weights)
  }

  /// Reads and parses a matrix file.
  public init(contentsOf path: String) throws {
    self = try VipsMatrix(text: readKernelText(path), path: path)
  }

  /// Whether `text` has a libvips header: a first line of 2 to 4 numbers, the first two positive whole
  /// numbers, followed by at least H rows of at least W numbers, the first of which has a different count
  /// from the header (so a plain matrix whose rows happen to start with two integers is not taken for one).
  public static func looksLikeMatrix(_ text: String) -> Bool {
    let lines = text.split(whereSeparator: \.isNewline).map(vipsFields).filter { !$0.isEmpty }
    guard let header = lines.first, (2 ... 4).contains(header.count), let w = Int(header[0]), let h = Int(header[1]),
      w >= 1, h >= 1, lines.count > h, lines[1].count != header.count
    else { return false }
    return lines[1 ... h].allSatisfy { $0.count >= w }
  }
}

/// The numbers of one line: fields separated by spaces, commas, tabs and double quotes.
private func vipsFields(_ line: Substring) -> [String] {
  line.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" || $0 == "\"" || $0 == "\r" }).map(String.init)
}

/// The UTF-8 text of a kernel file, with a message naming the file when it cannot be read.
func readKernelText(_ path: String) throws -> String {
  let data = try readFileData(path)
  guard data.count <= 64 << 20 else {
    throw ConvolveError.file(path: path, reason: "is \(data.count) bytes; a kernel file must be under 64 MB")
  }
  guard let text = String(data: data, encoding: .utf8) else {
    throw ConvolveError.file(path: path, reason: "is not UTF-8 text")
  }
  return text
}
