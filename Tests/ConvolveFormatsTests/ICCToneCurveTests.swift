import ConvolveCore
import ConvolveTestSupport
import Foundation
import Testing

@testable import ConvolveFormats

/// The tone curve `--linear` decodes with, from the photo's ICC profile.
@Suite struct ICCToneCurveTests {
  /// A minimal profile: a 128-byte header naming `space`, then a tag table of `tags` (signature, data).
  func profile(_ space: String, _ tags: [(String, [UInt8])]) -> [UInt8] {
    var header = [UInt8](repeating: 0, count: 128)
    header.replaceSubrange(16 ..< 20, with: Array(space.padding(toLength: 4, withPad: " ", startingAt: 0).utf8))
    func be32(_ v: Int) -> [UInt8] { [24, 16, 8, 0].map { UInt8((v >> $0) & 0xff) } }
    var table = be32(tags.count), data: [UInt8] = []
    let start = 128 + 4 + 12 * tags.count
    for (name, bytes) in tags {
      table += Array(name.utf8) + be32(start + data.count) + be32(bytes.count)
      data += bytes
    }
    return header + table + data
  }

  func curv(_ values: [UInt16]) -> [UInt8] {
    Array("curv".utf8) + [0, 0, 0, 0] + [24, 16, 8, 0].map { UInt8((values.count >> $0) & 0xff) }
      + values.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
  }

  func para(_ function: UInt16, _ parameters: [Double]) -> [UInt8] {
    Array("para".utf8) + [0, 0, 0, 0, UInt8(function >> 8), UInt8(function & 0xff), 0, 0]
      + parameters.flatMap { p -> [UInt8] in
        let v = UInt32(bitPattern: Int32((p * 65536).rounded()))
        return [24, 16, 8, 0].map { UInt8((v >> $0) & 0xff) }
      }
  }

  func rgb(_ curve: [UInt8]) -> ImageMetadata {
    ImageMetadata(iccProfile: profile("RGB", [("rTRC", curve), ("gTRC", curve), ("bTRC", curve)]))
  }

  @Test func adobeRGBDecodesWithItsGamma() throws {
    let icc = try [UInt8](Data(contentsOf: fixtureURL("metadata/adobe-rgb.icc")))
    let (curve, note) = ImageMetadata(iccProfile: icc).linearLightCurve
    #expect(curve == .gamma(563.0 / 256) && note == nil)  // curv with one entry, 0x0233
  }

  @Test func sRGBLikeCurvesAreUsedAndOthersFallBackWithANote() throws {
    #expect(ImageMetadata().linearLightCurve.curve == .srgb && ImageMetadata().linearLightCurve.note == nil)
    #expect(rgb(curv([])).linearLightCurve.curve == .gamma(1))
    #expect(rgb(curv([0x01CD])).linearLightCurve.curve == .gamma(461.0 / 256))  // ProPhoto's 1.8
    let srgbParameters = [2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045]
    guard case .parametric(let g, let a, let b, let c, let d) = rgb(para(3, srgbParameters)).linearLightCurve.curve else {
      Issue.record("a type 3 curve is parametric")
      return
    }
    for (value, expected) in zip([g, a, b, c, d], srgbParameters) { #expect(abs(Double(value) - expected) < 1e-4) }
    #expect(rgb(para(4, srgbParameters + [0, 0])).linearLightCurve.note == nil)
    // sRGB as a 1024-entry table (as many camera profiles store it) is sRGB.
    let table = (0 ..< 1024).map { UInt16((ToneCurve.srgb.decode(Float($0) / 1023) * 65535).rounded()) }
    #expect(rgb(curv(table)).linearLightCurve == (.srgb, nil))
    let gray = ImageMetadata(iccProfile: profile("GRAY", [("kTRC", curv([0x0233]))]))
    #expect(gray.linearLightCurve.curve == .gamma(563.0 / 256))

    let notes = [
      rgb(curv([0, 40000, 30000, 65535])),  // a table that falls
      ImageMetadata(iccProfile: profile("RGB", [("rTRC", curv([0x0233])), ("gTRC", curv([0x01CD])), ("bTRC", curv([0x0233]))])),
      ImageMetadata(iccProfile: profile("CMYK", [])),
      ImageMetadata(iccProfile: profile("RGB", [("rXYZ", [UInt8](repeating: 0, count: 20))])),
    ].map(\.linearLightCurve)
    for (curve, note) in notes {
      #expect(curve == .srgb && note?.hasPrefix("--linear: ") == true && note?.hasSuffix("the sRGB curve is used") == true)
    }
  }

  /// Tables other than sRGB's, and parametric curves with offsets, are used as the profile gives them.
  @Test func tablesAndOffsetCurvesAreTheProfilesOwn() throws {
    let gamma18 = (0 ..< 1024).map { UInt16((pow(Double($0) / 1023, 1.8) * 65535).rounded()) }
    let (curve, note) = rgb(curv(gamma18)).linearLightCurve
    guard case .table(let t) = curve, note == nil else {
      Issue.record("a gamma 1.8 table is a table curve, got \(curve) \(note ?? "")")
      return
    }
    #expect(t.count == 1024)
    for i in 0 ... 200 {
      let v = Float(i) / 200
      #expect(abs(curve.decode(v) - pow(v, 1.8)) < 2e-4, "decode(\(v))")
      #expect(abs(curve.encode(curve.decode(v)) - v) < 1e-4, "encode(decode(\(v)))")
    }
    #expect(abs(curve.decode(-0.5) + curve.decode(0.5)) < 1e-7)  // odd, as the other curves
    #expect(curve.decode(1.1) > 1 && abs(curve.encode(curve.decode(1.1)) - 1.1) < 1e-4)  // past the table: the end segment

    let linear = rgb(curv((0 ..< 256).map { UInt16($0 * 257) })).linearLightCurve
    #expect(linear.note == nil && abs(linear.curve.decode(0.3) - 0.3) < 1e-6)
    // Type 1: (a x + b)^g from -b/a on, 0 below.
    let type1 = rgb(para(1, [2.2, 1.5, -0.5])).linearLightCurve
    #expect(type1.note == nil && type1.curve.decode(0.2) == 0)
    #expect(abs(type1.curve.decode(0.8) - Float(pow(1.5 * 0.8 - 0.5, 2.2))) < 1e-3)
    // Type 4 with offsets: (a x + b)^g + e from d on, c x + f below.
    let type4 = rgb(para(4, [2.4, 0.9, 0.1, 0.2, 0.1, 0.01, 0.008])).linearLightCurve
    #expect(type4.note == nil)
    #expect(abs(type4.curve.decode(0.05) - (0.2 * 0.05 + 0.008)) < 1e-3)
    #expect(abs(type4.curve.decode(0.7) - Float(pow(0.9 * 0.7 + 0.1, 2.4) + 0.01)) < 1e-3)
  }
}

private func == (a: (ToneCurve, String?), b: (ToneCurve, String?)) -> Bool { a.0 == b.0 && a.1 == b.1 }
