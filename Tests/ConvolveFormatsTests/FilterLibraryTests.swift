import ConvolveTestSupport
import ConvolveCore
import Foundation
import Testing
import ConvolveCNN
@testable import ConvolveFormats

private func parse(_ json: String, path: String = "Filters/x.json") throws -> FilterDefinition {
  try FilterDefinition(json: Data(json.utf8), path: path)
}

private func realPath(_ path: String) -> String? {
  guard let resolved = realpath(path, nil) else { return nil }
  defer { free(resolved) }
  return String(cString: resolved)
}

/// A scratch folder, removed by the caller.
private func temporaryFolder() throws -> String { try temporaryDirectory().path }

private let filtersFolder = packageRoot.appendingPathComponent("Filters").path

@Suite struct FilterLibraryTests {
  @Test func everyFilterFileParsesAndResolves() throws {
    let library = try FilterLibrary(folder: filtersFolder)
    let required = [
      "box3", "box5", "mean", "gaussian", "gaussian3", "gaussian5", "laplacian4", "laplacian8", "sobel-x", "sobel-y",
      "sobel", "prewitt-x", "prewitt-y", "prewitt", "sharpen", "unsharp", "emboss", "edge-detect", "identity",
    ]
    #expect(Set(required).isSubset(of: Set(library.names)), "missing: \(Set(required).subtracting(library.names))")
    #expect(library.names == library.names.sorted())
    let files = try FileManager.default.contentsOfDirectory(atPath: filtersFolder).filter { $0.hasSuffix(".json") }
    #expect(library.definitions.count == files.count)
    for definition in library.definitions {
      #expect(!definition.description.isEmpty, "\(definition.name) has no description")
      let filter = try library.resolve(definition)
      #expect(!filter.kernels.isEmpty)
      #expect(filter.kernels.allSatisfy { $0.weights.allSatisfy(\.isFinite) }, "\(definition.name)")
      // Blurs keep flat areas flat; high-pass filters remove them.
      if filter.kind == .lowPass { #expect(abs(filter.kernels[0].sum - 1) < 1e-5, "\(definition.name)") }
      if filter.kind == .highPass { #expect(filter.kernels.allSatisfy { abs($0.sum) < 1e-6 }, "\(definition.name)") }
    }
  }

  @Test func knownKernelValues() throws {
    let library = try FilterLibrary(folder: filtersFolder)
    func kernel(_ name: String) throws -> Kernel { try #require(library.resolve(name).kernels.first) }
    #expect(try kernel("sobel-x").rows == [[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    #expect(try kernel("sobel-y").rows == [[1, 2, 1], [0, 0, 0], [-1, -2, -1]])
    #expect(try kernel("laplacian4").rows == [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    #expect(try kernel("laplacian8").rows == [[1, 1, 1], [1, -8, 1], [1, 1, 1]])
    #expect(try kernel("sharpen").rows == [[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
    #expect(try kernel("identity").rows == [[0, 0, 0], [0, 1, 0], [0, 0, 0]])
    #expect(try kernel("gaussian3").rows == [[1, 2, 1], [2, 4, 2], [1, 2, 1]].map { $0.map { $0 / 16 } })
    #expect(try kernel("mean").weights == [Float](repeating: 1 / 9, count: 9))
    #expect(try kernel("box3") == kernel("mean"))
    let g5 = try kernel("gaussian5")
    #expect(g5.weights.first == 1 / 256 && g5[2, 2] == 36 / 256 && g5[1, 2] == 24 / 256)
    let unsharp = try kernel("unsharp")
    #expect(unsharp[2, 2] == 476 / 256 && unsharp[0, 0] == -1 / 256 && unsharp[1, 2] == -24 / 256)
    #expect(abs(unsharp.sum - 1) < 1e-6)
    let sobel = try library.resolve("sobel")
    let derivatives = [try kernel("sobel-x"), try kernel("sobel-y")]
    #expect(sobel.combine == .magnitude && sobel.kernels == derivatives)
    #expect(sobel.output == .normalize && sobel.kind == .highPass)
    #expect(try library.resolve("emboss").output == .offset)
  }

  /// The library's derivative kernels are written for convolution: brightness increasing to the right
  /// (or downwards) gives a positive response.
  @Test func derivativeSignsUnderConvolution() throws {
    let library = try FilterLibrary(folder: filtersFolder)
    let rampRight = Tensor(rows: (0 ..< 5).map { _ in (0 ..< 6).map { Float($0) } })
    let rampDown = Tensor(rows: (0 ..< 5).map { y in [Float](repeating: Float(y), count: 6) })
    let valid = ConvolutionOptions(mode: .valid)
    #expect(try library.resolve("sobel-x").apply(to: rampRight, options: valid).data.allSatisfy { $0 == 8 })
    #expect(try library.resolve("sobel-y").apply(to: rampDown, options: valid).data.allSatisfy { $0 == 8 })
    #expect(try library.resolve("prewitt-x").apply(to: rampRight, options: valid).data.allSatisfy { $0 == 6 })
    #expect(try library.resolve("sobel-x").apply(to: rampDown, options: valid).data.allSatisfy { $0 == 0 })
    // Magnitude of a diagonal ramp: sqrt(8² + 8²).
    let diagonal = Tensor(rows: (0 ..< 5).map { y in (0 ..< 6).map { Float($0 + y) } })
    let magnitude = try library.resolve("sobel").apply(to: diagonal, options: valid)
    #expect(magnitude.height == 3 && magnitude.width == 4)
    #expect(magnitude.data.allSatisfy { abs($0 - 8 * Float(2).squareRoot()) < 1e-5 })
  }

  @Test func generatedFiltersTakeOverrides() throws {
    let library = try FilterLibrary(folder: filtersFolder)
    let standard = try library.resolve("gaussian")
    #expect(standard.kernels[0].height == 7 && standard.parameters == FilterParameters(sigma: 1, radius: 3))
    let wide = try library.resolve("gaussian", overrides: FilterParameters(sigma: 2))
    let sigma2 = try Kernel.gaussian(sigma: 2)
    #expect(wide.kernels[0].height == 13 && wide.kernels[0] == sigma2)
    let clipped = try library.resolve("gaussian", overrides: FilterParameters(sigma: 2, radius: 1))
    #expect(clipped.kernels[0].width == 3)
    let box4 = try library.resolve("box", overrides: FilterParameters(size: 4)).kernels[0]
    #expect(box4.height == 4 && box4.weights.allSatisfy { $0 == 1 / 16 })
    let mask = try library.resolve("unsharp-mask", overrides: FilterParameters(amount: 2))
    let amount2 = try Kernel.unsharp(sigma: 1, amount: 2)
    #expect(mask.kernels[0] == amount2)
    #expect(throws: ConvolveError.invalidArgument("filter 'gaussian' takes sigma, radius, not size")) {
      try library.resolve("gaussian", overrides: FilterParameters(size: 3))
    }
    #expect(throws: ConvolveError.invalidArgument("filter 'sobel-x' has fixed weights and takes no parameters (got sigma)")) {
      try library.resolve("sobel-x", overrides: FilterParameters(sigma: 2))
    }
    #expect(throws: ConvolveError.invalidArgument("gaussian sigma is -1.0; it must be a finite number greater than 0")) {
      try library.resolve("gaussian", overrides: FilterParameters(sigma: -1))
    }
  }

