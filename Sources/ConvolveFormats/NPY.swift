import ConvolveCore
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An n-dimensional array in NumPy's `.npy` format, held as Float32 in C order.
///
/// Reads format versions 1, 2 and 3 with little-endian `f4`, `f8` (converted to Float32), `f2`, `u1`/`i1`,
/// `u2`/`i2`, `u4`/`i4`, `u8`/`i8` and `b1` data; Fortran order, big-endian data and other dtypes are errors.
/// Writes `<f4` in version 1 (version 2 when the header needs it).
public struct NPYArray: Equatable, Sendable {
  public var shape: [Int]
  public var data: [Float]

  public init(shape: [Int], data: [Float]) throws {
    guard shape.allSatisfy({ $0 >= 0 }) else {
      throw ConvolveError.invalidArgument("array shape \(shape) has a negative dimension")
    }
    let count = try CheckedSize.count(shape, what: "array shape")
    guard count == data.count else {
      throw ConvolveError.shapeMismatch("array shape \(shape) holds \(count) values, got \(data.count)")
    }
    self.shape = shape
    self.data = data
  }

  /// Shape `[channels, height, width]`.
  public init(_ tensor: Tensor) {
    shape = [tensor.channels, tensor.height, tensor.width]
    data = tensor.data
  }

  /// A rank-3 array as `C × H × W`, or a rank-2 array as one channel.
  public func tensor() throws -> Tensor {
    switch shape.count {
    case 2: return Tensor(channels: 1, height: shape[0], width: shape[1], data: data)
    case 3: return Tensor(channels: shape[0], height: shape[1], width: shape[2], data: data)
    default:
      throw ConvolveError.shapeMismatch("an image needs a rank 2 (H, W) or 3 (C, H, W) array; the shape is \(shape)")
    }
  }

