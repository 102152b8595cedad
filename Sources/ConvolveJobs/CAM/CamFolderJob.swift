import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveRender
import Foundation

/// `model cam MODEL FOLDER OUTDIR`: every photo of the folder (walked, sharded and resumed as `batch` does) explained into `OUTDIR/<relative path without extension>/`, `jobs` at a time, then
/// `OUTDIR/index.html` and, with metrics, `OUTDIR/metrics.json` from every photo of the folder done so far
/// (so the last of several shards run into one OUTDIR leaves the page of all of them).
public struct CamFolderJob: Sendable {
  public var job: CamJob
  public var runner: ModelRunner
  public var preprocessing: ModelInput
  public var loading: ImageLoading
  /// The input and output folders, `--recursive`, the globs, `--shard` and `--skip-existing`.
  public var layout: BatchLayout
  public var jobs = ProcessInfo.processInfo.activeProcessorCount
  public var quiet = false
  /// The side of the photo thumbnails in the index (`photo.jpg` in each photo's folder).
  public var thumbnail = 256

  public init(job: CamJob, runner: ModelRunner, preprocessing: ModelInput, loading: ImageLoading, layout: BatchLayout) {
    (self.job, self.runner, self.preprocessing, self.loading, self.layout) = (job, runner, preprocessing, loading, layout)
  }

  /// Runs it, with progress and a summary on standard error; returns the batch's exit status when not 0.
  public func run(started: Date = Date()) throws -> Int32? {
    var layout = layout
    layout.outputIsFolder = true
    let plan: BatchPlan, everything: BatchPlan
    do {
      plan = try layout.plan(workName: "cam")
      layout.shard = nil
      everything = try layout.plan(workName: "cam")
    } catch let error as BatchUsageError {
      throw ConvolveError.invalidArgument(error.message)
    }
    try prepareDirectory(layout.outputDirectory)
    let batch = BatchRunner(
      plan: plan, jobs: jobs, failFast: false, mode: quiet ? .quiet : standardErrorIsTerminal ? .bar : .lines, started: started)
    let work = self
    batch.process { item in try work.process(item) }
    let code = batch.finish()
    if let code, code >= 128 { return code }
    try writeIndex(everything)
    return code
  }

  /// One photo into its folder (through a temporary folder renamed into place).
  public func process(_ item: BatchItem) throws -> [String] {
    let image = try loading.load(item.input)
    let (tensor, photo, _) = try modelInput(
      item.input, runner: runner, preprocessing: preprocessing, image: image, maxPixels: loading.maxPixels)
    try makeFolders(parentPath(item.output))
    return try AtomicFile.writeFolder(item.output) { folder in
      let files = try job.run(input: tensor, photo: photo, directory: folder)
      let scale = Double(thumbnail) / Double(max(image.tensor.height, image.tensor.width))
      let small = scale >= 1 ? image.tensor
        : try image.tensor.resized(
          height: max(1, Int((Double(image.tensor.height) * scale).rounded())),
          width: max(1, Int((Double(image.tensor.width) * scale).rounded())), options: ResizeMethod.bilinear.options)
      let thumb = join(folder, "photo.jpg")
      try saveImage(small.channels >= 3 ? small.firstChannels(3) : small.firstChannels(1), path: thumb)
      return files + [thumb]
    }
  }

  /// `index.html` (and with metrics `metrics.json`) over the photos of `plan` whose folder has a `cam.json`.
  func writeIndex(_ plan: BatchPlan) throws {
    var done: [(relative: String, folder: String, summary: CamSummary)] = []
    for item in plan.items where FileManager.default.fileExists(atPath: join(item.output, CamSummary.fileName)) {
      done.append((item.relative, item.output, try CamSummary.read(path: join(item.output, CamSummary.fileName))))
    }
    let out = layout.outputDirectory
    let page = CamIndexPage(
      model: lastComponent(job.path), methods: job.options.methods.map(\.rawValue), total: plan.items.count,
      photos: done.map { entry in
        CamIndexPage.Photo(
          relative: entry.relative, folder: String(entry.folder.dropFirst(out.count).drop { $0 == "/" }), summary: entry.summary)
      })
    let index = join(out, "index.html")
    try AtomicFile.write(Data(page.html().utf8), to: index)
    var lines = ["wrote \(index) (\(done.count) of \(plan.items.count) photos)"]
    if job.options.metrics {
      let file = CamMetricsFile(steps: job.options.metricSteps, summaries: done.map(\.summary))
      lines.append("wrote " + (try file.write(to: join(out, CamMetricsFile.fileName))) + ", mean over \(done.count) photos:")
      for m in file.means ?? [] {
        lines.append(
          "  \(m.method): "
            + String(
              format: "deletion AUC %.4f, insertion AUC %.4f, confidence change %+.4g (drop %.4g, rises %.0f%%), ROAD combined %+.4g",
              m.deletion, m.insertion, m.confidenceChange, m.confidenceDrop, m.confidenceIncrease * 100, m.roadCombined ?? 0)
            + " (\(m.maps) maps)")
      }
    }
    if !quiet { writeStandardError(lines.joined(separator: "\n") + "\n") }
  }
}

