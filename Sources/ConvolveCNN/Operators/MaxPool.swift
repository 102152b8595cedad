import ConvolveCore

/// ONNX MaxPool (2-D, or 1-D as height 1): kernel_shape, strides, pads, auto_pad, dilations, ceil_mode,
/// through ConvolveCore's `Pooling`; with the Indices output (flat positions in the input, row-major or, for
/// `storage_order` 1, column-major within each plane), by a plain loop that finds both.
struct MaxPoolOperator: GraphOperator {
  let attributes: PoolAttributes
  let indices: Bool
  let columnMajor: Bool

  init(_ node: Node, opset: Int) throws {
    attributes = try PoolAttributes(node)
    indices = node.outputs.count > 1 && !node.outputs[1].isEmpty
    columnMajor = try node.int("storage_order", default: 0) != 0
  }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    let x = try required(inputs, 0, "X")
    let shape = try attributes.pooling(.max, input: x.shape, countIncludesPadding: true).1
    return [ValueType(shape), ValueType(shape, .int64)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.take(0, "X")
    guard indices else { return [try attributes.run(.max, x, countIncludesPadding: true)] }
    let (p, outShape) = try attributes.pooling(.max, input: x.shape, countIncludesPadding: true)
    let (n, c, h, w) = try spatialDims(x.shape)
    let (oh, ow) = try p.outputSize(inputHeight: h, inputWidth: w)
    let v = try requireFloat(x, "X")
    var values = [Float](repeating: 0, count: n * c * oh * ow), positions = [Int64](repeating: 0, count: values.count)
    for plane in 0 ..< n * c {
      for y in 0 ..< oh {
        for xo in 0 ..< ow {
          var best = -Float.infinity, at = -1
          for i in 0 ..< p.kernelHeight {
            let sy = y * p.strideY - p.padding.top + i * p.dilationY
            guard sy >= 0 && sy < h else { continue }
            for j in 0 ..< p.kernelWidth {
              let sx = xo * p.strideX - p.padding.left + j * p.dilationX
              guard sx >= 0 && sx < w else { continue }
              let value = v[(plane * h + sy) * w + sx]
              if value > best || at < 0 {
                best = value
                at = columnMajor ? plane * h * w + sx * h + sy : (plane * h + sy) * w + sx
              }
            }
          }
          let o = (plane * oh + y) * ow + xo
          (values[o], positions[o]) = (best, Int64(max(at, 0)))
        }
      }
    }
    return [GraphTensor(shape: outShape, floats: values), GraphTensor(shape: outShape, int64s: positions)]
  }
}

extension MaxPoolOperator {
  func receptiveField(_ context: FieldContext) throws -> ReceptiveField? { try attributes.receptiveField(context) }
}
