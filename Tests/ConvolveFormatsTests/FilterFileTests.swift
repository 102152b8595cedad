import ConvolveTestSupport
import ConvolveCore
import Foundation
import Testing
import ConvolveCNN
@testable import ConvolveFormats

private func parse(_ json: String, path: String = "Filters/x.json") throws -> FilterDefinition {
  try FilterDefinition(json: Data(json.utf8), path: path)
}

@Suite struct FilterFileTests {
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
    #expect(throws: ConvolveError.file(path: "/no/such/file.json", reason: "cannot be read: No such file or directory")) {
      try FilterDefinition(contentsOf: "/no/such/file.json")
    }
  }
}
