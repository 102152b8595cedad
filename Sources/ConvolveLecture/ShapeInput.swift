import ConvolveCNN
import ConvolveCore
import Foundation

/// The order an input size is written in: the lecture's `HxWxC` (`32x32x3`) or PyTorch's `CxHxW` (`3x224x224`).
public enum ShapeOrder: String, Sendable {
  case hwc, chw
}

/// The input of `shapeReport`: a map's height, width and channels, and how the user wrote it (the report
/// writes every shape the same way).
public struct ShapeInput: Equatable, Sendable {
  public var height: Int, width: Int, channels: Int
  /// PyTorch's batch size when given as `NxCxHxW`; shapes are then written with it in front.
  public var batch: Int?
  public var order: ShapeOrder

  public init(height: Int, width: Int, channels: Int, order: ShapeOrder = .hwc, batch: Int? = nil) {
    (self.height, self.width, self.channels, self.order, self.batch) = (height, width, channels, order, batch)
  }

  /// How three numbers are read, for help and errors.
  public static let orderRule =
    "HxW is one channel; AxBxC is the lecture's HxWxC (32x32x3) unless A is at most 4 and B and C are both "
    + "larger than 4, which is PyTorch's CxHxW (3x224x224); NxCxHxW is PyTorch's with a batch size"

  /// Largest number accepted in a size or a stage, so that no formula the report shows can overflow.
  static let largest = Int(Int32.max)

  /// Parses `HxW`, `HxWxC`, `CxHxW` or `NxCxHxW` (separators `x`, `×`, `,` or spaces; brackets ignored, so
  /// `[1, 3, 224, 224]` works). Three numbers follow `orderRule` unless `order` says which.
  public init(parsing text: String, order forced: ShapeOrder? = nil) throws {
    let cleaned = text.lowercased().map { "x×, ".contains($0) ? " " : "[]()".contains($0) ? " " : $0 }
    let words = String(cleaned).split(separator: " ")
    let numbers = words.map { Int($0) }
    func fail(_ why: String) -> ConvolveError {
      .invalidArgument(
        "input size '\(text)' \(why); write HxWxC (the lecture's 32x32x3), CxHxW (PyTorch's 3x224x224), NxCxHxW or HxW")
    }
    guard (2 ... 4).contains(numbers.count), numbers.allSatisfy({ $0 != nil }) else {
      throw fail("is not 2 to 4 whole numbers")
    }
    let n = numbers.map { $0! }
    guard n.allSatisfy({ (1 ... ShapeInput.largest).contains($0) }) else {
      throw fail("has a number outside 1 to \(ShapeInput.largest)")
    }
    switch n.count {
    case 2: self.init(height: n[0], width: n[1], channels: 1, order: forced ?? .hwc)
    case 3:
      let order = forced ?? (n[0] <= 4 && n[1] > 4 && n[2] > 4 ? .chw : .hwc)
      self = order == .chw
        ? ShapeInput(height: n[1], width: n[2], channels: n[0], order: .chw)
        : ShapeInput(height: n[0], width: n[1], channels: n[2], order: .hwc)
    default:
      guard forced != .hwc else { throw fail("has 4 numbers, which are PyTorch's NxCxHxW") }
      self.init(height: n[2], width: n[3], channels: n[1], order: .chw, batch: n[0])
    }
  }

  /// A shape written as the input was: `28x28x6`, `6x28x28` or `1x6x28x28`.
  public func text(_ h: Int, _ w: Int, _ c: Int) -> String {
    switch order {
    case .hwc: return "\(h)x\(w)x\(c)"
    case .chw: return (batch.map { "\($0)x" } ?? "") + "\(c)x\(h)x\(w)"
    }
  }

  /// How the numbers were read, e.g. `3x224x224 (C x H x W: 3 channels of 224x224)`.
  var described: String {
    let what = "\(channels) channel\(channels == 1 ? "" : "s") of \(height)x\(width)"
    switch order {
    case .hwc: return "\(text(height, width, channels)) (H x W x C: \(what))"
    case .chw:
      return "\(text(height, width, channels)) (\(batch == nil ? "" : "N x ")C x H x W: "
        + (batch.map { "a batch of \($0), " } ?? "") + "\(what))"
    }
  }
}
