import ConvolveCore
import ConvolveFormats
import Foundation

/// `cam.json` beside one input's maps: the ranked classes, the explained ones and each map's files (with
/// their deletion and insertion AUC under `--metrics`). No times, so that a run gives the same bytes again.
public struct CamSummary: Codable, Sendable, Equatable {
  public static let fileName = "cam.json"

  public struct Ranked: Codable, Sendable, Equatable {
    public var `class`: Int
    public var name: String?
    public var score: Float
    /// The softmax of the scores, or the score when the output already is probabilities; for a segmenter the
    /// share of the pixels where the class is the argmax.
    public var probability: Float
  }

  public struct MapFiles: Codable, Sendable, Equatable {
    public var method: String
    /// Nil for a class-independent map (EigenCAM).
    public var `class`: Int?
    public var map: String
    public var overlay: String?
    public var deletion: Double?
    public var insertion: Double?
    public var confidenceChange: Double?
    /// ROAD (`CAMMetricScores`): MoRF and LeRF mean score changes, and `(LeRF − MoRF) / 2`.
    public var roadMostRelevantFirst: Double?
    public var roadLeastRelevantFirst: Double?
    public var roadCombined: Double?
  }

  public var output: String
  public var layer: String
  /// The five best classes.
  public var top: [Ranked]
  public var explained: [Int]
  public var maps: [MapFiles] = []

  public init(_ result: CamResult, labels: [String]?) {
    let probabilities = result.target?.shares ?? (areProbabilities(result.scores) ? result.scores : softmax(result.scores))
    (output, layer, explained) = (result.output, result.layer, result.classes)
    top = (result.target?.ranking(scores: result.scores) ?? rankedClasses(result.scores)).prefix(5).map { i in
      Ranked(
        class: i, name: labels.flatMap { i < $0.count && !$0[i].isEmpty ? $0[i] : nil }, score: result.scores[i],
        probability: probabilities[i])
    }
  }

  /// Writes it as sorted, indented JSON; returns the path.
  public func write(to path: String) throws -> String {
    try AtomicFile.write(try camJSON(self), to: path)
    return path
  }

  public static func read(path: String) throws -> CamSummary {
    do {
      return try JSONDecoder().decode(CamSummary.self, from: try Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
      throw ConvolveError.file(path: path, reason: "not a cam.json of `model cam` (\(error)); remove it or run without --skip-existing")
    }
  }
}

/// `metrics.json`: each map's deletion and insertion AUC (RISE), for one input or, over a folder, their means.
public struct CamMetricsFile: Codable, Sendable, Equatable {
  public static let fileName = "metrics.json"

  public struct Mean: Codable, Sendable, Equatable {
    public var method: String
    /// The maps averaged (photos times explained classes).
    public var maps: Int
    public var deletion: Double
    public var insertion: Double
    /// pytorch-grad-cam's averages: the mean change, the mean of its drops (`DropInConfidence`, negative
    /// changes as positive numbers, rises as 0) and the share of rises (`IncreaseInConfidence`).
    public var confidenceChange: Double
    public var confidenceDrop: Double
    public var confidenceIncrease: Double
    /// ROAD's means (pytorch-grad-cam's `ROADMostRelevantFirstAverage`, `ROADLeastRelevantFirstAverage`,
    /// `ROADCombined`, each averaged over the maps that have them; nil when none has).
    public var roadMostRelevantFirst: Double?
    public var roadLeastRelevantFirst: Double?
    public var roadCombined: Double?
  }

  public var definition =
    "deletion and insertion as RISE (Petsiuk et al. 2018): the class's probability as the map's strongest pixels are set to 0 (deletion, lower is better) or put back into the blurred input (insertion, higher is better), area under the curve over [0, 1]; confidenceChange as pytorch-grad-cam's CamMultImageConfidenceChange: the class's score for the input times the map (scaled to [0, 1]) minus its score; ROAD as pytorch-grad-cam's road.py: the class's score change when the pixels above the map's 10th, 20th, ..., 90th percentile (roadMostRelevantFirst, lower is better) or below its 90th, ..., 10th (roadLeastRelevantFirst, higher is better) are filled by noisy linear imputation, averaged; roadCombined = (LeRF - MoRF) / 2, higher is better"
  public var steps: Int
  /// One input's maps.
  public var maps: [CamSummary.MapFiles]?
  /// Over a folder: the number of photos and each method's means.
  public var photos: Int?
  public var means: [Mean]?

  public init(steps: Int, maps: [CamSummary.MapFiles]) { (self.steps, self.maps) = (steps, maps) }

  /// Each method's mean over `summaries` (methods in their first appearance's order).
  public init(steps: Int, summaries: [CamSummary]) {
    self.steps = steps
    photos = summaries.count
    var order: [String] = []
    var sums: [String: [Double]] = [:]  // maps, deletion, insertion, change, drop, rises, MoRF, LeRF, combined, ROAD's maps
    for summary in summaries {
      for map in summary.maps {
        guard let d = map.deletion, let i = map.insertion else { continue }
        if sums[map.method] == nil { order.append(map.method) }
        let change = map.confidenceChange ?? 0
        let add = [
          1, d, i, change, max(0, -change), change > 0 ? 1 : 0, map.roadMostRelevantFirst ?? 0, map.roadLeastRelevantFirst ?? 0,
          map.roadCombined ?? 0, map.roadCombined == nil ? 0 : 1,
        ]
        sums[map.method] = zip(sums[map.method] ?? [Double](repeating: 0, count: add.count), add).map(+)
      }
    }
    means = order.map { m in
      let s = sums[m]!
      return Mean(
        method: m, maps: Int(s[0]), deletion: s[1] / s[0], insertion: s[2] / s[0], confidenceChange: s[3] / s[0],
        confidenceDrop: s[4] / s[0], confidenceIncrease: s[5] / s[0], roadMostRelevantFirst: s[9] > 0 ? s[6] / s[9] : nil,
        roadLeastRelevantFirst: s[9] > 0 ? s[7] / s[9] : nil, roadCombined: s[9] > 0 ? s[8] / s[9] : nil)
    }
  }

  public func write(to path: String) throws -> String {
    try AtomicFile.write(try camJSON(self), to: path)
    return path
  }
}

private func camJSON<T: Encodable>(_ value: T) throws -> Data {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
  var data = try encoder.encode(value)
  data.append(0x0A)
  return data
}
