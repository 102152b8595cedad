import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

/// Issue 14 items 1 and 2: no parameter or file crashes a command (sizes beyond --max-pixels are exit 64 with
/// the computed size), and strides round down as PyTorch with a note, --strict refusing and --ceil rounding up.
@Suite struct SizeAndRoundingTests {
  let camera = packageRoot.appendingPathComponent("SampleImages/camera.png").path
  let chelsea = packageRoot.appendingPathComponent("SampleImages/chelsea.jpg").path  // 451 x 300
  let rocket = packageRoot.appendingPathComponent("SampleImages/rocket.jpg").path  // 640 x 427
  let edges = packageRoot.appendingPathComponent("Filters/layers/edges.npy").path

  /// A 128x128 gray PNG.
  private func small(in dir: URL) throws -> String {
    let path = dir.appendingPathComponent("small.png").path
    let r = try runConvolve(["pool", camera, path, "--size", "4"])
    #expect(r.status == 0, "\(r.stderr)")
    return path
  }

  @Test func hugeParametersAreValueErrorsWithTheComputedSize() throws {
    let dir = try temporaryDirectory()
    let small = try small(in: dir)
    let out = dir.appendingPathComponent("o.png").path
    let cases: [([String], String)] = [
      (["upsample", small, out, "--scale", "1000"],
       "Error: the output would be 128000x128000 (16384000000 pixels), more than the limit of 100000000; lower --scale, or raise --max-pixels"),
      (["filter", small, out, "--filter", "box3", "--padding", "100000"],
       "Error: the padded input would be 200128x200128 (40051216384 pixels), more than the limit of 100000000"),
      (["layer", small, dir.appendingPathComponent("l").path, "--filters", "sobel-x", "--padding", "100000"],
       "Error: stage 1 'conv': the output would be 200126x200126 (40050415876 pixels), more than the limit of 100000000"),
      (["layer", small, dir.appendingPathComponent("l").path, "--filters", "sobel-x", "--padding", "9223372036854775807"],
       "Error: stage 1 'conv': padded height 128 + 9223372036854775807 + 9223372036854775807 is too large"),
      (["filter", small, out, "--filter", "box3", "--dilation", "9223372036854775807", "--mode", "full"],
       "is too large"),
      (["pool", small, out, "--size", "2", "--stride", "1", "--padding", "1", "--max-pixels", "16384"],
       "Error: the output would be 129x129 (16641 pixels), more than the limit of 16384; raise --max-pixels"),
      (["upsample", small, out, "--scale", "1e300"], "upsampling 128x128 (WxH) by 1e+300x1e+300"),
      (["explain", "--input", "1,2;3,4", "--kernel", "1", "--padding", "100000"],
       "Error: the padded input would be 200002x200002 (40000800004 pixels), more than the limit of 1000000"),
      (["filter", "--input", "1,2;3,4", "--kernel", "1", "--padding", "100000", "--print"],
       "Error: the padded input would be 200002x200002"),
    ]
    for (arguments, message) in cases {
      let r = try runConvolve(arguments)
      #expect(r.status == 64, "\(arguments): \(r.stderr)")
      #expect(r.stderr.contains(message), "\(arguments): \(r.stderr)")
      #expect(r.stderr.split(separator: "\n").first?.hasPrefix("Error: ") == true, "\(arguments): \(r.stderr)")
      #expect(!r.stderr.contains("Fatal error"))
    }
    #expect(!FileManager.default.fileExists(atPath: out))
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("l").path))
  }

  /// A .npy whose header claims an impossible shape is a file error naming the file, before anything is allocated.
  @Test func npyClaimingAHugeShapeIsAFileError() throws {
    let dir = try temporaryDirectory()
    func npy(_ name: String, shape: String, dataBytes: Int = 8) throws -> String {
      var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
      header += String(repeating: " ", count: 63 - (10 + header.utf8.count) % 64) + "\n"
      var bytes = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)])
      bytes.append(contentsOf: Array(header.utf8))
      bytes.append(Data(count: dataBytes))
      let path = dir.appendingPathComponent(name).path
      try bytes.write(to: URL(fileURLWithPath: path))
      return path
    }
    let overflow = try npy("overflow.npy", shape: "(2305843009213693952,)")
    let big = try npy("big.npy", shape: "(100000, 100000)")
    let weights = try npy("w.npy", shape: "(4611686018427387904, 1, 3, 3)")
    for arguments in [
      ["filter", "--input", overflow, "--kernel", "1", "--print"],
      ["filter", "--input", big, "--kernel", "1", "--print"],
      ["layer", camera, dir.appendingPathComponent("l").path, "--weights", weights],
      ["explain", "--input", big, "--kernel", "1"],
    ] {
      let r = try runConvolve(arguments)
      #expect(r.status == 1, "\(arguments): \(r.stderr)")
      #expect(r.stderr.contains(".npy: ") && (r.stderr.contains("too large") || r.stderr.contains("truncated")), "\(r.stderr)")
      #expect(!r.stderr.contains("Fatal error"))
    }
  }

  /// The README's `layer ... --pool max:2` on the odd-sized sample photos: rounded down with a note, as PyTorch.
  @Test func layerPoolRoundsDownWithANoteStrictRefusesCeilRoundsUp() throws {
    let dir = try temporaryDirectory()
    let out = dir.appendingPathComponent("out").path
    let base = ["layer", chelsea, out, "--weights", edges, "--padding", "same", "--activation", "relu", "--pool", "max:2"]
    let floor = try runConvolve(base)
    #expect(floor.status == 0, "\(floor.stderr)")
    #expect(floor.stderr == "note: stage 3 'pool': the last column (of 451) is unused (rounded down, as PyTorch; "
      + "--ceil adds a partial window instead; --strict refuses)\n")
    #expect(floor.stdout.contains("pool: 10x150x225 (CxHxW) -> "))
    #expect(try runConvolve(base + ["--floor"]).stdout.contains("pool: 10x150x225 (CxHxW) -> "))
    let ceil = try runConvolve(base + ["--ceil"])
    #expect(ceil.status == 0 && ceil.stdout.contains("pool: 10x150x226 (CxHxW) -> ") && ceil.stderr.isEmpty, "\(ceil.stderr)")
    let strict = try runConvolve(base + ["--strict"])
    #expect(strict.status == 64)
    #expect(strict.stderr.contains("stage 3 'pool': stride 2 does not fit: (451 - 2) / 2 + 1 = 225.50 along the width"))
    let both = try runConvolve(base + ["--strict", "--ceil"])
    #expect(both.status == 64)
  }

  @Test func poolAndFilterNameTheUnusedRowsAndColumns() throws {
    let dir = try temporaryDirectory()
    let out = dir.appendingPathComponent("p.png").path
    let pool = try runConvolve(["pool", rocket, out, "--size", "2"])
    #expect(pool.status == 0)
    #expect(pool.stderr == "note: the last row (of 427) is unused: the output is 320x213 (rounded down, as PyTorch; "
      + "--ceil adds a partial window instead; --strict refuses)\n")
    #expect(try imageInfo(path: out).height == 213)
    #expect(try runConvolve(["pool", rocket, out, "--size", "2", "--ceil"]).status == 0)
    #expect(try imageInfo(path: out).height == 214)
    #expect(try runConvolve(["pool", rocket, out, "--size", "2", "--strict"]).status == 64)

    let filter = try runConvolve(["filter", camera, out, "--filter", "box3", "--mode", "valid", "--stride", "4"])
    #expect(filter.status == 0)
    #expect(filter.stderr == "note: the last row (of 512) and the last column (of 512) are unused: stride 4 gives "
      + "128x128, rounded down, as PyTorch; --strict refuses\n")
    #expect(try imageInfo(path: out).width == 128)
    // Padding that is unused is not worth a note.
    let padded = try runConvolve(["filter", camera, out, "--filter", "box3", "--padding", "0,1", "--stride", "1,3"])
    #expect(padded.status == 0 && padded.stderr.isEmpty, "\(padded.stderr)")
  }

  @Test func runAndBatchRoundDownAndStrictRefuses() throws {
    let dir = try temporaryDirectory()
    let pipeline = dir.appendingPathComponent("p.json")
    try Data(#"{"stages": [{"op": "conv", "filters": ["sobel-x"], "stride": 2}, {"op": "pool", "size": 2}]}"#.utf8)
      .write(to: pipeline)
    let run = try runConvolve(["run", pipeline.path, chelsea, dir.appendingPathComponent("r").path])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stderr.contains("note: stage 1 'conv': the last row (of 300) is unused (rounded down, as PyTorch; "))
    #expect(run.stderr.contains("note: stage 2 'pool': the last row (of 149) and the last column (of 225) are unused"))
    #expect(run.stdout.contains("pool: 1x74x112 (CxHxW) -> "))
    let strict = try runConvolve(["run", pipeline.path, chelsea, dir.appendingPathComponent("s").path, "--strict"])
    #expect(strict.status == 1 && strict.stderr.contains("stage 1 'conv': stride 2 does not fit"), "\(strict.stderr)")

    let photos = dir.appendingPathComponent("photos")
    try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
    for path in [chelsea, camera] {
      try FileManager.default.copyItem(atPath: path, toPath: photos.appendingPathComponent(lastComponent(path)).path)
    }
    let batch = try runConvolve([
      "batch", photos.path, dir.appendingPathComponent("b").path, "--filter", "box3", "--mode", "valid", "--stride", "2",
    ])
    #expect(batch.status == 0, "\(batch.stderr)")
    #expect(batch.stderr.contains(
      "note: 2 of 2 files had input rows or columns a stride leaves unused, e.g. camera.png: the last row (of 512) and "
        + "the last column (of 512) are unused: stride 2 gives 255x255"), "\(batch.stderr)")
    #expect(try imageInfo(path: dir.appendingPathComponent("b/chelsea.jpg").path).height == 149)
    // Same padding reaches the last row and column of these: no note.
    let same = try runConvolve(["batch", photos.path, dir.appendingPathComponent("d").path, "--filter", "box3", "--stride", "2"])
    #expect(same.status == 0 && !same.stderr.contains("note:"), "\(same.stderr)")
    let refused = try runConvolve([
      "batch", photos.path, dir.appendingPathComponent("c").path, "--filter", "box3", "--mode", "valid", "--stride", "2",
      "--strict",
    ])
    #expect(refused.status == 1 && refused.stderr.contains("done 0, skipped 0, failed 2"), "\(refused.stderr)")
  }

  @Test func shapeSpeaksThePipelinesLanguage() throws {
    let alex = try runConvolve(["shape", "3x224x224", "conv:64:11:s=4:p=2", "relu", "pool:max:3:s=2", "flatten", "fc:10"])
    #expect(alex.status == 0, "\(alex.stderr)")
    #expect(alex.stdout.contains("Input: 3x224x224 (C x H x W: 3 channels of 224x224)"))
    #expect(alex.stdout.contains("   output: 64x27x27"))
    #expect(alex.stdout.contains("Output: 10x1x1"))
    let order = try runConvolve(["shape", "--chw", "32x32x3", "conv:6:3"])
    #expect(order.stdout.contains("Input: 32x32x3 (C x H x W: 32 channels of 32x3)"))
    let bad = try runConvolve(["shape", "3x224", "conv:6:300"])
    #expect(bad.status != 0 && bad.stderr.contains("larger than the padded input"))
    let huge = try runConvolve(["shape", "2000000000x2000000000x2000000000", "flatten"])
    #expect(huge.status == 64 && huge.stderr.contains("too large"), "\(huge.stderr)")

    let pipeline = packageRoot.appendingPathComponent("Filters/pipelines/edges.json").path
    let file = try runConvolve(["shape", "--pipeline", pipeline, "300x451"])
    #expect(file.status == 0, "\(file.stderr)")
    #expect(file.stdout.contains("Input: 300x451x3"))
    #expect(file.stdout.contains("   output: 150x225x10"))
    #expect(file.stdout.contains("note: stage 3 'edges-pool': the last column (of 451) is unused"))
    // The shapes `shape --pipeline` prints are those `run` writes.
    let dir = try temporaryDirectory()
    let run = try runConvolve(["run", pipeline, chelsea, dir.path])
    for line in run.stdout.split(separator: "\n") where line.contains(" -> ") {
      let parts = line.split(separator: " ")[1].split(separator: "x")  // CxHxW
      #expect(file.stdout.contains("   output: \(parts[1])x\(parts[2])x\(parts[0])"), "\(line)")
    }
  }
}
