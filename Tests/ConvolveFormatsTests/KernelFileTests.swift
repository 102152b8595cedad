import ConvolveTestSupport
import ConvolveCore
import Foundation
import Testing

import ConvolveCNN
@testable import ConvolveFormats

private let filtersFolder = packageRoot.appendingPathComponent("Filters").path

private func fixture(_ name: String) throws -> Data {
  let url = fixtureURL(name)
  return try #require(FileManager.default.contents(atPath: url.path), "missing fixture \(url.path)")
}

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

@Suite struct KernelFileLibraryTests {
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

@Suite struct KernelFileParsingTests {
  @Test func parsesTheThreeForms() throws {
    let fixed = try parse(#"{"name": "x", "description": "d", "kind": "low-pass", "rows": [[1, 2], [3, 4]], "divisor": 10, "output": "abs"}"#)
    #expect(fixed.name == "x" && fixed.description == "d" && fixed.kind == .lowPass && fixed.output == .abs)
    #expect(fixed.kernel?.rows == [[0.1, 0.2], [0.3, 0.4]])
    let summed = try parse(#"{"rows": [[1, 3]], "divisor": "sum"}"#, path: "/tmp/my-kernel.json")
    #expect(summed.name == "my-kernel" && summed.kind == .other && summed.output == .clip)
    #expect(summed.kernel?.rows == [[0.25, 0.75]])
    let combined = try parse(#"{"components": ["p", "q"], "combine": "magnitude"}"#)
    #expect(combined.source == .components(["p", "q"], combine: .magnitude))
    let generated = try parse(#"{"generator": "unsharp", "parameters": {"sigma": 1.5, "amount": 0.5, "radius": 4}}"#)
    #expect(generated.source == .generator(.unsharp, parameters: FilterParameters(sigma: 1.5, radius: 4, amount: 0.5)))
    #expect(generated.kernel == nil)
  }

  @Test func rejectsBadFilesWithMessagesNamingFieldAndValue() throws {
    let allowed = "name, description, kind, output, rows, divisor, components, combine, generator, parameters"
    let cases: [(String, String)] = [
      (#"{"rows": [[1, 2, 3], [4, 5]]}"#, "\"rows\" row 2 has 2 values, row 1 has 3"),
      (#"{"rows": [[1, 2], [3, "NaN"]]}"#, "\"rows\" row 2, value 2 is the string \"NaN\"; it must be a number"),
      (#"{"rows": [[1, true]]}"#, "\"rows\" row 1, value 2 is true; it must be a number"),
      (#"{"rows": [[1, 2], 3]}"#, "\"rows\" row 2 is 3; it must be a non-empty list of numbers"),
      (#"{"rows": []}"#, "\"rows\" must be a non-empty list of rows, e.g. [[1, 2, 1], [2, 4, 2], [1, 2, 1]]"),
      (#"{"rows": [[1, 2]], "divisor": 0}"#, "\"divisor\" is 0; it must be a non-zero number or \"sum\""),
      (#"{"rows": [[1, 2]], "divisor": "total"}"#, "\"divisor\" is the string \"total\"; it must be a non-zero number or \"sum\""),
      (#"{"rows": [[1, -1]], "divisor": "sum"}"#, "\"divisor\" is \"sum\" but the weights sum to 0; give a number or leave it out"),
      (#"{"rows": [[1]], "divsor": 2}"#, "unknown key \"divsor\"; did you mean \"divisor\"? allowed keys: \(allowed)"),
      (#"{"rows": [[1]], "weights": 2}"#, "unknown key \"weights\"; allowed keys: \(allowed)"),
      (#"{"rows": [[1]], "kind": "band-pass"}"#, "\"kind\" is \"band-pass\"; allowed: \"high-pass\", \"low-pass\", \"other\""),
      (#"{"rows": [[1]], "output": "scale"}"#, "\"output\" is \"scale\"; allowed: \"clip\", \"abs\", \"normalize\", \"offset\""),
      (#"{"rows": [[1]], "name": 5}"#, "\"name\" is 5; it must be a string"),
      (#"{"rows": [[1]], "name": "a b"}"#, "\"name\" is \"a b\"; use letters, digits, '-', '_' and '.' only"),
      (#"{"description": "nothing"}"#, "needs one of \"rows\", \"components\" or \"generator\""),
      (#"{"rows": [[1]], "generator": "box"}"#, "has both \"rows\" and \"generator\"; use only one"),
      (#"{"rows": [[1]], "combine": "magnitude"}"#, "\"combine\" is only allowed with \"components\""),
      (#"{"components": ["a"], "combine": "sum"}"#, "\"combine\" is \"sum\"; allowed: \"magnitude\""),
      (#"{"components": ["a"]}"#, "\"components\" needs \"combine\"; allowed: \"magnitude\""),
      (#"{"components": ["a", 2], "combine": "magnitude"}"#, "\"components\" item 2 is 2; it must be a filter name"),
      (#"{"generator": "median"}"#, "\"generator\" is \"median\"; allowed: \"gaussian\", \"box\", \"identity\", \"unsharp\""),
      (#"{"generator": "gaussian", "parameters": {"size": 3}}"#, "\"parameters\" has unknown key \"size\"; generator \"gaussian\" takes sigma, radius"),
      (#"{"generator": "gaussian", "parameters": {"radius": 2.5}}"#, "\"parameters\".radius is 2.5; it must be a whole number"),
      (#"{"generator": "gaussian", "parameters": {"sigma": 0}}"#, "\"parameters\": gaussian sigma is 0.0; it must be a finite number greater than 0"),
      (#"{"generator": "identity", "parameters": {"size": 4}}"#, "\"parameters\": identity size is 4; it must be odd and between 1 and 1025"),
      (#"[1, 2]"#, "must hold a JSON object {...}, not a list of 2"),
    ]
    for (json, reason) in cases {
      #expect(throws: ConvolveError.file(path: "Filters/x.json", reason: reason), "\(json)") { try parse(json) }
    }
  }

  @Test func invalidJSONNamesTheFileAndNaN() throws {
    let error = #expect(throws: ConvolveError.self) { try parse(#"{"rows": [[1, NaN]]}"#) }
    guard case .file(let path, let reason)? = error else {
      Issue.record("expected a file error, got \(String(describing: error))")
      return
    }
    #expect(path == "Filters/x.json")
    #expect(reason.hasPrefix("is not valid JSON ("))
    #expect(reason.hasSuffix("; NaN and Infinity are not JSON numbers"))
    #expect(throws: ConvolveError.file(path: "/no/such/file.json", reason: "cannot be read (missing, a folder, or no permission)")) {
      try FilterDefinition(contentsOf: "/no/such/file.json")
    }
  }
}

@Suite struct KernelFileInlineTests {
  @Test func parsesRowsValuesAndFractions() throws {
    #expect(try parseInlineKernel("1,2,1;2,4,2;1,2,1").rows == [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    #expect(try parseInlineKernel(" 1 2 1 ; 2 4 2 ;1,2,1; ").rows == [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    #expect(try parseInlineKernel("1/16, 1/8, 1/16; -0.5, 2e-1, +3").rows == [[0.0625, 0.125, 0.0625], [-0.5, 0.2, 3]])
    #expect(try parseInlineKernel("1, -1").rows == [[1, -1]])
    #expect(try parseInlineKernel("1;-1").rows == [[1], [-1]])
    #expect(try parseInlineKernel("-1/4").rows == [[-0.25]])
  }

  @Test func badStringsNameTheTokenAndPosition() {
    let hint = "(write values like 2, -0.5 or 1/16; ',' or spaces between values, ';' between rows)"
    let cases: [(String, String)] = [
      ("1,2,x;1,2,1", "\"x\" at row 1, column 3 is not a number \(hint)"),
      ("1,2,1;2,4,2;1,2,l", "\"l\" at row 3, column 3 is not a number \(hint)"),
      ("1 2 1;2 4;1 2 1", "row 2 has 2 values, row 1 has 3"),
      ("1,,2", "row 1 has an empty value after column 1 (two ',' in a row?)"),
      ("1,2,", "row 1 has an empty value after column 2 (a ',' at the end?)"),
      (",1,2", "row 1 has an empty value after column 0 (a ',' at the start?)"),
      ("1,2;;3,4", "row 2 is empty (two ';' in a row?)"),
      ("1/0", "\"1/0\" at row 1, column 1 is not finite (division by zero?)"),
      ("1,nan", "\"nan\" at row 1, column 2 is not a number \(hint)"),
      ("1,inf", "\"inf\" at row 1, column 2 is not a number \(hint)"),
      ("1/2/3", "\"1/2/3\" at row 1, column 1 is not a number \(hint)"),
      ("0x10", "\"0x10\" at row 1, column 1 is not a number \(hint)"),
      ("  ", "is empty; write rows like 1,2,1;2,4,2;1,2,1"),
    ]
    for (text, message) in cases {
      #expect(throws: ConvolveError.invalidArgument("kernel \"\(text)\": \(message)")) { try parseInlineKernel(text) }
    }
  }
}

@Suite struct KernelFileGeneratorTests {
  struct GaussianFixture: Decodable {
    struct Case: Decodable {
      let sigma: Double, radius: Int
      let line: [Double]
      let kernel: [[Float]]
    }
    let cases: [Case]
  }

  /// `Tests/Fixtures/generate_fixtures.py` writes these with scipy.ndimage.gaussian_filter on an impulse.
  @Test func gaussianMatchesSciPy() throws {
    let fixture = try JSONDecoder().decode(GaussianFixture.self, from: fixture("gaussian.json"))
    #expect(fixture.cases.map(\.sigma) == [0.5, 0.7, 1, 1.5, 2])
    for c in fixture.cases {
      let k = try Kernel.gaussian(sigma: Float(c.sigma))
      #expect(k.height == 2 * c.radius + 1 && k.width == 2 * c.radius + 1, "sigma \(c.sigma)")
      #expect(maxDifference(k.weights, c.kernel.flatMap { $0 }) < 1e-7, "sigma \(c.sigma)")
      #expect(abs(k.sum - 1) < 1e-6, "sigma \(c.sigma)")
      let line = Kernel.gaussianLine(sigma: c.sigma, radius: c.radius)
      #expect(zip(line, c.line).allSatisfy { abs($0 - $1) < 1e-9 }, "sigma \(c.sigma)")
    }
    #expect(try Kernel.gaussian(sigma: 1).separableFactors != nil)
  }

  @Test func gaussianRadiusAndValidation() throws {
    let narrow = try Kernel.gaussian(sigma: 0.1)
    #expect(narrow.height == 3 && abs(narrow[1, 1] - 1) < 1e-6)
    #expect(try Kernel.gaussian(sigma: 0.34).height == 5)  // radius ceil(1.02) = 2
    #expect(try Kernel.gaussian(sigma: 2, radius: 0).weights == [1])
    let three = try Kernel.gaussian(sigma: 1, radius: 1)
    let e = Float(exp(-0.5)), s = 1 + 2 * e
    #expect(maxDifference(three.rows[1], [e / s / s, 1 / s / s, e / s / s]) < 1e-7)
    #expect(throws: ConvolveError.invalidArgument("gaussian sigma is 0.0; it must be a finite number greater than 0")) {
      try Kernel.gaussian(sigma: 0)
    }
    #expect(throws: ConvolveError.invalidArgument("gaussian sigma is nan; it must be a finite number greater than 0")) {
      try Kernel.gaussian(sigma: .nan)
    }
    #expect(throws: ConvolveError.invalidArgument("gaussian radius is -1; it must be between 0 and 512")) {
      try Kernel.gaussian(sigma: 1, radius: -1)
    }
    #expect(throws: ConvolveError.invalidArgument("gaussian sigma 1000.0 needs radius 3000 (3σ rounded up); the largest radius is 512")) {
      try Kernel.gaussian(sigma: 1000)
    }
  }

  @Test func boxIdentityAndUnsharp() throws {
    #expect(try Kernel.box(size: 2).rows == [[0.25, 0.25], [0.25, 0.25]])
    #expect(try Kernel.box(height: 1, width: 4).rows == [[0.25, 0.25, 0.25, 0.25]])
    #expect(throws: ConvolveError.invalidArgument("box width is 0; it must be between 1 and 1025")) {
      try Kernel.box(height: 3, width: 0)
    }
    #expect(try Kernel.identity(size: 3).rows == [[0, 0, 0], [0, 1, 0], [0, 0, 0]])
    #expect(try Kernel.identity().rows == [[1]])
    #expect(throws: ConvolveError.invalidArgument("identity size is 2; it must be odd and between 1 and 1025")) {
      try Kernel.identity(size: 2)
    }
    let blur = try Kernel.gaussian(sigma: 1)
    let sharp = try Kernel.unsharp(sigma: 1, amount: 1.5)
    #expect(sharp.height == 7 && abs(sharp.sum - 1) < 1e-6)
    #expect(abs(sharp[3, 3] - (2.5 - 1.5 * blur[3, 3])) < 1e-6)
    #expect(abs(sharp[0, 2] - -1.5 * blur[0, 2]) < 1e-9)
    let identity7 = try Kernel.identity(size: 7)
    #expect(try Kernel.unsharp(sigma: 1, amount: 0) == identity7)
    #expect(throws: ConvolveError.invalidArgument("unsharp amount is -1.0; it must be a finite number of at least 0")) {
      try Kernel.unsharp(sigma: 1, amount: -1)
    }
  }
}
