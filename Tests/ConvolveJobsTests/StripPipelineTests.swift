import ConvolveCore
import ConvolveTestSupport
import Foundation
import Testing

@testable import ConvolveFormats
@testable import ConvolveJobs

/// Issue 12 part 4: a photo read, filtered and written strip by strip (`filterInStrips`) is the same file, byte for
/// byte, as the whole-image path writes (`loadImage`, `applyToPhoto`, `saveImage`); files that cannot be read in
/// strips say so.
@Suite struct StreamedFilterTests {
  let adobeJPEG = fixtureURL("metadata/adobe-rgb.jpg").path

  /// A smooth picture with noise (so that JPEG and PNG coding sees photo-like data), alpha varying when present.
  func picture(channels: Int, height: Int, width: Int, seed: UInt64) -> Tensor {
    var rng = SplitMix64(seed: seed)
    let noise = rng.floats(channels * height * width)
    var t = Tensor(channels: channels, height: height, width: width)
    for c in 0 ..< channels {
      for y in 0 ..< height {
        for x in 0 ..< width {
          let i = (c * height + y) * width + x
          let smooth = 0.5 + 0.35 * sin(Float(x) * 0.21 + Float(c)) * cos(Float(y) * 0.13)
          t.data[i] = min(1, max(0, smooth + 0.08 * noise[i]))
        }
      }
    }
    return t
  }

