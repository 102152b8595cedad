// libFuzzer target for the text parsers: inline kernels, inline matrices, filter (kernel) files,
// pipeline files, shape-stage, activation and pooling specs. The first byte picks the parser, the
// rest is its input. A thrown error is the expected outcome for junk; a trap (overflow, index out
// of range, force-unwrap) or a sanitizer report is a bug.
//
// Built by Fuzz/run.sh parsers: the ConvolveCore sources and the parser files of ConvolveFormats are
// compiled into this one module (their `import ConvolveCore` lines removed), so no SwiftPM build
// with fuzzer instrumentation is needed.
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
  switch data[0] % 7 {
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
  default: _ = try? Pooling(parsing: text)
  }
  return 0
}
