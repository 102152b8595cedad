import CKernels
import ConvolveCore
import Foundation

/// An elementwise non-linearity applied after a layer, or maxout across channels.
public enum Activation: Equatable, Sendable, CustomStringConvertible {
  /// `max(0, x)`.
  case relu
  /// `x` for `x > 0`, else `slope · x`.
  case leakyReLU(slope: Float = 0.01)
  /// `1 / (1 + e^-x)` (`CKernels.ck_sigmoid1`: the same bits scalar, vectorised and fused into a layer).
  case sigmoid
  case tanh
  /// `x` for `x > 0`, else `alpha · (e^x - 1)`.
  case elu(alpha: Float = 1)
  /// Channels split into consecutive groups of `groupSize`; each output channel is the elementwise max of one group.
  case maxout(groupSize: Int)
  case identity

  /// Parses `relu`, `leaky-relu[:slope]`, `sigmoid`, `tanh`, `elu[:alpha]`, `maxout:k` and `identity`
  /// (also `leakyrelu`, `lrelu`, `linear`, `none`), case-insensitively.
  public init(parsing text: String) throws {
    let parts = text.lowercased().split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    let name = parts[0].trimmingCharacters(in: .whitespaces)
    let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : nil
    func number(_ what: String) throws -> Float? {
      guard let argument else { return nil }
      guard let value = Float(argument), value.isFinite else {
        throw ConvolveError.invalidArgument("activation '\(text)': \(what) '\(argument)' is not a number")
      }
      return value
    }
    guard parts.count <= 2 else {
      throw ConvolveError.invalidArgument("activation '\(text)' has more than one ':' argument")
    }
    let takesArgument: Bool
    switch name {
    case "relu": self = .relu; takesArgument = false
    case "leaky-relu", "leakyrelu", "leaky_relu", "lrelu":
      self = .leakyReLU(slope: try number("slope") ?? 0.01); takesArgument = true
    case "sigmoid": self = .sigmoid; takesArgument = false
    case "tanh": self = .tanh; takesArgument = false
    case "elu": self = .elu(alpha: try number("alpha") ?? 1); takesArgument = true
    case "maxout":
      guard let argument else {
        throw ConvolveError.invalidArgument("activation 'maxout' needs a group size, e.g. maxout:2")
      }
      guard let k = Int(argument), k >= 1 else {
        throw ConvolveError.invalidArgument("maxout group size '\(argument)' must be a whole number of at least 1")
      }
      self = .maxout(groupSize: k); takesArgument = true
    case "identity", "linear", "none": self = .identity; takesArgument = false
    default:
      throw ConvolveError.invalidArgument(
        "unknown activation '\(name)'; use relu, leaky-relu[:slope], sigmoid, tanh, elu[:alpha], maxout:k or identity")
    }
    if argument != nil && !takesArgument {
      throw ConvolveError.invalidArgument("activation '\(name)' takes no argument, got '\(text)'")
    }
  }

  /// The spelling `init(parsing:)` reads back.
  public var description: String {
    switch self {
    case .relu: return "relu"
    case .leakyReLU(let slope): return "leaky-relu:\(slope)"
    case .sigmoid: return "sigmoid"
    case .tanh: return "tanh"
    case .elu(let alpha): return "elu:\(alpha)"
    case .maxout(let k): return "maxout:\(k)"
    case .identity: return "identity"
    }
  }

  /// The activation of one value; maxout, which spans channels, returns `x`.
  @inlinable
  public func callAsFunction(_ x: Float) -> Float {
    switch self {
    case .relu: return Swift.max(x, 0)  // keeps NaN
    case .leakyReLU(let slope): return x > 0 ? x : slope * x
    case .sigmoid: return ck_sigmoid1(x)
    case .tanh: return Foundation.tanh(x)
    case .elu(let alpha): return x > 0 ? x : alpha * Foundation.expm1(x)
    case .maxout, .identity: return x
    }
  }

  /// The output channel count for `channels` input channels: the same, or for maxout the number of
  /// groups (an error when the group size does not divide the channels).
  public func outputChannels(_ channels: Int) throws -> Int {
    guard case .maxout(let k) = self else { return channels }
    guard k >= 1 else { throw ConvolveError.invalidArgument("maxout group size is \(k); it must be at least 1") }
    guard channels % k == 0 else {
      throw ConvolveError.shapeMismatch("maxout groups of \(k) do not divide the \(channels) input channels")
    }
    return channels / k
  }

  /// Applies the activation; maxout needs the channel count to be a multiple of its group size.
  public func apply(to input: Tensor) throws -> Tensor {
    switch self {
    case .identity: return input
    case .maxout(let k):
      let plane = input.planeSize
      var output = Tensor(channels: try outputChannels(input.channels), height: input.height, width: input.width)
      input.data.withUnsafeBufferPointer { src in
        output.data.withUnsafeMutableBufferPointer { dst in
          for o in 0 ..< output.channels {
            let out = dst.baseAddress! + o * plane
            out.update(from: src.baseAddress! + o * k * plane, count: plane)
            for m in 1 ..< k {
              let s = src.baseAddress! + (o * k + m) * plane
              for i in 0 ..< plane where s[i] > out[i] { out[i] = s[i] }
            }
          }
        }
      }
      return output
    default:
      var output = input
      output.data.withUnsafeMutableBufferPointer { buffer in
        let shared = Shared(buffer)
        parallelRanges(buffer.count, minimumPerChunk: 1 << 16) { range in
          let buffer = shared.value
          if self == .sigmoid {
            ck_sigmoid(ck_level(), buffer.baseAddress! + range.lowerBound, range.count)
          } else {
            for i in range { buffer[i] = self(buffer[i]) }
          }
        }
      }
      return output
    }
  }
}
