import ConvolveCore
import ConvolveFormats
import Foundation

/// `index.html` of a top-patches folder: what was run, then every channel's grid, sortable by channel or by
/// peak activation (a few lines of inline JavaScript; nothing is fetched). The page holds no dates or timings,
/// so the same entries give the same bytes.
public struct TopPatchesPage: Sendable {
  /// One channel's grid.
  public struct Card: Sendable {
    public var channel: Int
    /// The grid's file name; nil when no photo gave the channel an entry.
    public var image: String?
    public var peak: Float?
    public var count: Int
  }

  public var title: String
  public var file: TopPatchesFile
  public var cards: [Card]

  public func html() -> String {
    let s = file.settings
    let field = file.field.map { f in
      "receptive field \(pair(f.size)) input pixels, jump \(pair(f.jump))"
    } ?? "receptive field unknown (no photo was read)"
    var h = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8" />
      <title>\(htmlEscape(title))</title>
      <style>
      body { font-family: sans-serif; margin: 1.5em; color: #222; background: #fff; }
      #grids { display: flex; flex-wrap: wrap; gap: 12px; }
      figure { margin: 0; border: 1px solid #ddd; padding: 6px; }
      figcaption { font-size: 0.9em; margin-bottom: 4px; }
      img { display: block; image-rendering: pixelated; }
      .muted { color: #777; }
      button { margin-right: 6px; }
      </style>
      </head>
      <body>
      <h1>\(htmlEscape(title))</h1>
      <p>For each channel of <code>\(htmlEscape(s.layer))</code> in \(htmlEscape(s.kind)) <code>\(htmlEscape(s.source))</code>, \
      the \(s.k) strongest activations over \(file.photos.count) photo\(file.photos.count == 1 ? "" : "s") \
      (at most \(s.perPhoto) per photo, each at least half a receptive field from the others), each shown as \
      the patch of the photo its position sees, labelled with the activation; grey is outside the photo.</p>
      <p class="muted">\(htmlEscape(field)); model input: \(htmlEscape(s.preprocessing)); channels \(htmlEscape(channelListText(s.channels))).</p>
      <p>Sort: <button onclick="sortBy('channel', 1)">by channel</button><button onclick="sortBy('peak', -1)">by peak activation</button></p>
      <div id="grids">

      """
    for card in cards {
      let peak = card.peak.map { String(format: "%.6g", Double($0)) } ?? "-Infinity"
      h += "<figure data-channel=\"\(card.channel)\" data-peak=\"\(peak)\">"
      h += "<figcaption>channel \(card.channel)"
      if let p = card.peak { h += " · peak \(htmlEscape(legendText(p))) · \(card.count) patch\(card.count == 1 ? "" : "es")" }
      h += "</figcaption>"
      if let image = card.image {
        h += "<img src=\"\(htmlEscape(image))\" alt=\"top patches of channel \(card.channel)\" />"
      } else {
        h += "<p class=\"muted\">no activation (no photo read)</p>"
      }
      h += "</figure>\n"
    }
    h += """
      </div>
      <script>
      function sortBy(key, sign) {
        var box = document.getElementById('grids');
        var cards = Array.prototype.slice.call(box.children);
        cards.sort(function (a, b) {
          var d = sign * (parseFloat(a.dataset[key]) - parseFloat(b.dataset[key]));
          return d !== 0 && !isNaN(d) ? d : parseFloat(a.dataset.channel) - parseFloat(b.dataset.channel);
        });
        cards.forEach(function (c) { box.appendChild(c); });
      }
      </script>
      </body>
      </html>

      """
    return h
  }

  private func pair(_ v: [Double]) -> String {
    let t = v.map { $0 == $0.rounded() ? String(Int($0)) : String(format: "%.2f", $0) }
    return t.count == 2 && t[0] == t[1] ? t[0] : t.joined(separator: "x")
  }

  private func legendText(_ v: Float) -> String { String(format: "%.4g", Double(v)) }
}
