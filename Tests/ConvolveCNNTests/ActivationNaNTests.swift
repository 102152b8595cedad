import ConvolveCore
import Foundation
import Testing
@testable import ConvolveCNN

/// Relu, HardSigmoid and HardSwish keep NaN as onnxruntime and PyTorch do: in the operators, the fused
/// element-wise stages, ConvolveCNN's `Activation`, and the C kernels' output stages at every SIMD level.
@Suite struct ActivationNaNTests {
  static let input = GraphTensor(shape: [1, 2, 2, 3], floats: [.nan, -1, 0.5, 3, .nan, -0.25, 2, -4, .nan, 0, 1, .nan])

  @Test func operatorsAndStagesKeepNaN() throws {
    for (op, attributes) in [("Relu", [:]), ("HardSigmoid", ["alpha": Attribute.float(0.2)]), ("HardSwish", [:]), ("LeakyRelu", [:])]
      as [(String, [String: Attribute])]
    {
      let y = try run1(op, [.value(Self.input)], attributes, opset: 14).floats
      #expect(zip(y, Self.input.floats).allSatisfy { $0.isNaN == $1.isNaN }, "\(op): \(y)")
    }
    #expect(Activation.relu(.nan).isNaN)
    #expect(Activation.relu(-2) == 0 && Activation.relu(2) == 2)
    for stage in [ElementwiseStage.activation(.relu), .hardSigmoid(alpha: 0.2, beta: 0.5), .hardSwish] {
      var v = Self.input.floats
      v.withUnsafeMutableBufferPointer { stage.apply($0.baseAddress!, $0.count) }
      #expect(zip(v, Self.input.floats).allSatisfy { $0.isNaN == $1.isNaN }, "\(stage): \(v)")
    }
  }

  @Test func convolutionKernelStagesKeepNaNAtEveryLevel() throws {
    // A 1x1 convolution by the identity: every NaN of the input reaches the output stages unchanged.
    let (c, h, w) = (2, 5, 19)
    var values = (0 ..< c * h * w).map { Float($0 % 7) - 3 }
    for i in stride(from: 3, to: values.count, by: 5) { values[i] = .nan }
    let geometry = LayerGeometry(stride: (1, 1), padding: .explicit(.zero), dilation: (1, 1), groups: 1, rounding: .floor)
    for level in 0 ... bestConvolutionKernelLevel {
      for stage in [ElementwiseStage.activation(.relu), .hardSigmoid(alpha: 0.2, beta: 0.5), .hardSwish, .clip(0, 6)] {
        let plan = try #require(
          ConvKernelPlan(
            channels: c, height: h, width: w, weights: [1, 0, 0, 1], bias: [], filters: c, kh: 1, kw: 1, geometry: geometry,
            level: level, winograd: false, bandFloats: 0, copyTiles: nil)
        ).fusing([stage])
        var got = [Float](repeating: 0, count: plan.outputCount)
        values.withUnsafeBufferPointer { src in got.withUnsafeMutableBufferPointer { plan.run(src.baseAddress!, $0.baseAddress!) } }
        var expected = values
        expected.withUnsafeMutableBufferPointer { stage.apply($0.baseAddress!, $0.count) }
        #expect(zip(got, values).allSatisfy { $0.isNaN == $1.isNaN }, "level \(level) \(stage): \(got)")
        #expect(largestDifference(got.map { $0.isNaN ? 0 : $0 }, expected.map { $0.isNaN ? 0 : $0 }) <= 1e-6, "level \(level) \(stage)")
      }
    }
  }
}
