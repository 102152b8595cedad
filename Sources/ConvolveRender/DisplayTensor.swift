import ConvolveCNN
import ConvolveCore
import Foundation

/// A float tensor as C×H×W for pictures and statistics: `1×C×H×W` and `C×H×W` as they are, `N×C×H×W` with
/// the batch stacked into channels, a matrix as one map, a vector as one row.
public func displayTensor(_ value: GraphTensor) throws -> Tensor {
  let s = value.shape
  switch s.count {
  case 0: return Tensor(channels: 1, height: 1, width: 1, data: value.floats)
  case 1: return Tensor(channels: 1, height: 1, width: s[0], data: value.floats)
  case 2: return Tensor(channels: 1, height: s[0], width: s[1], data: value.floats)
  case 3: return Tensor(channels: s[0], height: s[1], width: s[2], data: value.floats)
  default:
    let channels = s.dropLast(2).reduce(1, *)
    return Tensor(channels: channels, height: s[s.count - 2], width: s[s.count - 1], data: value.floats)
  }
}

/// A tensor or node name as a file name: letters, digits, `.`, `_` and `-` kept, the rest `_`, at most 100
/// characters, never hidden nor empty.
public func safeFileName(_ name: String) -> String {
  var out = String(name.unicodeScalars.map { s -> Character in
    let ok = (s.value < 128) && (CharacterSet.alphanumerics.contains(s) || s == "." || s == "_" || s == "-")
    return ok ? Character(s) : "_"
  }.prefix(100))
  if out.hasPrefix(".") { out = "_" + out.dropFirst() }
  return out.isEmpty ? "_" : out
}
