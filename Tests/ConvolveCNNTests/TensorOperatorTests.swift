import ConvolveCore
import Foundation
import Testing
@testable import ConvolveCNN

@Suite struct TensorOperatorTests {
  let x = GraphTensor(shape: [1, 2, 3, 4], floats: (0 ..< 24).map(Float.init))

  @Test func concatAndSplitAlongAnyAxis() throws {
    let a = GraphTensor(shape: [2, 2], floats: [1, 2, 3, 4]), b = GraphTensor(shape: [2, 1], floats: [5, 6])
    #expect(try run1("Concat", [.value(a), .value(b)], ["axis": .int(1)]).floats == [1, 2, 5, 3, 4, 6])
    #expect(try run1("Concat", [.value(a), .value(GraphTensor(shape: [1, 2], floats: [7, 8]))], ["axis": .int(-2)]).floats == [1, 2, 3, 4, 7, 8])
    #expect(errorText { try run1("Concat", [.value(a), .value(b)], ["axis": .int(0)]) }?.contains("except along axis 0") == true)
    let parts = try runNode("Split", [.value(x), .constant(GraphTensor(int64s: [1, 3]))], attributes: ["axis": .int(3)], outputs: 2)
    #expect(parts[0].shape == [1, 2, 3, 1] && parts[0].floats == [0, 4, 8, 12, 16, 20])
    #expect(parts[1].shape == [1, 2, 3, 3] && parts[1].floats.prefix(3) == [1, 2, 3])
    let old = try runNode("Split", [.value(x)], attributes: ["axis": .int(1), "split": .ints([1, 1])], opset: 11, outputs: 2)
    #expect(old[1].floats == Array((12 ..< 24).map(Float.init)))
    let equal = try runNode("Split", [.value(x)], attributes: ["axis": .int(2)], outputs: 3)
    #expect(equal.map(\.shape) == [[1, 2, 1, 4], [1, 2, 1, 4], [1, 2, 1, 4]])
  }

  @Test func sliceWithNegativeIndicesAndSteps() throws {
    let v = GraphTensor(shape: [2, 5], floats: (0 ..< 10).map(Float.init))
    func slice(_ starts: [Int64], _ ends: [Int64], _ axes: [Int64]? = nil, _ steps: [Int64]? = nil) throws -> GraphTensor {
      var operands: [Operand] = [.value(v), .constant(GraphTensor(int64s: starts)), .constant(GraphTensor(int64s: ends))]
      operands.append(axes.map { .constant(GraphTensor(int64s: $0)) } ?? .none)
      if let steps { operands.append(.constant(GraphTensor(int64s: steps))) }
      return try run1("Slice", operands)
    }
    #expect(try slice([1], [4], [1]).floats == [1, 2, 3, 6, 7, 8])
    #expect(try slice([-2], [Int64.max], [1]).floats == [3, 4, 8, 9])
    #expect(try slice([0, 4], [1, Int64.min], nil, [1, -2]).floats == [4, 2, 0])
    #expect(try slice([-1], [-100], [0], [-1]).floats == [5, 6, 7, 8, 9, 0, 1, 2, 3, 4])
    #expect(try slice([3], [1], [1]).shape == [2, 0])
    let old = try run1("Slice", [.value(v)], ["starts": .ints([1]), "ends": .ints([3]), "axes": .ints([1])], opset: 9)
    #expect(old.floats == [1, 2, 6, 7])
  }

  @Test func reshapeFamily() throws {
    #expect(try run1("Reshape", [.value(x), .constant(GraphTensor(int64s: [0, -1, 2]))]).shape == [1, 12, 2])
    #expect(try run1("Flatten", [.value(x)]).shape == [1, 24])
    #expect(try run1("Flatten", [.value(x)], ["axis": .int(-1)]).shape == [6, 4])
    #expect(try run1("Flatten", [.value(x)], ["axis": .int(0)]).shape == [1, 24])
    let squeezed = try run1("Squeeze", [.value(GraphTensor(shape: [1, 3, 1, 2], repeating: 1))])
    #expect(squeezed.shape == [3, 2])
    #expect(try run1("Squeeze", [.value(x), .constant(GraphTensor(int64s: [0]))]).shape == [2, 3, 4])
    #expect(try run1("Squeeze", [.value(x)], ["axes": .ints([0])], opset: 11).shape == [2, 3, 4])
    #expect(errorText { try run1("Squeeze", [.value(x), .constant(GraphTensor(int64s: [1]))]) }?.contains("cannot squeeze axis 1") == true)
    #expect(try run1("Unsqueeze", [.value(x), .constant(GraphTensor(int64s: [0, -1]))]).shape == [1, 1, 2, 3, 4, 1])
    #expect(try run1("Unsqueeze", [.value(x)], ["axes": .ints([2])], opset: 12).shape == [1, 2, 1, 3, 4])
    #expect(errorText { try run1("Reshape", [.value(x), .constant(GraphTensor(int64s: [5, -1]))]) }?.contains("cannot reshape") == true)
  }

