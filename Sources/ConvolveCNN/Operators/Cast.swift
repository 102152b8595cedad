import ConvolveCore

/// ONNX Cast. Floating-point targets are held as Float32 (float16 and bfloat16 values rounded to their
/// precision), integer and boolean targets as Int64 (truncated toward zero, wrapped to the target width).
struct CastOperator: GraphOperator {
  /// ONNX TensorProto.DataType numbers.
  enum Target: Int {
    case float = 1, uint8 = 2, int8 = 3, uint16 = 4, int16 = 5, int32 = 6, int64 = 7, bool = 9, float16 = 10
    case double = 11, uint32 = 12, uint64 = 13, bfloat16 = 16
  }
  let target: Target

  init(_ node: Node) throws {
    guard let to = try node.int("to") else { throw ConvolveError.invalidArgument("'to' is missing") }
    guard let target = Target(rawValue: to) else { throw ConvolveError.invalidArgument("casting to data type \(to) is not supported") }
    self.target = target
  }

  var elementType: ElementType { [.float, .float16, .double, .bfloat16].contains(target) ? .float32 : .int64 }

  func infer(_ inputs: [KnownValue?]) throws -> [ValueType] {
    [ValueType(try required(inputs, 0, "input").shape, elementType)]
  }

  func run(_ inputs: inout OperatorInputs) throws -> [GraphTensor] {
    let x = try inputs.take(0, "input")
    switch target {
    case .float, .double: return [GraphTensor(shape: x.shape, floats: x.floats)]
    case .float16: return [GraphTensor(shape: x.shape, floats: x.floats.map { Float(Float16($0)) })]
    case .bfloat16:
      return [GraphTensor(shape: x.shape, floats: x.floats.map { v in
        guard v.isFinite else { return v }
        let bits = v.bitPattern
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return Float(bitPattern: rounded & 0xFFFF_0000)
      })]
    default:
      let values: [Int64]
      if case .float(let f) = x.storage, target == .bool {
        values = f.map { $0 != 0 ? 1 : 0 }
      } else {
        let v = x.int64s
        switch target {
        case .bool: values = v.map { $0 != 0 ? 1 : 0 }
        case .uint8: values = v.map { Int64(UInt8(truncatingIfNeeded: $0)) }
        case .int8: values = v.map { Int64(Int8(truncatingIfNeeded: $0)) }
        case .uint16: values = v.map { Int64(UInt16(truncatingIfNeeded: $0)) }
        case .int16: values = v.map { Int64(Int16(truncatingIfNeeded: $0)) }
        case .int32: values = v.map { Int64(Int32(truncatingIfNeeded: $0)) }
        case .uint32: values = v.map { Int64(UInt32(truncatingIfNeeded: $0)) }
        default: values = v
        }
      }
      return [GraphTensor(shape: x.shape, int64s: values)]
    }
  }
}

extension CastOperator {
  var reverseReads: ReverseReads? { .nothing }

  /// A cast between floating-point types passes the gradient unchanged (the rounding to Float16 or
  /// BFloat16 counted as the identity); integer targets carry none.
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    guard [.float, .double, .float16, .bfloat16].contains(target) else { return [nil] }
    return try shapeOnlyReverse(context)
  }
}
