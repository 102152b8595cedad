import ConvolveTestSupport
import ConvolveCore
import Foundation
import Testing
import ConvolveCNN
import ConvolveFormats
@testable import ConvolveRender

/// The HTML run report: well-formed, its images on disk, every stage named with its shape, text escaped.
@Suite struct ReportTests {
  /// Runs `pipeline` on `input` as `convolve run --report` does (a montage per saved stage, `00-input.png`)
  /// into a fresh folder; returns the folder and the page.
  static func generate(_ pipeline: Pipeline, _ input: Tensor) throws -> (URL, String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("convolve-report-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try saveImage(mapOutput(input, .clip), path: dir.appendingPathComponent("00-input.png").path)
    var report = RunReport(pipeline: pipeline, inputName: "synthetic <edges>.png", input: input, inputImage: "00-input.png")
    try pipeline.run(input) { i, stage, output in
      var files: [String] = []
      if stage.save && (output.height > 1 || output.width > 1) {
        let path = dir.appendingPathComponent(String(format: "%02d-", i + 1) + stage.name + ".png").path
        try saveImage(montage(mapOutput(output, .normalize, perChannel: true)), path: path)
        files.append(path)
      }
      report.add(stage, output: output, milliseconds: Double(i) * 1.5, files: files)
    }
    let path = try report.write(directory: dir.path)
    #expect(path == dir.appendingPathComponent("report.html").path)
    return (dir, try String(contentsOfFile: path, encoding: .utf8))
  }

  @Test(arguments: ["lecture.json", "edges.json", "colour.json"])
  func reportOfALibraryPipelineIsWellFormedAndComplete(_ file: String) throws {
    var pipeline = try ExamplePipelines.load(file)
    // One stage that is not saved and one whose 1x1 output has no picture.
    pipeline.stages.append(.init(name: "hidden", operation: .activation(.identity), save: false))
    pipeline.stages.append(.init(name: "vector", operation: .flatten))
    let (dir, html) = try Self.generate(pipeline, ExamplePipelines.synthetic)
    #expect(XHTMLCheck.problems(html) == [])
    #expect(!html.lowercased().contains("<script"))
    let sources = XHTMLCheck.imageSources(html)
    #expect(sources.count == pipeline.stages.count - 2 + 1)  // every saved picture and the input
    for src in sources {
      #expect(!src.contains(":") && !src.hasPrefix("/"), "not relative: \(src)")
      let path = dir.appendingPathComponent(src.removingPercentEncoding ?? src).path
      #expect(FileManager.default.fileExists(atPath: path), "missing \(src)")
    }
    var outputs: [Tensor] = []
    try pipeline.run(ExamplePipelines.synthetic) { _, _, x in outputs.append(x) }
    for (stage, output) in zip(pipeline.stages, outputs) {
      #expect(html.contains(">\(stage.name)<"), "stage \(stage.name)")
      #expect(html.contains("\(output.channels)x\(output.height)x\(output.width)"), "shape of \(stage.name)")
      #expect(html.contains(htmlEscape(stage.operation.summary)))
    }
    #expect(html.contains("<details>"))
    #expect(html.contains(htmlEscape(pipeline.description)))
    #expect(html.contains("not saved"))
  }

  @Test func pipelineAndStageNamesAreEscaped() throws {
    let name = "<script>alert('x')</script> & \"co\""
    let pipeline = Pipeline(
      name: name, description: "a <b>bold</b> claim",
      stages: [.init(name: "pool <i>", operation: .pool(Pooling(.max, kernel: 2)))])
    let (dir, html) = try Self.generate(pipeline, ExamplePipelines.synthetic)
    #expect(XHTMLCheck.problems(html) == [])
    #expect(!html.contains("<script"))
    #expect(!html.contains("<b>") && !html.contains("<i>"))
    #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;co&quot;"))
    #expect(html.contains("a &lt;b&gt;bold&lt;/b&gt; claim"))
    #expect(html.contains("synthetic &lt;edges&gt;.png"))
    // The stage's file name has a space, < and >: percent-encoded in the src, found again on disk.
    let sources = XHTMLCheck.imageSources(html)
    #expect(sources.contains("01-pool%20%3Ci%3E.png"))
    for src in sources {
      #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(src.removingPercentEncoding!).path))
    }
  }

  @Test func escapingHelperReplacesTheFiveCharacters() {
    #expect(htmlEscape(#"a&b<c>d"e'f"#) == "a&amp;b&lt;c&gt;d&quot;e&#39;f")
    #expect(htmlEscape("plain text, ünïcode") == "plain text, ünïcode")
    #expect(htmlEscape("&amp;") == "&amp;amp;")
  }

  @Test func operationsAreSummarisedWithTheirParameters() throws {
    let bank = try FilterBank(
      outChannels: 10, inChannelsPerGroup: 3, kernelHeight: 9, kernelWidth: 9,
      weights: [Float](repeating: 0, count: 10 * 3 * 81))
    #expect(Pipeline.Operation.conv(bank, LayerGeometry(padding: .same)).summary == "conv 10 filters 9x9x3, stride 1, padding same")
    #expect(
      Pipeline.Operation.conv(bank, LayerGeometry(stride: 2, padding: .uniform(4), dilation: 2)).summary
        == "conv 10 filters 9x9x3, stride 2, padding 4, dilation 2, floor")  // strides round down by default
    #expect(Pipeline.Operation.pool(Pooling(.max, kernel: 2)).summary == "pool max 2x2 stride 2 floor")
    #expect(Pipeline.Operation.pool(Pooling(.max, kernel: 2, rounding: .strict)).summary == "pool max 2x2 stride 2")
    #expect(Pipeline.Operation.pool(Pooling(.average, kernel: 3, stride: 1, rounding: .ceil)).summary == "pool avg 3x3 stride 1 ceil")
    #expect(Pipeline.Operation.activation(.relu).summary == "activation relu")
    #expect(Pipeline.Operation.activation(.leakyReLU(slope: 0.1)).summary == "activation leaky-relu:0.1")
    #expect(Pipeline.Operation.upsample(scale: 2, method: .bilinear).summary == "upsample x2 bilinear")
    #expect(Pipeline.Operation.flatten.summary == "flatten")
    #expect(
      Pipeline.Operation.transposedConv(bank, TransposedGeometry(stride: 2, padding: 1)).summary
        == "conv-transpose 9x9, 10 -> 3 channels, stride 2, padding 1")
  }

  @Test func checkerCatchesBrokenMarkup() {
    #expect(XHTMLCheck.problems("<html><p>fine &amp; dandy<img src=\"a.png\" /></p></html>") == [])
    #expect(!XHTMLCheck.problems("<html><p><b>crossed</p></b></html>").isEmpty)
    #expect(!XHTMLCheck.problems("<html><img src=\"a.png\"></html>").isEmpty)
    #expect(!XHTMLCheck.problems("<html><p class=x>unquoted</p></html>").isEmpty)
    #expect(!XHTMLCheck.problems("<html>a & b</html>").isEmpty)
    #expect(!XHTMLCheck.problems("<html><p>open</html>").isEmpty)
    #expect(!XHTMLCheck.problems("<html></html><p></p>").isEmpty)
  }
}

