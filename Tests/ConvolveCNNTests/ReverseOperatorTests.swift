import ConvolveCore
import Foundation
import Testing
@testable import ConvolveCNN

/// The reverse rules of the transformer and normalisation operators against finite differences
/// (`GradientCheck`: fed operands, scale and bias included, are all checked).
@Suite struct ReverseOperatorTests {
  let tolerance = GradientCheck.tolerance
  func grid(_ shape: [Int], _ range: ClosedRange<Float> = -1 ... 1, _ seed: UInt64 = 1) -> GraphTensor {
    GradientCheck.grid(shape, range, seed: seed)
  }

  @Test func normalizations() throws {
    let x = grid([2, 3, 4], -2 ... 2)
    let e = Attribute.float(1e-3)
    #expect(try nodeError("LayerNormalization", [.value(x), .value(grid([4], 0.5 ... 1.5, 2)), .value(grid([4], -1 ... 1, 3))], ["epsilon": e]) < tolerance)
    #expect(try nodeError("LayerNormalization", [.value(x), .value(grid([3, 4], 0.5 ... 1.5, 4))], ["axis": .int(1), "epsilon": e]) < tolerance)
    let image = grid([2, 4, 3, 2], -2 ... 2, 5)
    let c4 = { (seed: UInt64) in Operand.value(GradientCheck.grid([4], 0.5 ... 1.5, seed: seed)) }
    #expect(try nodeError("InstanceNormalization", [.value(image), c4(6), c4(7)], ["epsilon": e]) < tolerance)
    #expect(try nodeError("GroupNormalization", [.value(image), c4(8), c4(9)], ["num_groups": .int(2), "epsilon": e], opset: 21) < tolerance)
    let g2 = { (seed: UInt64) in Operand.value(GradientCheck.grid([2], 0.5 ... 1.5, seed: seed)) }
    #expect(try nodeError("GroupNormalization", [.value(image), g2(10), g2(11)], ["num_groups": .int(2), "epsilon": e], opset: 18) < tolerance)
  }

  @Test func smoothActivationsAndLogSoftmax() throws {
    let x = grid([2, 3, 5], -4 ... 4)
    for (op, attributes) in [
      ("Gelu", [:]), ("Gelu", ["approximate": Attribute.string("tanh")]), ("Softplus", [:]), ("Mish", [:]), ("Erf", [:]),
    ] as [(String, [String: Attribute])] {
      let error = try nodeError(op, [.value(x)], attributes, opset: 20)
      #expect(error < tolerance, "\(op) \(attributes): \(error)")
    }
    #expect(try nodeError("LogSoftmax", [.value(x)], opset: 13) < tolerance)
    #expect(try nodeError("LogSoftmax", [.value(x)], ["axis": .int(1)], opset: 13) < tolerance)
    #expect(try nodeError("LogSoftmax", [.value(x)], ["axis": .int(1)], opset: 11) < tolerance)
  }

  @Test func einsum() throws {
    for (equation, shapes) in [
      ("bij,bjk->bik", [[2, 3, 4], [2, 4, 2]]), ("bhid,bhjd->bhij", [[1, 2, 3, 2], [1, 2, 4, 2]]), ("i,j->ij", [[3], [4]]),
      ("ij->ji", [[3, 4]]), ("bij->bj", [[2, 3, 4]]), ("ij,jk", [[2, 3], [3, 2]]), ("bhwc,hkc->bhwk", [[1, 2, 3, 2], [2, 3, 2]]),
      ("ij,k->i", [[2, 3], [4]]), ("...ij,...jk->...ik", [[2, 2, 3], [2, 3, 2]]),
    ] as [(String, [[Int]])] {
      let operands = shapes.enumerated().map { Operand.value(grid($0.element, -1 ... 1, UInt64($0.offset + 20))) }
      let error = try nodeError("Einsum", operands, ["equation": .string(equation)], opset: 12)
      #expect(error < tolerance, "\(equation): \(error)")
    }
  }

  @Test func variadicAndReductions() throws {
    let a = GradientCheck.distinct([2, 3, 4], seed: 1)
    let b = GraphTensor(shape: [3, 1], floats: GradientCheck.distinct([3, 1], seed: 2).floats.map { $0 + 0.0125 })
    let c = GraphTensor(shape: [4], floats: GradientCheck.distinct([4], seed: 3).floats.map { $0 + 0.025 })
    for op in ["Sum", "Mean", "Max", "Min"] {
      let error = try nodeError(op, [.value(a), .value(b), .value(c)], opset: 13)
      #expect(error < tolerance, "\(op): \(error)")
    }
    let x = grid([2, 3, 4], -2 ... 2)
    for op in ["ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp"] {
      let error = try nodeError(op, [.value(x)], ["axes": .ints([1, -1])], opset: 13)
      #expect(error < tolerance, "\(op): \(error)")
    }
  }
}
