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

  /// Issue 24, item 9: the positions whose field stays out of the padding. A 3x3 "same" convolution on 10
  /// pixels (field 3, start 0): positions 1 to 8; after a 2x2 pool of stride 2 (field 4, jump 2, start 0.5):
  /// 1 to 3 of 5 (position 4's field, 7.5 ± 1.5, reaches pixel 10); a field longer than the input keeps none.
  @Test func theFieldInsideTheInput() throws {
    let conv = FieldAxis.input(length: 10).window(kernel: 3, stride: 1, padBefore: 1, dilation: 1, outputs: 10)
    #expect(conv.inside(positions: 10, length: 10) == 1 ..< 9)
    let pooled = conv.window(kernel: 2, stride: 2, padBefore: 0, dilation: 1, outputs: 5)
    #expect(pooled.inside(positions: 5, length: 10) == 1 ..< 4)
    let valid = FieldAxis.input(length: 10).window(kernel: 3, stride: 1, padBefore: 0, dilation: 1, outputs: 8)
    #expect(valid.inside(positions: 8, length: 10) == 0 ..< 8)
    #expect(FieldAxis(size: 15, jump: 1, start: 0, first: 0, last: 9).inside(positions: 10, length: 10).isEmpty)

    // The collector skips the border positions (the largest value is at the corner) and moves boxes by `origin`.
    let settings = TopPatchSettings(
      kind: "model", source: "m.onnx", fingerprint: "1", layer: "conv", k: 1, perPhoto: 1, channels: [0],
      preprocessing: "", tile: 32)
    var values = [Float](repeating: 0, count: 100)
    values[0] = 9
    values[5 * 10 + 6] = 1
    let field = ReceptiveField(y: conv, x: conv)
    let map = GraphTensor(shape: [1, 1, 10, 10], floats: values)
    let all = TopPatchCollector(settings: settings)
    #expect(try !all.add(photo: "a.png", map: map, field: field, scale: (1, 1)))
    let corner = try #require(all.file(inputDirectory: "in", shard: nil).entries[0].first)
    #expect(corner.y == 0 && corner.x == 0)
    let inside = TopPatchCollector(settings: settings)
    #expect(try inside.add(photo: "a.png", map: map, field: field, scale: (2, 2), origin: (10, 20), excludeBorder: (10, 10)))
    let entry = try #require(inside.file(inputDirectory: "in", shard: nil).entries[0].first)
    #expect(entry.y == 5 && entry.x == 6)
    let box: [Double] = [18, 30, 24, 36]  // rows 4...6 and columns 5...7: edges 4 to 7 and 5 to 8, doubled, moved
    #expect(entry.box == box)
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
