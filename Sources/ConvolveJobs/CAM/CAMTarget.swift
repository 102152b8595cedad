import ConvolveCNN
import ConvolveCore
import Foundation

/// Which pixels of a segmenter's output `--target` sums a class's scores over.
public enum CAMRegion: Equatable, Sendable {
  /// The pixels where the class is the argmax of the output (pytorch-grad-cam's segmentation tutorial).
  case argmax
  /// Every output pixel whose centre lies in `[x0, x1) × [y0, y1)`, in model-input pixels.
  case box(x0: Int, y0: Int, x1: Int, y1: Int)

  /// `argmax` or `x0,y0,x1,y1`.
  public init(parsing text: String) throws {
    if text.lowercased() == "argmax" {
      self = .argmax
      return
    }
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard parts.count == 4, let x0 = parts[0], let y0 = parts[1], let x1 = parts[2], let y1 = parts[3], x0 >= 0, y0 >= 0, x0 < x1, y0 < y1
    else {
      throw ConvolveError.invalidArgument("--target \(text): use argmax or a box x0,y0,x1,y1 in model input pixels (0 <= x0 < x1, 0 <= y0 < y1)")
    }
    self = .box(x0: x0, y0: y0, x1: x1, y1: y1)
  }
}

/// The score a class's maps explain. For a classifier (an output of K values) the class's output value; for
/// a segmenter (an output of 1×K×H×W) the sum of the class's output over its region: the pixels where it is
/// the argmax of the unperturbed output, or a box (pytorch-grad-cam's `SemanticSegmentationTarget` with
/// that mask). The region is fixed by the first output, so that masked or perturbed inputs are scored over
/// the same pixels.
public struct CAMTarget: Sendable {
  public let classCount: Int
  /// One item's output shape (without the batch).
  public let itemShape: [Int]
  public let region: CAMRegion?
  /// A segmenter's pixels: each one's argmax class, and whether it counts (in the box; all for argmax).
  let owner: [Int]?, counted: [Bool]?
  /// Whether the output already is probabilities (rows summing to 1; for a segmenter, each pixel's K values).
  public let normalised: Bool

  public var isSegmenter: Bool { owner != nil }

  /// The target of `output` (the model's output for the explained input, batch 1); `region` only for a
  /// segmenter (nil: `argmax`), the box in the `inputHeight × inputWidth` input's pixels.
  public init(output: GraphTensor, region: CAMRegion?, inputHeight: Int, inputWidth: Int) throws {
    let shape = output.shape
    let values = output.floats
    if shape.count == 4, shape[0] == 1, shape[2] * shape[3] > 1 {
      let (k, h, w) = (shape[1], shape[2], shape[3])
      let n = h * w
      var owner = [Int](repeating: 0, count: n)
      var normalised = true
      for p in 0 ..< n {
        var best = 0
        var sum: Float = 0
        for c in 0 ..< k {
          let v = values[c * n + p]
          if v > values[best * n + p] { best = c }
          sum += v
          if v < 0 || v > 1 { normalised = false }
        }
        if abs(sum - 1) > 1e-3 { normalised = false }
        owner[p] = best
      }
      var counted = [Bool](repeating: true, count: n)
      if case .box(let x0, let y0, let x1, let y1)? = region {
        guard x1 <= inputWidth, y1 <= inputHeight else {
          throw ConvolveError.invalidArgument("--target \(x0),\(y0),\(x1),\(y1): the box leaves the \(inputWidth)x\(inputHeight) model input")
        }
        for y in 0 ..< h {
          let cy = (Double(y) + 0.5) * Double(inputHeight) / Double(h)
          for x in 0 ..< w {
            let cx = (Double(x) + 0.5) * Double(inputWidth) / Double(w)
            counted[y * w + x] = cx >= Double(x0) && cx < Double(x1) && cy >= Double(y0) && cy < Double(y1)
          }
        }
        guard counted.contains(true) else {
          throw ConvolveError.invalidArgument("--target \(x0),\(y0),\(x1),\(y1): the box holds no centre of the \(w)x\(h) output's pixels")
        }
      }
      (classCount, itemShape, self.region, self.owner, self.counted, self.normalised) =
        (k, Array(shape.dropFirst()), region ?? .argmax, owner, counted, normalised)
      return
    }
    guard values.count >= 1, values.count == shape.last else {
      throw ConvolveError.invalidArgument(
        "the output is \(shapeText(shape)); class activation maps need a vector of class scores or a 1 x K x H x W segmentation")
    }
    if region != nil {
      throw ConvolveError.invalidArgument("--target applies to a segmenter (an output of 1 x K x H x W); this output is \(shapeText(shape))")
    }
    (classCount, itemShape, self.region, owner, counted, normalised) = (values.count, Array(shape.dropFirst()), nil, nil, nil, areProbabilities(values))
  }

