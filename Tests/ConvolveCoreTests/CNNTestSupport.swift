import Foundation
@testable import ConvolveCore

/// The definition of a PyTorch-style layer, one output sample at a time in Double: the reference for the
/// im2col/SGEMM and depthwise paths.
func naiveLayer(_ x: Tensor, _ bank: FilterBank, _ g: LayerGeometry) throws -> Tensor {
  let p = try g.resolvedPadding(kernelHeight: bank.kernelHeight, kernelWidth: bank.kernelWidth)
  let (outH, outW) = try g.outputSize(
    inputHeight: x.height, inputWidth: x.width, kernelHeight: bank.kernelHeight, kernelWidth: bank.kernelWidth)
  let cg = bank.inChannelsPerGroup, ng = bank.outChannels / g.groups
  var y = Tensor(channels: bank.outChannels, height: outH, width: outW)
  for n in 0 ..< bank.outChannels {
    for oy in 0 ..< outH {
      for ox in 0 ..< outW {
        var sum = Double(bank.bias.isEmpty ? 0 : bank.bias[n])
        for c in 0 ..< cg {
          for i in 0 ..< bank.kernelHeight {
            for j in 0 ..< bank.kernelWidth {
              let sy = oy * g.strideY + i * g.dilationY - p.top
              let sx = ox * g.strideX + j * g.dilationX - p.left
              guard sy >= 0 && sy < x.height && sx >= 0 && sx < x.width else { continue }
              let w = bank.weights[((n * cg + c) * bank.kernelHeight + i) * bank.kernelWidth + j]
              sum += Double(x[(n / ng) * cg + c, sy, sx]) * Double(w)
            }
          }
        }
        y[n, oy, ox] = Float(sum)
      }
    }
  }
  return y
}

/// Largest `|a - b| / max(1, |b|)`.
func maxRelativeDifference(_ a: [Float], _ b: [Float]) -> Float {
  precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
  return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1) / max(1, abs($1.1))) }
}

func dot(_ a: [Float], _ b: [Float]) -> Double {
  zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

/// An array as the fixture script writes it: `{"shape": [...], "data": [...]}`.
struct FixtureArray: Decodable {
  let shape: [Int]
  let data: [Float]
  var tensor: Tensor {
    shape.count == 2
      ? Tensor(channels: 1, height: shape[0], width: shape[1], data: data)
      : Tensor(channels: shape[0], height: shape[1], width: shape[2], data: data)
  }
}

/// Decodes `Fixtures/<name>` next to this file (written by Tests/Fixtures/generate_cnn_fixtures.py).
func loadFixture<T: Decodable>(_ name: String, as: T.Type = T.self, file: String = #filePath) throws -> T {
  let url = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
  return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
}

func thrownMessage(_ body: () throws -> Any) -> String? {
  do {
    _ = try body()
    return nil
  } catch {
    return "\(error)"
  }
}