  /// Parses the bytes of a `.npy` file; `path` names it in errors.
  public init(npy bytes: Data, path: String = "<data>") throws {
    func fail(_ reason: String) -> ConvolveError { .file(path: path, reason: reason) }
    // The header as bytes (the data, possibly megabytes, is read in place below).
    var b = [UInt8](bytes.prefix(12))
    guard b.count >= 10, b[0] == 0x93, Array(b[1 ..< 6]) == Array("NUMPY".utf8) else {
      throw fail("not a .npy file (no \\x93NUMPY magic)")
    }
    let major = b[6]
    let headerStart: Int, headerLength: Int
    switch major {
    case 1:
      headerStart = 10
      headerLength = Int(b[8]) | Int(b[9]) << 8
    case 2, 3:
      guard b.count >= 12 else { throw fail("truncated .npy header") }
      headerStart = 12
      headerLength = (0 ..< 4).reduce(0) { $0 | Int(b[8 + $1]) << (8 * $1) }
    default:
      throw fail(".npy format version \(major).\(b[7]) is not supported (1, 2 and 3 are)")
    }
    guard bytes.count >= headerStart + headerLength else { throw fail("truncated .npy header") }
    b = [UInt8](bytes.prefix(headerStart + headerLength))
    let headerBytes = b[headerStart ..< headerStart + headerLength]
    guard let header = String(bytes: headerBytes, encoding: major == 3 ? .utf8 : .isoLatin1) else {
      throw fail("unreadable .npy header")
    }
    guard let descr = npyValue(header, "descr").flatMap(npyString) else {
      throw fail("the .npy header has no 'descr' string: \(header.trimmingCharacters(in: .whitespacesAndNewlines))")
    }
    guard let fortran = npyValue(header, "fortran_order") else { throw fail("the .npy header has no 'fortran_order'") }
    if fortran.hasPrefix("True") {
      throw fail(
        "Fortran-order (column-major) arrays are not supported (dtype '\(descr)'); save np.ascontiguousarray(a)")
    }
    guard let shapeText = npyValue(header, "shape"), let shape = npyShape(shapeText) else {
      throw fail("the .npy header has no readable 'shape'")
    }
    guard let type = NPYType(descr: descr) else {
      throw fail(
        "\(descr.hasPrefix(">") ? "big-endian " : "")dtype '\(descr)' is not supported; use little-endian float32 "
          + "('<f4') or float64 ('<f8'), or an integer type")
    }
    guard let count = CheckedSize.product(shape), let needed = CheckedSize.product([count, type.size]) else {
      throw fail("shape \(shape) is too large")
    }
    let start = headerStart + headerLength
    guard bytes.count - start >= needed else {
      throw fail("truncated data: shape \(shape) of '\(descr)' needs \(needed) bytes, the file has \(bytes.count - start)")
    }
    self.shape = shape
    if type.isFloat32 && 1.littleEndian == 1 {
      // Little-endian float32 on a little-endian machine: the bytes as they are.
      data = [Float](unsafeUninitializedCapacity: count) { buffer, n in
        bytes.withUnsafeBytes { raw in
          if count > 0 { UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: raw.baseAddress! + start, byteCount: needed) }
        }
        n = count
      }
    } else {
      data = bytes.withUnsafeBytes { raw in
        (0 ..< count).map { type.load(raw, start + $0 * type.size) }
      }
    }
  }

  /// Reads a `.npy` file; errors name the file.
  public static func read(path: String) throws -> NPYArray {
    try NPYArray(npy: try readFileData(path), path: path)
  }

  /// The `.npy` bytes, dtype `<f4`.
  public func npyData() -> Data {
    var out = Self.header(descr: "<f4", shape: shape)
    if UInt32(1).littleEndian == 1 {
      out.reserveCapacity(out.count + data.count * 4)
      data.withUnsafeBytes { out.append(contentsOf: $0) }
    } else {
      for v in data { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
    }
    return out
  }

  /// The `.npy` bytes of integers stored as `dtype` (`<i8`, `<i4`, `<i2`, `|i1`, `<u8`, `<u4`, `<u2`, `|u1`,
  /// `|b1`; each value wrapped to the type's width), so that integer outputs keep their type.
  public static func npyData(shape: [Int], int64s: [Int64], dtype: String = "<i8") -> Data {
    func bytes<T: FixedWidthInteger>(_: T.Type) -> Data {
      var out = header(descr: dtype, shape: shape)
      out.reserveCapacity(out.count + int64s.count * MemoryLayout<T>.size)
      for v in int64s { withUnsafeBytes(of: T(truncatingIfNeeded: v).littleEndian) { out.append(contentsOf: $0) } }
      return out
    }
    switch dtype {
    case "<i4": return bytes(Int32.self)
    case "<i2": return bytes(Int16.self)
    case "|i1": return bytes(Int8.self)
    case "<u8": return bytes(UInt64.self)
    case "<u4": return bytes(UInt32.self)
    case "<u2": return bytes(UInt16.self)
    case "|u1", "|b1": return bytes(UInt8.self)
    default: return bytes(Int64.self)
    }
  }

  /// The `.npy` bytes of numbers stored as `dtype` (`<f4`, `<f2` or `<f8`), so that float16 and double outputs
  /// keep their type.
  public static func npyData(shape: [Int], floats: [Float], dtype: String) -> Data {
    var out = header(descr: dtype, shape: shape)
    switch dtype {
    case "<f2": for v in floats { withUnsafeBytes(of: Float16(v).bitPattern.littleEndian) { out.append(contentsOf: $0) } }
    case "<f8": for v in floats { withUnsafeBytes(of: Double(v).bitPattern.littleEndian) { out.append(contentsOf: $0) } }
    default: return (try? NPYArray(shape: shape, data: floats))?.npyData() ?? out
    }
    return out
  }

  /// The magic, version and header of a `.npy` file, padded to a multiple of 64 bytes.
  private static func header(descr: String, shape: [Int]) -> Data {
    let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
    let version: UInt8 = header.utf8.count + 11 > 65535 ? 2 : 1
    let prefix = version == 1 ? 10 : 12
    let total = (prefix + header.utf8.count + 1 + 63) / 64 * 64
    header += String(repeating: " ", count: total - prefix - header.utf8.count - 1) + "\n"
    let length = header.utf8.count
    var out = Data([0x93] + Array("NUMPY".utf8) + [version, 0])
    if version == 1 {
      out.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
    } else {
      out.append(contentsOf: (0 ..< 4).map { UInt8((length >> (8 * $0)) & 0xff) })
    }
    out.append(contentsOf: Array(header.utf8))
    return out
  }

  /// Writes atomically (`AtomicFile`): a failed write leaves no partial file.
  public func write(path: String) throws {
    try AtomicFile.write(npyData(), to: path)
  }
}