  @Test func unknownFilterNamesSuggestTheClosest() throws {
    let library = try FilterLibrary(folder: filtersFolder)
    #expect(throws: ConvolveError.invalidArgument("unknown filter 'sobelx'; did you mean 'sobel-x'?")) {
      try library.resolve("sobelx")
    }
    #expect(throws: ConvolveError.invalidArgument("unknown filter 'Laplacian'; did you mean 'laplacian4'?")) {
      try library.resolve("Laplacian")
    }
    #expect(throws: ConvolveError.invalidArgument("unknown filter 'gauss'; did you mean 'gaussian'?")) {
      try library.resolve("gauss")
    }
    let error = #expect(throws: ConvolveError.self) { try library.resolve("zzzzzzzzzz") }
    #expect(error?.description == "unknown filter 'zzzzzzzzzz'; available: \(library.names.joined(separator: ", "))")
    #expect(editDistance("kitten", "sitting") == 3 && editDistance("", "abc") == 3 && editDistance("abc", "") == 3)
  }

  @Test func componentsMustExistAndBeFixed() throws {
    let x = try parse(#"{"name": "x", "components": ["a", "gradient"], "combine": "magnitude"}"#)
    let a = FilterDefinition(name: "a", source: .kernel(try Kernel(rows: [[1, -1]]), divisor: nil))
    let g = FilterDefinition(name: "g", source: .generator(.gaussian, parameters: .init()))
    let library = FilterLibrary(definitions: [a, g, x])
    #expect(throws: ConvolveError.file(path: "Filters/x.json", reason: "component 'gradient' is not in the library")) {
      try library.resolve("x")
    }
    let y = try parse(#"{"name": "y", "components": ["a", "g"], "combine": "magnitude"}"#, path: "Filters/y.json")
    #expect(throws: ConvolveError.file(path: "Filters/y.json", reason: "component 'g' must be a filter with fixed \"rows\"")) {
      try FilterLibrary(definitions: [a, g, y]).resolve("y")
    }
  }

  @Test func locatesTheLibraryFolder() throws {
    let root = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let fm = FileManager.default
    try fm.createDirectory(atPath: root + "/app/bin/deep", withIntermediateDirectories: true)
    try fm.createDirectory(atPath: root + "/app/Filters", withIntermediateDirectories: true)
    try fm.createDirectory(atPath: root + "/app/bin/Filters", withIntermediateDirectories: true)  // no JSON: skipped
    try Data("{}".utf8).write(to: URL(fileURLWithPath: root + "/app/Filters/a.json"))
    try Data().write(to: URL(fileURLWithPath: root + "/app/bin/deep/tool"))
    try fm.createDirectory(atPath: root + "/links", withIntermediateDirectories: true)
    try fm.createSymbolicLink(atPath: root + "/links/tool", withDestinationPath: root + "/app/bin/deep/tool")
    let expected = try #require(realPath(root + "/app/Filters"))
    func locate(executable: String? = nil, from directory: String = "/", env: [String: String] = [:]) throws -> String? {
      try FilterLibrary.locate(environment: env, executablePaths: executable.map { [$0] } ?? [], currentDirectory: directory)
    }

    #expect(try locate(executable: root + "/links/tool") == expected)
    #expect(try locate(from: root + "/app/bin/deep") == expected)
    #expect(try locate(from: root + "/links") == nil)
    #expect(try locate(env: ["CONVOLVE_FILTERS": root + "/links"]) == root + "/links")
    #expect(throws: ConvolveError.file(path: root + "/nope", reason: "CONVOLVE_FILTERS does not name a folder")) {
      try FilterLibrary.locate(environment: ["CONVOLVE_FILTERS": root + "/nope"], executablePaths: [])
    }
    // Installed: PREFIX/bin/convolve finds PREFIX/share/convolve/Filters, before any Filters folder above it.
    try fm.createDirectory(atPath: root + "/prefix/bin", withIntermediateDirectories: true)
    try fm.createDirectory(atPath: root + "/prefix/share/convolve/Filters", withIntermediateDirectories: true)
    try Data("{}".utf8).write(to: URL(fileURLWithPath: root + "/prefix/share/convolve/Filters/b.json"))
    try Data().write(to: URL(fileURLWithPath: root + "/prefix/bin/convolve"))
    try fm.createDirectory(atPath: root + "/prefix/Filters", withIntermediateDirectories: true)
    try Data("{}".utf8).write(to: URL(fileURLWithPath: root + "/prefix/Filters/c.json"))
    let installed = try #require(realPath(root + "/prefix/share/convolve/Filters"))
    #expect(try locate(executable: root + "/prefix/bin/convolve") == installed)
    // A symbolic link to the installed binary (e.g. ~/bin/convolve) finds it too.
    try fm.createSymbolicLink(atPath: root + "/links/convolve", withDestinationPath: root + "/prefix/bin/convolve")
    #expect(try locate(executable: root + "/links/convolve") == installed)
    // The test binary lives under .build of this checkout, so the default search finds its Filters.
    #expect(try FilterLibrary.locate(environment: [:], currentDirectory: "/") == realPath(filtersFolder))
  }

  @Test func libraryRequiresNamesToMatchFiles() throws {
    let root = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: root) }
    try Data(#"{"name": "blur", "rows": [[1]]}"#.utf8).write(to: URL(fileURLWithPath: root + "/smooth.json"))
    #expect(throws: ConvolveError.file(path: root + "/smooth.json", reason: "\"name\" is \"blur\" but the file is smooth.json; they must match")) {
      try FilterLibrary(folder: root)
    }
  }
}
