import ConvolveJobs
import ConvolveTestSupport
import ConvolveCore
import Foundation
import Testing
import ConvolveCNN
@testable import ConvolveFormats

@Suite struct NPYTests {
  func fixture(_ name: String) -> String { fixtureURL(name).path }
  func temporaryDirectory() throws -> String { try ConvolveTestSupport.temporaryDirectory().path }

  @Test func readsFilesWrittenByNumPy() throws {
    let f4 = try NPYArray.read(path: fixture("f4_2x3.npy"))
    #expect(f4.shape == [2, 3])
    #expect(f4.data == [1.5, -2, 3.25, 0, 1e-3, -7])
    let image = try f4.tensor()
    #expect(image.channels == 1 && image.height == 2 && image.width == 3)
    let f8 = try NPYArray.read(path: fixture("f8_2x2x2.npy"))
    #expect(f8.shape == [2, 2, 2])
    #expect(f8.data == [-0.5, -0.25, 0, 0.25, 0.5, 0.75, 1, 1.25])
    #expect(try f8.tensor().channels == 2)
    #expect(try NPYArray.read(path: fixture("u1_4.npy")).data == [0, 1, 128, 255])
    #expect(try NPYArray.read(path: fixture("i4_2x2.npy")).data == [-3, 0, 7, 100000])
    for version in ["v2", "v3"] {
      #expect(try NPYArray.read(path: fixture("\(version)_f4_2x3.npy")) == f4)
    }
  }

  @Test func roundTripsThroughAFile() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let tensor = Tensor(channels: 2, height: 3, width: 4, data: (0 ..< 24).map { Float($0) * 0.37 - 3 })
    let path = dir + "/t.npy"
    try NPYArray(tensor).write(path: path)
    let back = try NPYArray.read(path: path)
    #expect(back.shape == [2, 3, 4])
    #expect(try back.tensor() == tensor)
    // float64 input arrives as Float32 and is written back as '<f4'.
    let f8 = try NPYArray.read(path: fixture("f8_2x2x2.npy"))
    try f8.write(path: path)
    #expect(try NPYArray.read(path: path) == f8)
    let bytes = try #require(FileManager.default.contents(atPath: path))
    let header = String(decoding: bytes[10 ..< 10 + Int(bytes[8])], as: UTF8.self)
    #expect(header.contains("'descr': '<f4'") && header.contains("'shape': (2, 2, 2)"))
    #expect(bytes.count % 16 == 0 && (10 + Int(bytes[8])) % 64 == 0)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["t.npy"])
    let vector = try NPYArray(shape: [3], data: [1, 2, 3])
    try vector.write(path: path)
    #expect(try NPYArray.read(path: path) == vector)
  }

  /// The exact bytes numpy writes for the same array, so numpy can read ours.
  @Test func writesWhatNumPyWrites() throws {
    let numpy = try #require(FileManager.default.contents(atPath: fixture("f4_2x3.npy")))
    let array = try NPYArray.read(path: fixture("f4_2x3.npy"))
    #expect(array.npyData() == numpy)
  }

  @Test func failedWriteLeavesNoTemporaryFile() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.createDirectory(atPath: dir + "/occupied/inner", withIntermediateDirectories: true)
    let m = thrownMessage { try NPYArray(shape: [1], data: [1]).write(path: dir + "/occupied") }
    #expect(m?.contains("occupied") == true)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["occupied"])
  }

  @Test func clearErrors() throws {
    let fortran = thrownMessage { try NPYArray.read(path: fixture("fortran_f4_2x3.npy")) }
    #expect(fortran?.contains("fortran_f4_2x3.npy") == true && fortran?.contains("Fortran") == true)
    #expect(fortran?.contains("<f4") == true)
    let big = thrownMessage { try NPYArray.read(path: fixture("bigendian_f4_2x3.npy")) }
    #expect(big?.contains("bigendian_f4_2x3.npy") == true && big?.contains("big-endian dtype '>f4'") == true)
    let complex = thrownMessage { try NPYArray.read(path: fixture("complex_c8_2.npy")) }
    #expect(complex?.contains("complex_c8_2.npy") == true && complex?.contains("'<c8'") == true)
    let truncated = thrownMessage { try NPYArray.read(path: fixture("truncated_f4_2x3.npy")) }
    #expect(truncated?.contains("truncated") == true && truncated?.contains("needs 24 bytes, the file has 19") == true)
    #expect(thrownMessage { try NPYArray(npy: Data("not numpy".utf8), path: "x.npy") }?.contains("x.npy: not a .npy") == true)
    #expect(thrownMessage { try NPYArray.read(path: fixture("missing.npy")) }?.contains("missing.npy") == true)
    #expect(thrownMessage { try NPYArray(shape: [2, 2], data: [1]) }?.contains("4 values") == true)
    #expect(thrownMessage { try NPYArray(shape: [4], data: [1, 2, 3, 4]).tensor() }?.contains("[4]") == true)
  }

  @Test func filterBankFromWeightsAndBias() throws {
    let weights = try NPYArray.read(path: fixture("weights_2x3x1x2.npy"))
    let bias = try NPYArray.read(path: fixture("bias_2.npy"))
    let bank = try FilterBank(weights: weights, bias: bias)
    #expect(bank.outChannels == 2 && bank.inChannelsPerGroup == 3 && bank.kernelHeight == 1 && bank.kernelWidth == 2)
    #expect(bank.weights == (0 ..< 12).map(Float.init) && bank.bias == [0.5, -0.5])
    #expect(bank.parameterCount == 14)
    let ones = Tensor(channels: 3, height: 1, width: 2, repeating: 1)
    #expect(try convolutionLayer(ones, bank).data == [15.5, 50.5])
    #expect(thrownMessage { try FilterBank(weights: bias) }?.contains("rank 4") == true)
    #expect(thrownMessage { try FilterBank(weights: weights, bias: weights) }?.contains("rank 1") == true)
    let threeBias = try NPYArray(shape: [3], data: [1, 2, 3])
    #expect(thrownMessage { try FilterBank(weights: weights, bias: threeBias) }?.contains("3 values") == true)
  }

  /// A header whose shape product overflows once multiplied by the item size is an error naming the file
  /// (it wrapped to a small size under -Ounchecked before), as is one whose product overflows by itself.
  @Test func shapeProductsThatOverflowAreErrors() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for shape in ["(2305843009213693952,)", "(4294967296, 4294967296)", "(9223372036854775807, 2)"] {
      var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
      while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
      header += "\n"
      let bytes = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)]
        + Array(header.utf8) + [UInt8](repeating: 0, count: 16)
      let path = dir + "/huge.npy"
      _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
      let m = thrownMessage { try NPYArray.read(path: path) }
      #expect(m?.contains(path) == true && (m?.contains("too large") == true || m?.contains("truncated") == true), "\(shape): \(m ?? "no error")")
    }
  }
}
