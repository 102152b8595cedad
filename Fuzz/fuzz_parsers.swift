// libFuzzer target for the parsers: inline kernels, inline matrices, filter (kernel) files,
// pipeline files, shape-stage, activation and pooling specs, .npy files (parsed, then used as an image
// and as a filter bank) and whole `shape` reports (input size and stages: every size on the way is
// computed with checked arithmetic). The first byte picks the parser, the rest is its input. A thrown error is the expected outcome for junk; a trap (overflow, index out
// of range, force-unwrap) or a sanitizer report is a bug.
//
// Built by Fuzz/run.sh parsers: the ConvolveCore and ConvolveCNN sources, the parser files of
// ConvolveFormats and ConvolveLecture are compiled into this one module (their module imports removed),
// so no SwiftPM build with fuzzer instrumentation is needed.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Pipeline.load reads a path: one scratch file per process, in tmpfs when there is one.
private let pipelinePath: String = {
  let directory = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NSTemporaryDirectory()
  var template = Array("\(directory)/fuzz-pipeline-XXXXXX".utf8CString)
  let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
  precondition(fd >= 0, "mkstemp failed")
  close(fd)
  let path = String(cString: template)
  atexit { unlink(pipelinePath) }
  return path
}()

private func writePipeline(_ bytes: UnsafeBufferPointer<UInt8>) {
  let fd = open(pipelinePath, O_WRONLY | O_TRUNC)
  precondition(fd >= 0, "cannot open the scratch file")
  if let base = bytes.baseAddress, bytes.count > 0 { precondition(write(fd, base, bytes.count) == bytes.count) }
  close(fd)
}

private func noLibraryFilter(_ name: String) throws -> Kernel {
  if name == "box" { return try Kernel(rows: [[1, 1, 1], [1, 1, 1], [1, 1, 1]]) }
  throw ConvolveError.invalidArgument("no filter \(name)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size >= 1 else { return 0 }
  let rest = UnsafeBufferPointer(start: data + 1, count: size - 1)
  let text = String(decoding: rest, as: UTF8.self)
  switch data[0] % 9 {
  case 0: _ = try? parseInlineKernel(text)
  case 1: _ = try? parseMatrix(text)
  case 2:
    if let definition = try? FilterDefinition(json: Data(rest), path: "fuzz.json") { _ = definition.kernel }
  case 3:
    // Data(contentsOf:) leaks its 4 KiB buffer on an empty file (FoundationEssentials, Swift 6.3),
    // which LeakSanitizer would report on every empty input; the parser never sees those bytes.
    guard rest.count > 0 else { return 0 }
    writePipeline(rest)
    _ = try? Pipeline.load(path: pipelinePath, kernelNamed: noLibraryFilter)
  case 4: _ = try? ShapeStage(parsing: text)
  case 5: _ = try? Activation(parsing: text)
  case 6: _ = try? Pooling(parsing: text)
  case 7:
    guard let array = try? NPYArray(npy: Data(rest), path: "fuzz.npy") else { return 0 }
    // What the commands do with an array: an image (filter --input), weights (layer --weights), bytes back.
    if let tensor = try? array.tensor(), tensor.count <= 1 << 16 {
      _ = try? convolve(tensor, with: Kernel(height: 1, width: 2, weights: [1, -1]), options: .init(stride: 2))
    }
    _ = try? FilterBank(weights: array)
    _ = array.npyData()
  default:
    let words = text.split(separator: " ").map(String.init)
    guard let first = words.first, let input = try? ShapeInput(parsing: first) else { return 0 }
    _ = try? shapeReport(input: input, stages: Array(words.dropFirst()), rounding: [.floor, .strict, .ceil][Int(data[0] / 9) % 3])
  }
  return 0
}
