import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import Foundation

/// A self-contained HTML page about one pipeline run: the input photo, then every stage in order with its
/// operation, output shape, time, value range (whole stage and per map) and output image. Images are
/// referenced by paths relative to the page, so the page goes beside the PNGs it shows. The markup is
/// XHTML-compatible (every element closed, every attribute quoted) and uses no script.
public struct RunReport: Sendable {
  /// One stage as run.
  public struct StageEntry: Sendable {
    public var name: String
    /// What the stage does, e.g. `conv 10 filters 9x9x3, stride 1, padding same`.
    public var operation: String
    public var channels: Int, height: Int, width: Int
    public var milliseconds: Double
    public var stats: ValueStats
    public var mapStats: [ValueStats]
    /// The stage's picture, relative to the page; nil when none was written.
    public var image: String?
    /// Every file written for the stage, relative to the page.
    public var files: [String]
    public var saved: Bool
    /// The shape as shown; `CxHxW` unless the tensor has another rank.
    public var shapeText: String?

    public var shape: String { shapeText ?? "\(channels)x\(height)x\(width)" }
  }

  public var title: String
  public var description: String
  /// The input's file name, its shape and a preview relative to the page.
  public var inputName: String
  public var inputShape: (channels: Int, height: Int, width: Int)
  public var inputImage: String?
  /// A heat map over the input photo (`run --overlay`), relative to the page, shown after the input.
  public var overlayImage: String?
  public var overlayCaption = "the mean of the last stage's maps over the photo, its opacity following the map"
  public var stages: [StageEntry] = []
  /// The command that made the page, for its footer line.
  public var command = "convolve run"
  /// Give a section (per-map table, picture) only to rows with a picture; the rest stay in the table (a
  /// model has hundreds of nodes).
  public var sectionsOnlyWithImages = false

  /// At most this many rows in a stage's per-map table; the rest are counted.
  public static let maxMapRows = 256

  public init(pipeline: Pipeline, inputName: String, input: Tensor, inputImage: String?) {
    self.init(title: pipeline.name, description: pipeline.description, inputName: inputName, input: input, inputImage: inputImage)
  }

  public init(title: String, description: String, inputName: String, input: Tensor, inputImage: String?) {
    self.title = title
    self.description = description
    self.inputName = inputName
    inputShape = (input.channels, input.height, input.width)
    self.inputImage = inputImage
  }

  /// Adds stage `stage` with its output `t`, the time its operation took and the files written for it
  /// (any paths; only their last component is kept, as the page sits in the same folder).
  public mutating func add(_ stage: Pipeline.Stage, output t: Tensor, milliseconds: Double, files: [String]) {
    add(name: stage.name, operation: stage.operation.summary, output: t, milliseconds: milliseconds, files: files, saved: stage.save)
  }

  /// Adds a row: any named step (a graph node, say) with its output, time and files; `shape` replaces the
  /// `CxHxW` text for tensors of another rank.
  public mutating func add(
    name: String, operation: String, output t: Tensor, shape: String? = nil, milliseconds: Double, files: [String],
    saved: Bool = true
  ) {
    let names = files.map { ($0 as NSString).lastPathComponent }
    stages.append(
      StageEntry(
        name: name, operation: operation, channels: t.channels, height: t.height,
        width: t.width, milliseconds: milliseconds, stats: ValueStats(t), mapStats: ValueStats.perChannel(t),
        image: names.first { $0.lowercased().hasSuffix(".png") }, files: names, saved: saved, shapeText: shape))
  }