  /// Whether pixel `p` belongs to class `c`'s region.
  @inline(__always) func member(_ c: Int, _ p: Int) -> Bool {
    guard let owner, let counted else { return false }
    return counted[p] && (region == .argmax ? owner[p] == c : true)
  }

  /// Each class's explained score for every item of a batch of outputs: a `B×K` tensor.
  public func reduce(_ output: GraphTensor) throws -> GraphTensor {
    let per = itemShape.reduce(1, *)
    guard output.count % per == 0, output.count > 0 else {
      throw ConvolveError.invalidArgument("the output is \(shapeText(output.shape)); expected items of \(shapeText(itemShape))")
    }
    let b = output.count / per
    guard owner != nil else { return GraphTensor(shape: [b, classCount], floats: output.floats) }
    let v = output.floats, n = per / classCount
    var out = [Float](repeating: 0, count: b * classCount)
    for i in 0 ..< b {
      for c in 0 ..< classCount {
        var s: Float = 0
        let base = i * per + c * n
        for p in 0 ..< n where member(c, p) { s += v[base + p] }
        out[i * classCount + c] = s
      }
    }
    return GraphTensor(shape: [b, classCount], floats: out)
  }

  /// Each class's probability for every item of a batch of outputs: the softmax of a classifier's row (or
  /// the row, when it is probabilities); for a segmenter the mean over the class's region of each pixel's
  /// softmax over the K classes (0 for an empty region).
  public func probabilities(_ output: GraphTensor) throws -> [[Float]] {
    let rows = try reduce(output)
    let b = rows.shape[0]
    guard owner != nil else {
      let v = rows.floats
      return (0 ..< b).map { i in
        let row = Array(v[(i * classCount) ..< ((i + 1) * classCount)])
        return normalised ? row : softmax(row)
      }
    }
    let v = output.floats, per = itemShape.reduce(1, *), n = per / classCount
    return (0 ..< b).map { i in
      var sums = [Double](repeating: 0, count: classCount), counts = [Double](repeating: 0, count: classCount)
      var e = [Double](repeating: 0, count: classCount)
      for p in 0 ..< n where counted![p] {
        var top = -Double.infinity
        for c in 0 ..< classCount { top = max(top, Double(v[i * per + c * n + p])) }
        var total: Double = 0
        for c in 0 ..< classCount {
          let x = Double(v[i * per + c * n + p])
          e[c] = normalised ? x : exp(x - top)
          total += e[c]
        }
        for c in 0 ..< classCount where member(c, p) {
          sums[c] += normalised ? e[c] : e[c] / total
          counts[c] += 1
        }
      }
      return (0 ..< classCount).map { counts[$0] > 0 ? Float(sums[$0] / counts[$0]) : 0 }
    }
  }

  /// The reverse pass's seed for class `c` over a batch of `b` outputs: 1 at the class's output value (its
  /// region's pixels in its channel for a segmenter), 0 elsewhere.
  public func seed(class c: Int, batch b: Int) -> GraphTensor {
    let per = itemShape.reduce(1, *)
    var v = [Float](repeating: 0, count: b * per)
    for i in 0 ..< b {
      if owner == nil {
        v[i * per + c] = 1
      } else {
        let n = per / classCount
        for p in 0 ..< n where member(c, p) { v[i * per + c * n + p] = 1 }
      }
    }
    return GraphTensor(shape: [b] + itemShape, floats: v)
  }

  /// A segmenter's share of each class among the counted pixels by argmax; nil for a classifier.
  public var shares: [Float]? {
    guard let owner, let counted else { return nil }
    var counts = [Int](repeating: 0, count: classCount)
    for p in owner.indices where counted[p] { counts[owner[p]] += 1 }
    let total = Float(max(1, counted.filter { $0 }.count))
    return counts.map { Float($0) / total }
  }

  /// Classes best first: by score for a classifier; for a segmenter by the pixels each owns (in the box),
  /// then by score, then by number.
  public func ranking(scores: [Float]) -> [Int] {
    guard let shares else { return rankedClasses(scores) }
    return scores.indices.sorted {
      shares[$0] != shares[$1] ? shares[$0] > shares[$1] : scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1
    }
  }
}
