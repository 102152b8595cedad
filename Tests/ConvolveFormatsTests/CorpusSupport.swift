import ConvolveCore
import ConvolveTestSupport
import Foundation

/// `../shared/corpora/<name>`, and whether its `MANIFEST.tsv` is there.
func corpusFolder(_ name: String) -> (url: URL, present: Bool) {
  let url = sharedFolder.appendingPathComponent("corpora").appendingPathComponent(name)
  return (url, FileManager.default.fileExists(atPath: url.appendingPathComponent("MANIFEST.tsv").path))
}

/// The rows of a tab-separated table with a header line, as dictionaries by column name.
func tsvRows(_ url: URL) throws -> [[String: String]] {
  let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
    $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
  }
  guard let header = lines.first else { return [] }
  return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
}

/// The samples of `tensor` interleaved (height, width, channel) as `bits`-bit integers: v * (2^bits - 1) rounded,
/// 16-bit ones little-endian; what a decoder's raw output holds.
func interleavedSamples(_ tensor: Tensor, bits: Int) -> [UInt8] {
  let scale: Float = bits == 16 ? 65535 : 255
  var bytes: [UInt8] = []
  bytes.reserveCapacity(tensor.data.count * bits / 8)
  for i in 0 ..< tensor.planeSize {
    for c in 0 ..< tensor.channels {
      let v = UInt16((tensor.data[c * tensor.planeSize + i] * scale).rounded())
      bytes.append(UInt8(truncatingIfNeeded: v))
      if bits == 16 { bytes.append(UInt8(v >> 8)) }
    }
  }
  return bytes
}

/// The MD5 digest of `bytes` in lower-case hex (RFC 1321), for comparing decodes with the corpora's checksums.
func md5Hex(_ bytes: [UInt8]) -> String {
  let s: [UInt32] = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
                     5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15,
                     21, 6, 10, 15, 21, 6, 10, 15, 21]
  let k = (0 ..< 64).map { UInt32(truncatingIfNeeded: Int64(abs(sin(Double($0 + 1))) * 4_294_967_296)) }
  let g: [Int] = (0 ..< 64).map { (i: Int) -> Int in
    switch i >> 4 {
    case 0: return i
    case 1: return (5 * i + 1) % 16
    case 2: return (3 * i + 5) % 16
    default: return (7 * i) % 16
    }
  }
  var message = bytes
  message.append(0x80)
  while message.count % 64 != 56 { message.append(0) }
  let bitLength = UInt64(bytes.count) &* 8
  for i in 0 ..< 8 { message.append(UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i)))) }
  var (a0, b0, c0, d0): (UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476)
  var m = [UInt32](repeating: 0, count: 16)
  message.withUnsafeBufferPointer { block in
    for chunk in stride(from: 0, to: block.count, by: 64) {
      for j in 0 ..< 16 {
        let at = chunk + 4 * j
        m[j] = UInt32(block[at]) | UInt32(block[at + 1]) << 8 | UInt32(block[at + 2]) << 16 | UInt32(block[at + 3]) << 24
      }
      var (a, b, c, d) = (a0, b0, c0, d0)
      for i in 0 ..< 64 {
        var f: UInt32
        switch i >> 4 {
        case 0: f = (b & c) | (~b & d)
        case 1: f = (d & b) | (~d & c)
        case 2: f = b ^ c ^ d
        default: f = c ^ (b | ~d)
        }
        f = f &+ a &+ k[i] &+ m[g[i]]
        (a, d, c) = (d, c, b)
        b = b &+ (f << s[i] | f >> (32 - s[i]))
      }
      (a0, b0, c0, d0) = (a0 &+ a, b0 &+ b, c0 &+ c, d0 &+ d)
    }
  }
  return [a0, b0, c0, d0].flatMap { word in (0 ..< 4).map { String(format: "%02x", (word >> (8 * UInt32($0))) & 0xff) } }
    .joined()
}