  /// The page.
  public func html() -> String {
    var h = """
      <!DOCTYPE html>
      <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
      <head>
      <meta charset="utf-8" />
      <title>\(esc(title)) - convolve report</title>
      <style>
      body { font-family: sans-serif; margin: 1.5em; color: #222; background: #fff; max-width: 1100px; }
      h1 { margin-bottom: 0.2em; }
      section { border-top: 1px solid #ccc; padding: 0.6em 0; }
      table { border-collapse: collapse; font-size: 0.9em; }
      td, th { border: 1px solid #ddd; padding: 2px 8px; text-align: right; }
      th { background: #f0f0f0; }
      td.l, th.l { text-align: left; }
      code { background: #f4f4f4; padding: 0 3px; }
      img { max-width: 100%; image-rendering: pixelated; border: 1px solid #ccc; margin-top: 0.4em; min-width: 256px; }
      .muted { color: #777; }
      </style>
      </head>
      <body>
      <h1>\(esc(title))</h1>

      """
    if !description.isEmpty { h += "<p>\(esc(description))</p>\n" }
    let total = stages.reduce(0) { $0 + $1.milliseconds }
    h += "<p class=\"muted\">\(stages.count) stages, \(ms(total)) in all, written by \(esc(command)).</p>\n"
    h += "<h2>Stages</h2>\n<table>\n<tr><th>#</th><th class=\"l\">stage</th><th class=\"l\">operation</th>"
    h += "<th>shape CxHxW</th><th>ms</th><th>min</th><th>max</th><th>mean</th></tr>\n"
    h += "<tr><td>0</td><td class=\"l\">input</td><td class=\"l\">\(esc(inputName))</td>"
    h += "<td>\(inputShape.channels)x\(inputShape.height)x\(inputShape.width)</td><td></td><td></td><td></td><td></td></tr>\n"
    for (i, s) in stages.enumerated() {
      let link = !sectionsOnlyWithImages || s.image != nil
      h += "<tr><td>\(i + 1)</td><td class=\"l\">" + (link ? "<a href=\"#stage-\(i + 1)\">\(esc(s.name))</a>" : esc(s.name)) + "</td>"
      h += "<td class=\"l\"><code>\(esc(s.operation))</code></td><td>\(s.shape)</td><td>\(ms(s.milliseconds))</td>"
      h += "<td>\(num(s.stats.min))</td><td>\(num(s.stats.max))</td><td>\(num(s.stats.mean))</td></tr>\n"
    }
    h += "</table>\n"
    h += "<section id=\"input\">\n<h2>Input: \(esc(inputName))</h2>\n"
    h += "<p>\(inputShape.channels)x\(inputShape.height)x\(inputShape.width) (channels x height x width)</p>\n"
    if let inputImage { h += image(inputImage, alt: "input \(inputName)") }
    h += "</section>\n"
    if let overlayImage {
      h += "<section id=\"overlay\">\n<h2>Overlay</h2>\n<p>\(esc(overlayCaption))</p>\n"
      h += image(overlayImage, alt: "overlay on \(inputName)") + "</section>\n"
    }
    for (i, s) in stages.enumerated() where !sectionsOnlyWithImages || s.image != nil { h += section(i + 1, s) }
    h += "</body>\n</html>\n"
    return h
  }

  /// Writes the page as `directory/name` and returns its path.
  @discardableResult
  public func write(directory: String, name: String = "report.html") throws -> String {
    let path = (directory as NSString).appendingPathComponent(name)
    try AtomicFile.write(Data(html().utf8), to: path)
    return path
  }

  private func section(_ number: Int, _ s: StageEntry) -> String {
    var h = "<section id=\"stage-\(number)\">\n<h2>\(number). \(esc(s.name))</h2>\n"
    h += "<p><code>\(esc(s.operation))</code> - output \(s.shape), \(ms(s.milliseconds))</p>\n"
    h += "<p>values: min \(num(s.stats.min)), max \(num(s.stats.max)), mean \(num(s.stats.mean))</p>\n"
    h += "<details>\n<summary>per map (\(s.channels))</summary>\n<table>\n"
    h += "<tr><th>map</th><th>min</th><th>max</th><th>mean</th></tr>\n"
    for (c, m) in s.mapStats.prefix(Self.maxMapRows).enumerated() {
      h += "<tr><td>\(c)</td><td>\(num(m.min))</td><td>\(num(m.max))</td><td>\(num(m.mean))</td></tr>\n"
    }
    if s.mapStats.count > Self.maxMapRows {
      h += "<tr><td class=\"l\" colspan=\"4\">... \(s.mapStats.count - Self.maxMapRows) more</td></tr>\n"
    }
    h += "</table>\n</details>\n"
    if let picture = s.image {
      h += image(picture, alt: "output of \(s.name)")
    } else if !s.saved {
      h += "<p class=\"muted\">not saved (the pipeline says \"save\": false)</p>\n"
    } else {
      h += "<p class=\"muted\">no picture for a \(s.shape) output</p>\n"
    }
    let overlays = s.files.filter { $0 != s.image && $0.lowercased().hasSuffix("-overlay.png") }
    for picture in overlays { h += image(picture, alt: "\(s.name) over the photo") }
    let others = s.files.filter { $0 != s.image && !overlays.contains($0) }
    if !others.isEmpty {
      h += "<p class=\"muted\">also written: "
      h += others.map { "<a href=\"\(esc(urlPath($0)))\">\(esc($0))</a>" }.joined(separator: ", ")
      h += "</p>\n"
    }
    return h + "</section>\n"
  }

