import ArgumentParser
import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveLecture
import ConvolveRender
import Foundation

extension Border: ExpressibleByArgument {
  public init?(argument: String) { self.init(name: argument) }
  public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension ConvolutionMode: ExpressibleByArgument {}

/// Parses `N` or `Y,X` into a pair of positive integers.
struct Pair: ExpressibleByArgument, Equatable, CustomStringConvertible {
  var y: Int, x: Int
  init(_ y: Int, _ x: Int) { (self.y, self.x) = (y, x) }
  var description: String { y == x ? "\(y)" : "\(y),\(x)" }
  var defaultValueDescription: String { description }
  init?(argument: String) {
    let parts = argument.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard parts.allSatisfy({ $0 != nil }) else { return nil }
    switch parts.count {
    case 1: (y, x) = (parts[0]!, parts[0]!)
    case 2: (y, x) = (parts[0]!, parts[1]!)
    default: return nil
    }
  }
}

/// Parses padding as `P`, `V,H` or `TOP,BOTTOM,LEFT,RIGHT`.
extension Padding: ExpressibleByArgument {
  public init?(argument: String) {
    let parts = argument.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
    switch parts.count {
    case 1: self.init(parts[0]!)
    case 2: self.init(vertical: parts[0]!, horizontal: parts[1]!)
    case 4: self.init(top: parts[0]!, bottom: parts[1]!, left: parts[2]!, right: parts[3]!)
    default: return nil
    }
  }
}

extension Padding {
  /// `P`, `V,H` or `TOP,BOTTOM,LEFT,RIGHT`, the shortest that says it.
  var argumentText: String {
    if top == bottom && left == right { return top == left ? "\(top)" : "\(top),\(left)" }
    return "\(top),\(bottom),\(left),\(right)"
  }
}

extension LayerPadding: ExpressibleByArgument {
  public var defaultValueDescription: String {
    switch self {
    case .same: return "same"
    case .explicit(let padding): return padding.argumentText
    }
  }


  public init?(argument: String) {
    switch argument {
    case "same": self = .same
    case "valid": self = .uniform(0)
    default:
      guard let padding = Padding(argument: argument) else { return nil }
      self = .explicit(padding)
    }
  }
}

extension OutputMapping: ExpressibleByArgument {}
extension Colormap: ExpressibleByArgument {}
extension ResizeMethod: ExpressibleByArgument {}
/// Shown as max, avg, min (as `--pool avg:2` and pipeline files spell it); "average" and "mean" are accepted too.
extension PoolingKind: ExpressibleByArgument {
  public init?(argument: String) { self.init(rawValue: ["avg", "mean"].contains(argument) ? "average" : argument) }
  public static var allValueStrings: [String] { allCases.map(\.argumentName) }
  public var defaultValueDescription: String { argumentName }
  var argumentName: String { self == .average ? "avg" : rawValue }
}

extension AlphaHandling: ExpressibleByArgument {}
extension MapRange: ExpressibleByArgument {}

extension ImageFormat: ExpressibleByArgument {
  public init?(argument: String) { self.init(name: argument) }
  public static var allValueStrings: [String] { writable.map(\.fileExtension) }
  public var defaultValueDescription: String { fileExtension }
}