  @Test func transposeAndGather() throws {
    let t = try run1("Transpose", [.value(x)], ["perm": .ints([0, 3, 1, 2])])
    #expect(t.shape == [1, 4, 2, 3])
    for index in allIndices(t.shape) {
      #expect(t.floats[rowMajorOffset(index, t.shape)] == x.floats[rowMajorOffset([index[0], index[2], index[3], index[1]], x.shape)])
    }
    #expect(try run1("Transpose", [.value(GraphTensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]))]).floats == [1, 4, 2, 5, 3, 6])
    let g = try run1("Gather", [.value(x), .constant(GraphTensor(shape: [2], int64s: [2, -3]))], ["axis": .int(2)])
    #expect(g.shape == [1, 2, 2, 4] && g.floats.prefix(8) == [8, 9, 10, 11, 0, 1, 2, 3])
    let scalar = try run1("Gather", [.value(GraphTensor(int64s: [7, 8, 9])), .constant(GraphTensor(shape: [], int64s: [1]))])
    #expect(scalar.shape == [] && scalar.int64s == [8])
    #expect(errorText { try run1("Gather", [.value(x), .constant(GraphTensor(int64s: [5]))], ["axis": .int(1)]) }?.contains("outside the axis") == true)
  }

  @Test func shapeAndCast() throws {
    #expect(try run1("Shape", [.value(x)]).int64s == [1, 2, 3, 4])
    #expect(try run1("Shape", [.value(x)], ["start": .int(1), "end": .int(-1)]).int64s == [2, 3])
    let f = GraphTensor(shape: [4], floats: [1.7, -1.7, 0, 3e9])
    #expect(try run1("Cast", [.value(f)], ["to": .int(7)]).int64s == [1, -1, 0, 3_000_000_000])
    #expect(try run1("Cast", [.value(f)], ["to": .int(9)]).int64s == [1, 1, 0, 1])
    #expect(try run1("Cast", [.value(GraphTensor(int64s: [3, -2]))], ["to": .int(1)]).floats == [3, -2])
    #expect(try run1("Cast", [.value(GraphTensor(shape: [1], floats: [0.1]))], ["to": .int(10)]).floats == [Float(Float16(0.1))])
  }

  @Test func padModes() throws {
    let v = GraphTensor(shape: [1, 3], floats: [1, 2, 3])
    func pad(_ mode: String, _ pads: [Int64], value: Float? = nil) throws -> [Float] {
      var operands: [Operand] = [.value(v), .constant(GraphTensor(int64s: pads))]
      if let value { operands.append(.constant(GraphTensor(scalar: value))) }
      return try run1("Pad", operands, ["mode": .string(mode)]).floats
    }
    #expect(try pad("constant", [0, 2, 0, 1], value: 9) == [9, 9, 1, 2, 3, 9])
    #expect(try pad("reflect", [0, 2, 0, 2]) == [3, 2, 1, 2, 3, 2, 1])
    #expect(try pad("edge", [0, 2, 0, 1]) == [1, 1, 1, 2, 3, 3])
    #expect(try pad("constant", [0, -1, 0, 1]) == [2, 3, 0])
    let rows = try run1("Pad", [.value(v), .constant(GraphTensor(int64s: [1, 0, 0, 0]))])
    #expect(rows.shape == [2, 3] && rows.floats == [0, 0, 0, 1, 2, 3])
    let old = try run1("Pad", [.value(v)], ["pads": .ints([0, 1, 0, 0]), "value": .float(-1)], opset: 2)
    #expect(old.floats == [-1, 1, 2, 3])
  }