  func filters() throws -> [ResolvedFilter] {
    [
      ResolvedFilter(name: "k3", kernels: [try Kernel(rows: [[1, 2, 1], [2, 4, 2], [1, 2, 1]]).normalized]),
      ResolvedFilter(name: "edges", kernels: [try Kernel(rows: [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]])], output: .abs),
      ResolvedFilter(name: "gauss2", kernels: [try .gaussian(sigma: 2)]),
      ResolvedFilter(name: "gauss10", kernels: [try .gaussian(sigma: 10)]),
      ResolvedFilter(name: "box5", kernels: [try .box(size: 5)]),
      ResolvedFilter(name: "box11", kernels: [try .box(size: 11)]),
      ResolvedFilter(name: "identity1", kernels: [try Kernel(rows: [[1]])]),  // the window passed through
    ]
  }

  /// The whole-image path's file and the streamed one, for one input file.
  func compare(
    _ input: String, filter: ResolvedFilter, options: ConvolutionOptions, settings: PhotoFilterOptions = .init(),
    stripRows: Int, output: String, bitDepth: Int, metadata: ImageMetadata = .none
  ) throws -> Bool {
    let image = try loadImage(path: input, autoOrient: false)
    let whole = try filter.applyToPhoto(image.tensor, options: options, photoOptions: settings).mapped
    let format = try ImageFormat(path: output)
    let expected = try encodeImage(whole, format: format, bitDepth: bitDepth, metadata: metadata)
    let ahead = try ImageRowReader(path: input, maxPixels: 1 << 30)
    let opaque = try alphaIsOpaque(ahead, stripRows: 5)
    let reader = try ImageRowReader(path: input, maxPixels: 1 << 30)
    #expect(reader.refusal == nil)
    guard case .success(let strips) = try PhotoStrips.make(
      filter: filter, options: options, outputRange: nil, photoOptions: settings, channels: reader.info.channels,
      height: reader.info.height, width: reader.info.width, alphaIsOpaque: opaque)
    else {
      Issue.record("\(filter.name) refused")
      return false
    }
    let destination = StreamedOutput(
      path: output, name: output, format: format, bitDepth: bitDepth, quality: 92, pngCompression: nil, metadata: metadata)
    try filterInStrips(reader, strips: strips, stripRows: stripRows, output: destination)
    return try Data(contentsOf: URL(fileURLWithPath: output)) == expected
  }

  @Test func streamedFilesAreTheWholeImagesBytes() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    // PNG 8 and 16 bits, gray, gray + alpha, RGB, RGBA; JPEG gray and RGB. Heights: 1 row, fewer rows than the
    // Gaussian's halo, and not a multiple of any strip.
    var inputs: [(path: String, depth: Int)] = []
    for (channels, height, width) in [(1, 1, 40), (2, 23, 31), (3, 45, 37), (4, 71, 20)] {
      for depth in [8, 16] {
        let path = dir.appendingPathComponent("in-\(channels)-\(height)-\(depth).png").path
        var t = picture(channels: channels, height: height, width: width, seed: UInt64(channels * 100 + depth))
        if channels == 4 && depth == 8 {  // opaque alpha takes the whole path's other rule
          for i in 0 ..< t.planeSize { t.data[3 * t.planeSize + i] = 1 }
        }
        try saveImage(t, path: path, bitDepth: depth)
        inputs.append((path, depth))
      }
    }
    for (channels, height) in [(1, 3), (3, 50)] {
      let path = dir.appendingPathComponent("in-\(channels)-\(height).jpg").path
      try saveImage(picture(channels: channels, height: height, width: 41, seed: UInt64(channels)), path: path)
      inputs.append((path, 8))
    }
    let out = dir.appendingPathComponent("out").path
    for filter in try filters() {
      for border in [Border.zero, .replicate, .reflect, .symmetric] {
        let options = ConvolutionOptions(border: border)
        for (input, depth) in inputs {
          let kind = input.hasSuffix(".png") ? "png" : "jpg"
          for stripRows in [1, 3, 7, 64] {
            #expect(
              try compare(input, filter: filter, options: options, stripRows: stripRows, output: out + "." + kind, bitDepth: depth),
              "\(filter.name) \(border) \(input) strips of \(stripRows)")
          }
        }
      }
    }
    // Linear light, alpha kept, and a JPEG written from a PNG (alpha dropped).
    for (input, depth) in inputs where input.contains("in-4-") || input.contains("in-2-") {
      let linear = PhotoFilterOptions(linear: .srgb, alpha: .keep)
      #expect(try compare(input, filter: try filters()[2], options: .init(border: .reflect), settings: linear,
                          stripRows: 5, output: out + ".png", bitDepth: depth))
      #expect(try compare(input, filter: try filters()[0], options: .init(), stripRows: 4, output: out + ".jpg", bitDepth: 8))
    }
  }

  /// The ICC profile and EXIF go into the streamed file where the whole path writes them, and standard output gets
  /// the same bytes as `encodeImage`.
  @Test func metadataAndStandardOutputAreTheSame() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let image = try loadImage(path: adobeJPEG)
    #expect(image.metadata.iccProfile != nil && image.metadata.exif != nil)
    let gauss = ResolvedFilter(name: "g", kernels: [try .gaussian(sigma: 2)])
    for kind in ["jpg", "png"] {
      #expect(try compare(
        adobeJPEG, filter: gauss, options: .init(border: .replicate), stripRows: 9,
        output: dir.appendingPathComponent("out.\(kind)").path, bitDepth: 8, metadata: image.metadata))
      let reader = try ImageRowReader(path: adobeJPEG, maxPixels: 1 << 30)
      #expect(reader.metadata == image.metadata)
      guard case .success(let strips) = try PhotoStrips.make(
        filter: gauss, options: .init(), outputRange: nil, photoOptions: .init(), channels: 3,
        height: reader.info.height, width: reader.info.width, alphaIsOpaque: true)
      else {
      Issue.record("refused")
      return
    }
      let format = ImageFormat(name: kind)!
      let data = try filterInStrips(
        reader, strips: strips, stripRows: 16,
        output: StreamedOutput(path: nil, name: "standard output", format: format, bitDepth: 8, quality: 80,
                               pngCompression: 6, metadata: image.metadata))
      let whole = try gauss.applyToPhoto(image.tensor).mapped
      #expect(data == (try encodeImage(whole, format: format, quality: 80, pngCompression: 6, metadata: image.metadata)))
    }
  }

  /// An interlaced PNG and one whose eXIf follows the image data cannot stream; a truncated file fails as the
  /// whole-image read fails, and leaves no output.
  @Test func filesThatCannotStreamSaySo() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let interlaced = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAQAAAADCAAAAAHmmMGMAAAAGklEQVR4nGNgYAhg6LnDoFHBsIWFwS1v2j4AJUYFGaDa9QsAAAAASUVORK5CYII=")!
    let lateExif = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAQAAAADCAAAAACRn/EaAAAAF0lEQVR4nGNg0AioYHDLm7aPoWfLHRYAH3sFGboFlakAAAAaZVhJZk1NACoAAAAIAAEBEgADAAAAAQABAAAAAAAAE8B15wAAAABJRU5ErkJggg==")!
    #expect(try ImageRowReader(data: interlaced, name: "i.png", maxPixels: 100).refusal?.contains("interlaced") == true)
    #expect(try ImageRowReader(data: lateExif, name: "e.png", maxPixels: 100).refusal?.contains("eXIf") == true)
    #expect(try loadImage(data: lateExif, name: "e.png").metadata.exif != nil)  // what the whole path keeps
    #expect(try ImageRowReader(data: interlaced, name: "i.png", maxPixels: 100).info.width == 4)
    // The pixel limit, as the whole-image read words it.
    #expect(thrownMessage { try ImageRowReader(data: lateExif, name: "e.png", maxPixels: 11) }?.contains("raise --max-pixels") == true)
    // Truncated data: the same error as loadImage, no output left behind.
    let path = dir.appendingPathComponent("t.jpg").path
    try saveImage(picture(channels: 3, height: 64, width: 64, seed: 5), path: path)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    let cut = bytes.prefix(bytes.count / 2)
    let reader = try ImageRowReader(data: cut, name: "t.jpg", maxPixels: 1 << 20)
    guard case .success(let strips) = try PhotoStrips.make(
      filter: ResolvedFilter(name: "g", kernels: [try .gaussian(sigma: 2)]), options: .init(), outputRange: nil,
      photoOptions: .init(), channels: 3, height: 64, width: 64, alphaIsOpaque: true)
    else {
      Issue.record("refused")
      return
    }
    let out = dir.appendingPathComponent("out.png").path
    let streamed = thrownMessage {
      try filterInStrips(reader, strips: strips, stripRows: 8, output: StreamedOutput(
        path: out, name: out, format: .png, bitDepth: 8, quality: 92, pngCompression: nil, metadata: .none)) as Any
    }
    let whole = thrownMessage { try loadImage(data: cut, name: "t.jpg") }
    #expect(streamed != nil && streamed == whole)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["t.jpg"])
  }
}
