@testable import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

import ConvolveRender

/// The running top-k, the peaks of a map, merging partial files and cutting patches.
@Suite struct TopActivationsTests {
  static func entry(_ photo: String, _ value: Float, y: Int = 0, x: Int = 0) -> TopEntry {
    TopEntry(photo: photo, y: y, x: x, value: value, box: [0, 0, 1, 1])
  }

  /// Whatever the order and however the entries are split into shards, the top k are the same, in the same order:
  /// value descending, then photo path, row, column.
  @Test func theTopKIsTheSameInAnyOrderAndSplit() {
    var random = SplitMix64(seed: 5)
    var all: [TopEntry] = []
    for i in 0 ..< 200 {
      // Few distinct values, so that ties are common.
      let value = Float(Int.random(in: 0 ... 20, using: &random)) / 4
      all.append(Self.entry("p\(i % 37).png", value, y: Int.random(in: 0 ... 3, using: &random), x: i % 5))
    }
    let expected = Array(all.sorted(by: TopEntry.precedes).prefix(9))
    for _ in 0 ..< 5 {
      var whole = RunningTopK(k: 9)
      var parts = [RunningTopK(k: 9), RunningTopK(k: 9), RunningTopK(k: 9)]
      for e in all.shuffled(using: &random) {
        whole.insert(e)
        parts[Int.random(in: 0 ... 2, using: &random)].insert(e)
      }
      var merged = RunningTopK(k: 9)
      for p in parts { for e in p.entries { merged.insert(e) } }
      #expect(whole.entries == expected)
      #expect(merged.entries == expected)
    }
    #expect(TopEntry.precedes(Self.entry("b.png", 2), Self.entry("a.png", 1)))
    #expect(TopEntry.precedes(Self.entry("a.png", 1, y: 5), Self.entry("b.png", 1, y: 0)))
    #expect(TopEntry.precedes(Self.entry("a.png", 1, y: 0, x: 9), Self.entry("a.png", 1, y: 1, x: 0)))
  }

  /// Peaks are the largest values, at least the window apart; ties go to the first in row-major order.
  @Test func peaksAreSeparatedByTheWindow() {
    // 6 x 6: 9 at (1, 1), 8 at (1, 2) (suppressed: next to it), 7 at (4, 4), 7 at (4, 5) (a tie, later).
    var map = [Float](repeating: 0, count: 36)
    map[1 * 6 + 1] = 9
    map[1 * 6 + 2] = 8
    map[4 * 6 + 4] = 7
    map[4 * 6 + 5] = 7
    map[0] = .nan
    let peaks = map.withUnsafeBufferPointer { mapPeaks($0, height: 6, width: 6, count: 3, window: (2, 2)) }
    #expect(peaks.map { [$0.y, $0.x] } == [[1, 1], [4, 4], [0, 3]])
    #expect(peaks.map(\.value).prefix(2) == [9, 7])
    let one = map.withUnsafeBufferPointer { mapPeaks($0, height: 6, width: 6, count: 3, window: (1, 1)) }
    #expect(one.map { [$0.y, $0.x] } == [[1, 1], [1, 2], [4, 4]])
  }

  /// A patch reaching past the photo is grey there; inside, it is the photo's pixels.
  @Test func patchesArePhotoPixelsAndGreyOutside() {
    var photo = Tensor(channels: 1, height: 4, width: 4)
    for i in 0 ..< 16 { photo.data[i] = Float(i) / 15 }
    // The box [-2, -2, 2, 2] at 4 x 4: the top-left quarter is outside, the bottom-right quarter is pixels 0, 1, 4, 5.
    let tile = photoPatch(photo, box: [-2, -2, 2, 2], size: 4)
    #expect(tile.channels == 3 && tile[0, 0, 0] == 0.5 && tile[2, 1, 3] == 0.5)
    #expect(tile[0, 2, 2] == photo[0, 0, 0] && tile[1, 3, 3] == photo[0, 1, 1] && tile[2, 2, 3] == photo[0, 0, 1])
  }

  /// Partial files of other settings, or holding a photo twice, are refused naming both files.
  @Test func mergingChecksSettingsAndPhotos() throws {
    let settings = TopPatchSettings(
      kind: "model", source: "m.onnx", fingerprint: "1", layer: "conv", k: 2, perPhoto: 1, channels: [0, 1],
      preprocessing: "", tile: 32)
    var a = TopPatchesFile(settings: settings, inputDirectory: "in")
    a.photos = ["a.png", "b.png"]
    a.entries = [[Self.entry("a.png", 3), Self.entry("b.png", 1)], [Self.entry("b.png", 2)]]
    var b = TopPatchesFile(settings: settings, inputDirectory: "in")
    b.photos = ["c.png"]
    b.entries = [[Self.entry("c.png", 2)], [Self.entry("c.png", 5)]]
    let merged = try TopPatchesFile.merged([("a", a), ("b", b)])
    #expect(merged.photos == ["a.png", "b.png", "c.png"])
    #expect(merged.entries.map { $0.map(\.photo) } == [["a.png", "c.png"], ["c.png", "b.png"]])
    var other = b
    other.settings.layer = "pool"
    #expect(thrownMessage { try TopPatchesFile.merged([("a", a), ("other", other)]) }?.contains("--layer: conv vs pool") == true)
    #expect(thrownMessage { try TopPatchesFile.merged([("a", a), ("again", a)]) }?.contains("photo a.png is also in a") == true)
    var moved = b
    moved.inputDirectory = "elsewhere"
    #expect(thrownMessage { try TopPatchesFile.merged([("a", a), ("moved", moved)]) }?.contains("--input-dir") == true)
    #expect((try TopPatchesFile.merged([("a", a), ("moved", moved)], inputDirectory: "x")).inputDirectory == "x")
  }
}