  @Test func gemmAndMatMulAgainstLoops() throws {
    var rng = GraphRandom(seed: 40)
    let a = rng.tensor([3, 4]), b = rng.tensor([5, 4]), c = rng.tensor([5])
    let y = try run1("Gemm", [.value(a), .constant(b), .constant(c)], ["transB": .int(1), "alpha": .float(0.5), "beta": .float(2)])
    var expected: [Float] = []
    for i in 0 ..< 3 {
      for j in 0 ..< 5 {
        var s: Float = 0
        for k in 0 ..< 4 { s += a.floats[i * 4 + k] * b.floats[j * 4 + k] }
        expected.append(0.5 * s + 2 * c.floats[j])
      }
    }
    #expect(y.shape == [3, 5] && largestDifference(y.floats, expected) < 1e-5)
    // Batched MatMul with broadcasting and rank-1 operands.
    let p = rng.tensor([2, 1, 3, 4]), q = rng.tensor([3, 4, 2])
    let z = try run1("MatMul", [.value(p), .value(q)])
    #expect(z.shape == [2, 3, 3, 2])
    for index in allIndices(z.shape) {
      var s: Float = 0
      for k in 0 ..< 4 { s += p.floats[rowMajorOffset([index[0], 0, index[2], k], p.shape)] * q.floats[rowMajorOffset([index[1], k, index[3]], q.shape)] }
      #expect(abs(z.floats[rowMajorOffset(index, z.shape)] - s) < 1e-5)
    }
    let vector = try run1("MatMul", [.value(GraphTensor(shape: [2], floats: [1, 2])), .value(GraphTensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]))])
    #expect(vector.shape == [3] && vector.floats == [9, 12, 15])
    let shared = try run1("MatMul", [.value(GraphTensor(shape: [2, 1, 2], floats: [1, 0, 0, 1])), .constant(GraphTensor(shape: [2, 2], floats: [1, 2, 3, 4]))])
    #expect(shared.shape == [2, 1, 2] && shared.floats == [1, 2, 3, 4])
  }

  @Test func softmaxAndReduceMean() throws {
    let v = GraphTensor(shape: [2, 3], floats: [1, 2, 3, 0, 0, 0])
    let s = try run1("Softmax", [.value(v)])
    let e = [exp(Float(-2)), exp(Float(-1)), 1]
    let sum = e.reduce(0, +)
    #expect(largestDifference(s.floats, e.map { $0 / sum } + [1.0 / 3, 1.0 / 3, 1.0 / 3]) < 1e-6)
    // Opset 11 coerces to 2-D at axis 1: one softmax over all six values.
    let coerced = try run1("Softmax", [.value(v.reshaped([1, 2, 3]))], opset: 11)
    #expect(abs(coerced.floats.reduce(0, +) - 1) < 1e-6)
    let axis0 = try run1("Softmax", [.value(v)], ["axis": .int(0)])
    #expect(largestDifference(Array(axis0.floats.prefix(3)), [1, 2, 3].map { exp(Float($0)) / (exp(Float($0)) + 1) }) < 1e-6)
    let mean = try run1("ReduceMean", [.value(x)], ["axes": .ints([2, 3])])
    #expect(mean.shape == [1, 2, 1, 1] && mean.floats == [5.5, 17.5])
    let flat = try run1("ReduceMean", [.value(x)], ["axes": .ints([1]), "keepdims": .int(0)])
    #expect(flat.shape == [1, 3, 4] && flat.floats.prefix(2) == [6, 7])
    #expect(try run1("ReduceMean", [.value(x)], ["keepdims": .int(0)]).floats == [11.5])
    let input18 = try run1("ReduceMean", [.value(x), .constant(GraphTensor(int64s: [-1]))], opset: 18)
    #expect(input18.shape == [1, 2, 3, 1] && input18.floats.first == 1.5)
  }

  @Test func emptyTensorsFlowThroughWithoutCrashing() throws {
    let empty = GraphTensor(shape: [1, 2, 0, 3], floats: [])
    #expect(try run1("GlobalMaxPool", [.value(empty)]).floats == [-.infinity, -.infinity])
    #expect(try run1("GlobalAveragePool", [.value(empty)]).floats == [0, 0])
    #expect(try run1("Concat", [.value(empty), .value(empty)], ["axis": .int(1)]).shape == [1, 4, 0, 3])
    #expect(try run1("Relu", [.value(empty)]).shape == [1, 2, 0, 3])
    #expect(try run1("Add", [.value(empty), .value(GraphTensor(scalar: 1))]).shape == [1, 2, 0, 3])
    #expect(try run1("Pad", [.value(empty), .constant(GraphTensor(int64s: [0, 0, 0, 1, 0, 0, 0, 1]))]).shape == [1, 2, 0, 5])
    #expect(try run1("Transpose", [.value(empty)]).shape == [3, 0, 2, 1])
    #expect(errorText { try run1("MaxPool", [.value(empty)], ["kernel_shape": .ints([1, 1])]) } != nil)
    #expect(errorText { try elementCount([0, 1 << 40, 1 << 40]) }?.contains("overflows") == true)
    // A huge slice step takes one element.
    let v = GraphTensor(shape: [5], floats: [0, 1, 2, 3, 4])
    let sliced = try run1(
      "Slice", [.value(v), .constant(GraphTensor(int64s: [1])), .constant(GraphTensor(int64s: [Int64.max])), .none,
        .constant(GraphTensor(int64s: [Int64.max]))])
    #expect(sliced.floats == [1])
    let back = try run1(
      "Slice", [.value(v), .constant(GraphTensor(int64s: [-1])), .constant(GraphTensor(int64s: [Int64.min])), .none,
        .constant(GraphTensor(int64s: [Int64.min]))])
    #expect(back.floats == [4])
  }

  @Test func identityDropoutAndConstant() throws {
    #expect(try run1("Identity", [.value(x)]) == x)
    #expect(try run1("Dropout", [.value(x)]) == x)
    let c = try run1("Constant", [], ["value_ints": .ints([3, 4])])
    #expect(c.int64s == [3, 4])
  }
}