private struct NPYType {
  let size: Int
  let load: (UnsafeRawBufferPointer, Int) -> Float
  /// Little-endian float32 (`<f4`, `f4`).
  var isFloat32 = false

  init?(descr: String) {
    var d = Substring(descr)
    if let order = d.first, "<|>=".contains(order) {
      d = d.dropFirst()
      if order == ">" && !["u1", "i1", "b1"].contains(d) { return nil }
    }
    func value<T: FixedWidthInteger>(_: T.Type, _ convert: @escaping (T) -> Float)
      -> (Int, (UnsafeRawBufferPointer, Int) -> Float)
    {
      (MemoryLayout<T>.size, { raw, o in convert(T(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: T.self))) })
    }
    switch d {
    case "f4":
      (size, load) = value(UInt32.self) { Float(bitPattern: $0) }
      isFloat32 = true
    case "f8": (size, load) = value(UInt64.self) { Float(Double(bitPattern: $0)) }
    case "f2": (size, load) = value(UInt16.self) { Float(Float16(bitPattern: $0)) }
    case "u1", "b1": (size, load) = value(UInt8.self) { Float($0) }
    case "i1": (size, load) = value(Int8.self) { Float($0) }
    case "u2": (size, load) = value(UInt16.self) { Float($0) }
    case "i2": (size, load) = value(Int16.self) { Float($0) }
    case "u4": (size, load) = value(UInt32.self) { Float($0) }
    case "i4": (size, load) = value(Int32.self) { Float($0) }
    case "u8": (size, load) = value(UInt64.self) { Float($0) }
    case "i8": (size, load) = value(Int64.self) { Float($0) }
    default: return nil
    }
  }
}

/// The text after `'key':` up to the next top-level comma or closing brace.
private func npyValue(_ header: String, _ key: String) -> String? {
  guard let range = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else { return nil }
  var rest = header[range.upperBound...].drop { $0 == " " }
  guard rest.first == ":" else { return nil }
  rest = rest.dropFirst().drop { $0 == " " }
  var depth = 0
  var end = rest.startIndex
  while end < rest.endIndex {
    let ch = rest[end]
    if ch == "(" || ch == "[" { depth += 1 }
    if ch == ")" || ch == "]" { depth -= 1 }
    if depth == 0 && (ch == "," || ch == "}") { break }
    end = rest.index(after: end)
  }
  return String(rest[..<end]).trimmingCharacters(in: .whitespaces)
}

private func npyString(_ value: String) -> String? {
  guard value.count >= 2, let q = value.first, q == "'" || q == "\"", value.last == q else { return nil }
  return String(value.dropFirst().dropLast())
}

private func npyShape(_ value: String) -> [Int]? {
  guard value.hasPrefix("("), value.hasSuffix(")") else { return nil }
  let items = value.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    .filter { !$0.isEmpty }
  let shape = items.compactMap { Int($0.hasSuffix("L") ? String($0.dropLast()) : $0) }
  return shape.count == items.count && shape.allSatisfy({ $0 >= 0 }) ? shape : nil
}