  private func image(_ path: String, alt: String) -> String {
    "<div><img src=\"\(esc(urlPath(path)))\" alt=\"\(esc(alt))\" /></div>\n"
  }
}

/// `text` with `&`, `<`, `>`, `"` and `'` replaced by character references, for HTML text and attribute values.
public func htmlEscape(_ text: String) -> String {
  var out = ""
  out.reserveCapacity(text.utf8.count)
  for ch in text {
    switch ch {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    case "'": out += "&#39;"
    default: out.append(ch)
    }
  }
  return out
}

private func esc(_ text: String) -> String { htmlEscape(text) }

/// A relative file path as a URL path (`#`, `?`, spaces and the like percent-encoded).
private func urlPath(_ path: String) -> String {
  var allowed = CharacterSet.urlPathAllowed
  allowed.remove(charactersIn: "?#;")
  return path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
}

private func num(_ v: Float) -> String { v.isNaN ? "nan" : String(format: "%.4g", Double(v)) }

private func ms(_ v: Double) -> String { String(format: v < 10 ? "%.2f ms" : "%.1f ms", v) }

extension Pipeline.Operation {
  /// One line naming the operation and its parameters, e.g. `conv 10 filters 9x9x3, stride 1, padding same`,
  /// `pool max 2x2 stride 2`, `activation relu`.
  public var summary: String {
    switch self {
    case .conv(let bank, let g):
      var parts = ["conv \(filters(bank)), stride \(pair(g.strideY, g.strideX))"]
      switch g.padding {
      case .same: parts.append("padding same")
      case .explicit(let p): parts.append("padding \(padding(p))")
      }
      if g.dilationY != 1 || g.dilationX != 1 { parts.append("dilation \(pair(g.dilationY, g.dilationX))") }
      if g.groups != 1 { parts.append("groups \(g.groups)") }
      if g.floor { parts.append("floor") }
      if !bank.bias.isEmpty { parts.append("bias") }
      return parts.joined(separator: ", ")
    case .transposedConv(let bank, let g):
      // The bank is laid out [in][out/groups][kh][kw], as PyTorch's conv_transpose2d.
      var parts = [
        "conv-transpose \(bank.kernelHeight)x\(bank.kernelWidth), \(bank.outChannels) -> "
          + "\(bank.inChannelsPerGroup * g.groups) channels, stride \(pair(g.strideY, g.strideX)), "
          + "padding \(pair(g.paddingY, g.paddingX))"
      ]
      if g.outputPaddingY != 0 || g.outputPaddingX != 0 {
        parts.append("output padding \(pair(g.outputPaddingY, g.outputPaddingX))")
      }
      if g.dilationY != 1 || g.dilationX != 1 { parts.append("dilation \(pair(g.dilationY, g.dilationX))") }
      if g.groups != 1 { parts.append("groups \(g.groups)") }
      if !bank.bias.isEmpty { parts.append("bias") }
      return parts.joined(separator: ", ")
    case .activation(let a): return "activation \(a)"
    case .pool(let p):
      let kind = p.kind == .average ? "avg" : p.kind.rawValue
      var text = "pool \(kind) \(p.kernelHeight)x\(p.kernelWidth) stride \(pair(p.strideY, p.strideX))"
      if p.padding != .zero { text += " padding \(padding(p.padding))" }
      if p.rounding != .strict { text += " \(p.rounding.rawValue)" }
      return text
    case .globalAveragePool: return "global average pool"
    case .upsample(let scale, let method): return "upsample x\(String(format: "%g", scale)) \(method.rawValue)"
    case .flatten: return "flatten"
    }
  }

  private func filters(_ bank: FilterBank) -> String {
    "\(bank.outChannels) filter\(bank.outChannels == 1 ? "" : "s") "
      + "\(bank.kernelHeight)x\(bank.kernelWidth)x\(bank.inChannelsPerGroup)"
  }

  private func pair(_ y: Int, _ x: Int) -> String { y == x ? "\(y)" : "\(y),\(x)" }

  private func padding(_ p: Padding) -> String {
    if p.top == p.bottom && p.left == p.right { return pair(p.top, p.left) }
    return "\(p.top),\(p.bottom),\(p.left),\(p.right)"
  }
}