/// `index.html` of a folder run: one row per photo (its thumbnail, its top class, each method's overlay),
/// sortable by photo, by the top class's probability and, with metrics, by each method's AUC. No times.
public struct CamIndexPage: Sendable {
  public struct Photo: Sendable {
    public var relative: String
    /// The photo's folder relative to OUTDIR.
    public var folder: String
    public var summary: CamSummary
  }

  public var model: String
  public var methods: [String]
  /// Photos in the folder (all shards).
  public var total: Int
  public var photos: [Photo]

  public func html() -> String {
    let metrics = photos.contains { $0.summary.maps.contains { $0.deletion != nil } }
    var h = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8" />
      <title>model cam: \(htmlEscape(model))</title>
      <style>
      body { font-family: sans-serif; margin: 1.5em; color: #222; background: #fff; }
      table { border-collapse: collapse; }
      td, th { border: 1px solid #ddd; padding: 4px; vertical-align: top; font-size: 0.9em; }
      img { display: block; max-width: 200px; max-height: 200px; }
      .muted { color: #777; }
      button { margin-right: 6px; }
      </style>
      </head>
      <body>
      <h1>Why did <code>\(htmlEscape(model))</code> say that?</h1>
      <p>\(photos.count) of \(total) photo\(total == 1 ? "" : "s") done; methods \(htmlEscape(methods.joined(separator: ", "))).\
      \(metrics ? " Under each map: deletion AUC (lower is better) / insertion AUC (higher is better)." : "")</p>
      <p>Sort: <button onclick="sortBy('photo', 1)">by photo</button><button onclick="sortBy('probability', -1)">by top probability</button>
      """
    if metrics {
      for (k, m) in methods.enumerated() {
        h += "<button onclick=\"sortBy('del\(k)', 1)\">by \(htmlEscape(m)) deletion</button>"
        h += "<button onclick=\"sortBy('ins\(k)', -1)\">by \(htmlEscape(m)) insertion</button>"
      }
    }
    h += "</p>\n<table>\n<thead><tr><th>photo</th><th>top class</th>"
    for m in methods { h += "<th>\(htmlEscape(m))</th>" }
    h += "</tr></thead>\n<tbody id=\"rows\">\n"
    for (i, photo) in photos.enumerated() {
      let s = photo.summary
      let top = s.top.first
      var data = "data-photo=\"\(i)\" data-probability=\"\(top.map { String(format: "%.6g", Double($0.probability)) } ?? "0")\""
      for (k, m) in methods.enumerated() {
        if let map = s.maps.first(where: { $0.method == m && (s.explained.count == 1 || $0.class == nil || $0.class == s.explained.first) }),
          let d = map.deletion, let ins = map.insertion
        {
          data += " data-del\(k)=\"\(String(format: "%.6g", d))\" data-ins\(k)=\"\(String(format: "%.6g", ins))\""
        }
      }
      let folder = photo.folder.split(separator: "/").map { percentEncoded(String($0)) }.joined(separator: "/")
      h += "<tr \(data)><td><img src=\"\(htmlEscape(folder))/photo.jpg\" alt=\"\" />\(htmlEscape(photo.relative))</td><td>"
      if let top {
        h += htmlEscape(top.name ?? "class \(top.class)") + (top.name == nil ? "" : " (class \(top.class))")
        h += "<br /><span class=\"muted\">" + String(format: "p %.3f, score %.4g", Double(top.probability), Double(top.score)) + "</span>"
      }
      h += "</td>"
      for m in methods {
        h += "<td>"
        for map in s.maps where map.method == m {
          let file = map.overlay ?? map.map
          h += "<img src=\"\(htmlEscape(folder))/\(htmlEscape(percentEncoded(file)))\" alt=\"\(htmlEscape(m))\" />"
          if s.explained.count > 1, let c = map.class { h += "<span class=\"muted\">class \(c)</span>" }
          if let d = map.deletion, let ins = map.insertion { h += "<span class=\"muted\">" + String(format: "%.3f / %.3f", d, ins) + "</span>" }
        }
        h += "</td>"
      }
      h += "</tr>\n"
    }
    h += """
      </tbody>
      </table>
      <script>
      function sortBy(key, sign) {
        var box = document.getElementById('rows');
        var rows = Array.prototype.slice.call(box.children);
        rows.sort(function (a, b) {
          var x = parseFloat(a.dataset[key]), y = parseFloat(b.dataset[key]);
          if (isNaN(x) !== isNaN(y)) { return isNaN(x) ? 1 : -1; }
          var d = sign * (x - y);
          return d !== 0 && !isNaN(d) ? d : parseFloat(a.dataset.photo) - parseFloat(b.dataset.photo);
        });
        rows.forEach(function (r) { box.appendChild(r); });
      }
      </script>
      </body>
      </html>

      """
    return h
  }

  private func percentEncoded(_ s: String) -> String {
    s.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? s
  }
}
