import ConvolveTestSupport
import ConvolveCore
import Foundation
@testable import ConvolveCNN

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
