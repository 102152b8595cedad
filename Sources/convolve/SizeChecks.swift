import ArgumentParser
import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import Foundation

/// `--floor` (the default), `--strict`: what a stride that does not land on the last sample does.
enum StrideRounding: String, EnumerableFlag {
  case floor, strict

  static func help(for value: StrideRounding) -> ArgumentHelp? {
    switch value {
    case .floor:
      return "Round sizes down where a stride does not reach the last rows or columns, as PyTorch; a note names them."
    case .strict: return "Refuse a stride that leaves input rows or columns unused, as the lecture (7x7, 3x3, stride 3: 2.33)."
    }
  }

  var rounding: SizeRounding { self == .strict ? .strict : .floor }
}

/// `--floor` (the default), `--strict`, `--ceil`: the same for pooling, with PyTorch's `ceil_mode`.
enum PoolRounding: String, EnumerableFlag {
  case floor, strict, ceil

  static func help(for value: PoolRounding) -> ArgumentHelp? {
    switch value {
    case .floor:
      return "Round sizes down where a stride does not reach the last rows or columns, as PyTorch; a note names them."
    case .strict: return "Refuse a stride that leaves input rows or columns unused, as the lecture."
    case .ceil: return "Pooling: round up, one more window over the last rows and columns (PyTorch's ceil_mode)."
    }
  }

  var rounding: SizeRounding {
    switch self {
    case .floor: return .floor
    case .strict: return .strict
    case .ceil: return .ceil
    }
  }
}

/// Prints `note: TEXT` on standard error.
func printNote(_ text: String) {
  writeStandardError("note: \(text)\n")
}