/// A small XML well-formedness checker for the report's XHTML-compatible markup.
enum XHTMLCheck {
  /// What is wrong with `text` as XML (an optional doctype, then one root element); empty when well-formed.
  static func problems(_ text: String) -> [String] {
    let s = Array(text.unicodeScalars)
    var i = 0
    var stack: [String] = []
    var roots = 0
    var problems: [String] = []
    func starts(_ prefix: String, at j: Int) -> Bool {
      let p = Array(prefix.unicodeScalars)
      return j + p.count <= s.count && Array(s[j ..< j + p.count]) == p
    }
    func isNameChar(_ c: Unicode.Scalar) -> Bool {
      CharacterSet.alphanumerics.contains(c) || c == "-" || c == "_" || c == ":" || c == "."
    }
    func name(from j: inout Int) -> String {
      var n = ""
      while j < s.count && isNameChar(s[j]) { n.unicodeScalars.append(s[j]); j += 1 }
      return n
    }
    func skipSpace(_ j: inout Int) { while j < s.count && CharacterSet.whitespacesAndNewlines.contains(s[j]) { j += 1 } }
    func checkReference(at j: Int) -> Bool {
      guard let end = s[j...].prefix(12).firstIndex(of: ";") else { return false }
      let body = String(String.UnicodeScalarView(s[j + 1 ..< end]))
      if ["amp", "lt", "gt", "quot", "apos"].contains(body) { return true }
      if body.hasPrefix("#x") { return body.count > 2 && Int(body.dropFirst(2), radix: 16) != nil }
      if body.hasPrefix("#") { return body.count > 1 && Int(body.dropFirst()) != nil }
      return false
    }
    if starts("<!DOCTYPE", at: 0) { i = (s.firstIndex(of: ">") ?? s.count - 1) + 1 }
    while i < s.count && problems.count < 10 {
      let c = s[i]
      if c == "&" {
        if !checkReference(at: i) { problems.append("bad character reference at \(i)") }
        i += 1
      } else if c != "<" {
        if stack.isEmpty && !CharacterSet.whitespacesAndNewlines.contains(c) {
          problems.append("text outside the root element at \(i)")
        }
        i += 1
      } else if starts("<!--", at: i) {
        var j = i + 4
        while j < s.count && !starts("-->", at: j) { j += 1 }
        if j >= s.count { problems.append("unclosed comment at \(i)") }
        i = j + 3
      } else if starts("</", at: i) {
        var j = i + 2
        let n = name(from: &j)
        skipSpace(&j)
        if j >= s.count || s[j] != ">" { problems.append("bad end tag </\(n) at \(i)") }
        if stack.last == n { stack.removeLast() } else { problems.append("</\(n)> at \(i) closes <\(stack.last ?? "nothing")>") }
        i = j + 1
      } else {
        var j = i + 1
        let n = name(from: &j)
        if n.isEmpty { problems.append("bare < at \(i)"); i += 1; continue }
        var seen: Set<String> = []
        var closed = false, selfClosing = false
        while j < s.count {
          skipSpace(&j)
          if s[j] == ">" { closed = true; j += 1; break }
          if starts("/>", at: j) { closed = true; selfClosing = true; j += 2; break }
          let attribute = name(from: &j)
          if attribute.isEmpty || !seen.insert(attribute).inserted {
            problems.append("bad or repeated attribute in <\(n)> at \(j)"); break
          }
          skipSpace(&j)
          guard j < s.count, s[j] == "=" else { problems.append("attribute \(attribute) without value in <\(n)>"); break }
          j += 1
          skipSpace(&j)
          guard j < s.count, s[j] == "\"" || s[j] == "'" else { problems.append("unquoted \(attribute) in <\(n)>"); break }
          let quote = s[j]
          j += 1
          while j < s.count && s[j] != quote {
            if s[j] == "<" { problems.append("< in attribute \(attribute) of <\(n)>") }
            if s[j] == "&" && !checkReference(at: j) { problems.append("bad reference in attribute \(attribute)") }
            j += 1
          }
          j += 1
        }
        if !closed { problems.append("unclosed tag <\(n) at \(i)"); break }
        if stack.isEmpty {
          roots += 1
          if roots > 1 { problems.append("second root element <\(n)> at \(i)") }
        }
        if !selfClosing { stack.append(n) }
        i = j
      }
    }
    if !stack.isEmpty { problems.append("unclosed: \(stack.joined(separator: " > "))") }
    if roots == 0 { problems.append("no root element") }
    return problems
  }

  /// The `src` of every `<img>`, with character references resolved.
  static func imageSources(_ html: String) -> [String] {
    html.components(separatedBy: "<img ").dropFirst().compactMap { tag in
      guard let start = tag.range(of: "src=\"") else { return nil }
      let rest = tag[start.upperBound...]
      guard let end = rest.firstIndex(of: "\"") else { return nil }
      return String(rest[..<end]).replacingOccurrences(of: "&quot;", with: "\"")
        .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&lt;", with: "<")
        .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }
  }
}
