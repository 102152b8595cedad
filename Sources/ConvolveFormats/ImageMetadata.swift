import CCodecs
import ConvolveCore
import Foundation

/// What a photo carries besides its pixels and is written back to an output that keeps it: the ICC colour
/// profile and the EXIF data (as the TIFF structure inside a JPEG APP1 "Exif" segment or a PNG eXIf chunk).
public struct ImageMetadata: Equatable, Sendable {
  /// The ICC profile, as stored.
  public var iccProfile: [UInt8]?
  /// The EXIF TIFF structure, starting with "II*\0" or "MM\0*".
  public var exif: [UInt8]?

  public init(iccProfile: [UInt8]? = nil, exif: [UInt8]? = nil) {
    self.iccProfile = iccProfile
    self.exif = exif
  }

  public static let none = ImageMetadata()

  public var isEmpty: Bool { iccProfile == nil && exif == nil }

  /// The EXIF orientation tag, 1...8; nil when there is no EXIF or no valid tag.
  public var exifOrientation: Int? {
    guard let exif else { return nil }
    let value = exif.withUnsafeBufferPointer { Int(ccodecs_exif_orientation($0.baseAddress, $0.count)) }
    return value == 0 ? nil : value
  }

  /// A copy whose EXIF orientation tag says `orientation`; unchanged when the EXIF has no such tag.
  public func settingOrientation(_ orientation: Int) -> ImageMetadata {
    guard var bytes = exif else { return self }
    _ = bytes.withUnsafeMutableBufferPointer { ccodecs_exif_set_orientation($0.baseAddress, $0.count, Int32(orientation)) }
    var copy = self
    copy.exif = bytes
    return copy
  }

  /// The name an ICC profile gives itself (its `desc` tag: ASCII in version 2, the first UTF-16 record of `mluc`
  /// in version 4), nil when it has none.
  public static func iccDescription(_ icc: [UInt8]) -> String? {
    guard let tag = ICCReader(bytes: icc).tag("desc") else { return nil }
    let type = String(decoding: tag.prefix(4), as: UTF8.self)
    if type == "desc", let count = ICCReader.u32(tag, 8), count > 0, 12 + Int(count) <= tag.count {
      let start = tag.startIndex + 12
      return String(decoding: tag[start ..< start + Int(count)].prefix { $0 != 0 }, as: UTF8.self)
    }
    guard type == "mluc", let records = ICCReader.u32(tag, 8), records > 0, let length = ICCReader.u32(tag, 20),
      let offset = ICCReader.u32(tag, 24), Int(offset) + Int(length) <= tag.count
    else { return nil }
    let start = tag.startIndex + Int(offset)
    let units = stride(from: 0, to: Int(length) - 1, by: 2).map { UInt16(tag[start + $0]) << 8 | UInt16(tag[start + $0 + 1]) }
    return String(decoding: units, as: UTF16.self)
  }

  /// The colour space an ICC profile describes (header bytes 16...19: "RGB ", "GRAY", "CMYK", ...), trimmed.
  public var iccColorSpace: String? {
    guard let icc = iccProfile, icc.count >= 128 else { return nil }
    return String(decoding: icc[16 ..< 20], as: UTF8.self).trimmingCharacters(in: .whitespaces)
  }

  /// What can be written with an image of `channels` channels in `format`, and a note for each part left out:
  /// a profile whose colour space is not the output's (a CMYK JPEG's profile on the RGB it decodes to, an RGB
  /// profile on a gray result), EXIF too large for the format (a JPEG segment), a part the format does not keep.
  public func fitted(channels: Int, format: ImageFormat) -> (metadata: ImageMetadata, notes: [String]) {
    let can = format.capabilities
    var kept = self
    var notes: [String] = []
    if iccProfile != nil && !can.icc {
      kept.iccProfile = nil
      notes.append("\(can.label) keeps no ICC profile; written without the input's")
    } else if iccProfile != nil {
      let written = can.storedChannels(channels)
      let wanted = written <= 2 ? "GRAY" : "RGB"
      if let space = iccColorSpace, space != wanted {
        kept.iccProfile = nil
        notes.append("the input's \(space) ICC profile does not fit a \(wanted == "GRAY" ? "gray" : "colour") output; written without a profile")
      } else if iccColorSpace == nil {
        kept.iccProfile = nil
        notes.append("the input's ICC profile is too short to be valid; written without it")
      }
    }
    if exif != nil && !can.exif {
      kept.exif = nil
      notes.append("\(can.label) keeps no EXIF; written without the input's")
    } else if let exif, let limit = can.exifLimit, exif.count > limit {
      kept.exif = nil
      notes.append("the input's EXIF (\(exif.count) bytes) does not fit in a \(can.label) segment (\(limit) bytes at most); written without it")
    }
    return (kept, notes)
  }
}
