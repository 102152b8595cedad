import ConvolveCore
import Foundation

extension ImageMetadata {
  /// The tone curve to filter a photo in linear light with (`--linear`): sRGB without a profile; the profile's
  /// curve when it is sRGB-like (one curve for every channel: a pure power such as Adobe RGB's 2.2, an ICC
  /// parametric curve of type 0, 3 or 4 without offsets, or a table within 0.5% of sRGB's); otherwise sRGB,
  /// with a note saying why.
  public var linearLightCurve: (curve: ToneCurve, note: String?) {
    guard let icc = iccProfile else { return (.srgb, nil) }
    func fallback(_ why: String) -> (ToneCurve, String?) { (.srgb, "--linear: \(why); the sRGB curve is used") }
    guard let space = iccColorSpace, space == "RGB" || space == "GRAY" else {
      return fallback("the ICC profile is not an RGB or gray profile")
    }
    let names = space == "RGB" ? ["rTRC", "gTRC", "bTRC"] : ["kTRC"]
    let tags = names.map { ICCReader(bytes: icc).tag($0) }
    guard let first = tags[0], tags.allSatisfy({ $0 == first }) else {
      return fallback(tags.contains(nil) ? "the ICC profile has no tone curve" : "the ICC profile's channels have different tone curves")
    }
    switch ICCReader.curve(first) {
    case .curve(let curve)?: return (curve, nil)
    case .table(let values)?:
      let n = values.count
      let worst = values.enumerated().map { i, v in abs(v - ToneCurve.srgb.decode(Float(i) / Float(n - 1))) }.max() ?? 1
      if worst < 0.005 { return (.srgb, nil) }
      guard zip(values, values.dropFirst()).allSatisfy({ $0 <= $1 }) else {
        return fallback("the ICC profile's tone curve is a table that falls")
      }
      return (.table(values), nil)
    case .unsupported(let what)?: return fallback("the ICC profile's tone curve is \(what)")
    case nil: return fallback("the ICC profile's tone curve cannot be read")
    }
  }
}

/// Reads tags and curves of an ICC profile (ICC.1:2010 §7, §10.6 `curv`, §10.18 `para`); big-endian throughout.
struct ICCReader {
  let bytes: [UInt8]

  enum Curve {
    case curve(ToneCurve)
    case table([Float])
    case unsupported(String)
  }

  static func u32(_ b: ArraySlice<UInt8>, _ at: Int) -> UInt32? {
    let i = b.startIndex + at
    guard at >= 0, i + 4 <= b.endIndex else { return nil }
    return UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
  }

  static func u16(_ b: ArraySlice<UInt8>, _ at: Int) -> UInt16? {
    let i = b.startIndex + at
    guard at >= 0, i + 2 <= b.endIndex else { return nil }
    return UInt16(b[i]) << 8 | UInt16(b[i + 1])
  }

  /// The bytes of the tag with signature `name`, from the tag table after the 128-byte header.
  func tag(_ name: String) -> ArraySlice<UInt8>? {
    let all = bytes[...]
    guard let count = Self.u32(all, 128), count < 1000 else { return nil }
    let signature = Array(name.utf8)
    for k in 0 ..< Int(count) {
      let entry = 132 + 12 * k
      guard entry + 12 <= bytes.count else { return nil }
      guard Array(bytes[entry ..< entry + 4]) == signature,
        let offset = Self.u32(all, entry + 4).map(Int.init), let size = Self.u32(all, entry + 8).map(Int.init),
        offset >= 0, size >= 12, offset <= bytes.count - size
      else { continue }
      return bytes[offset ..< offset + size]
    }
    return nil
  }

  static func curve(_ tag: ArraySlice<UInt8>) -> Curve? {
    let type = String(decoding: tag.prefix(4), as: UTF8.self)
    if type == "curv" {
      guard let count = u32(tag, 8) else { return nil }
      switch count {
      case 0: return .curve(.gamma(1))
      case 1: return u16(tag, 12).map { .curve(.gamma(Float($0) / 256)) }
      default:
        guard count <= 65536, 12 + 2 * Int(count) <= tag.count else { return nil }
        return .table((0 ..< Int(count)).map { Float(u16(tag, 12 + 2 * $0)!) / 65535 })
      }
    }
    guard type == "para", let function = u16(tag, 8) else { return type.isEmpty ? nil : .unsupported("of type '\(type)'") }
    let counts: [UInt16: Int] = [0: 1, 1: 3, 2: 4, 3: 5, 4: 7]
    guard let n = counts[function], 12 + 4 * n <= tag.count else { return .unsupported("parametric of type \(function)") }
    let p = (0 ..< n).map { Float(Int32(bitPattern: u32(tag, 12 + 4 * $0)!)) / 65536 }
    switch function {
    case 0: return .curve(.gamma(p[0]))
    case 3: return .curve(.parametric(g: p[0], a: p[1], b: p[2], c: p[3], d: p[4]))
    case 4 where p[5] == 0 && p[6] == 0: return .curve(.parametric(g: p[0], a: p[1], b: p[2], c: p[3], d: p[4]))
    default:
      // Types 1, 2 and 4 with offsets (ICC.1:2010 table 68), sampled as a table of 4096 values.
      let (g, a, b) = (p[0], p[1], p[2])
      let f: (Float) -> Float
      switch function {
      case 1: f = { x in x >= -b / a ? pow(Swift.max(a * x + b, 0), g) : 0 }
      case 2: f = { x in x >= -b / a ? pow(Swift.max(a * x + b, 0), g) + p[3] : p[3] }
      default: f = { x in x >= p[4] ? pow(Swift.max(a * x + b, 0), g) + p[5] : p[3] * x + p[6] }
      }
      guard a != 0 || function == 4 else { return .unsupported("parametric of type \(function) with a = 0") }
      return .table((0 ..< 4096).map { f(Float($0) / 4095) })
    }
  }
}
