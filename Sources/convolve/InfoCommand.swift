import ArgumentParser
import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveLecture
import ConvolveRender
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

struct InfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info",
    abstract: "Print an image's size, channels, bit depth and orientation without decoding it.",
    discussion: "--cpu prints the SIMD path the hot loops take on this CPU, the cores they use and the BLAS library found.")

  @Argument(help: "Images (PNG, JPEG, WebP, TIFF, AVIF or HEIC).", completion: imageFileCompletion) var images: [String] = []
  @Flag(help: "Print the SIMD path (portable, avx2, avx512), the cores used and the BLAS library.") var cpu = false

  func validate() throws {
    guard cpu || !images.isEmpty else { throw ValidationError("Give one or more images, or --cpu.") }
  }

  func run() throws {
    if cpu {
      let chosen = SIMDLevel.current, best = SIMDLevel.best
      let lowered = chosen < best ? " (lowered by CONVOLVE_SIMD; this CPU runs \(SIMDLevel.name(best)))" : ""
      print("SIMD: \(SIMDLevel.name(chosen))\(lowered), \(ProcessInfo.processInfo.activeProcessorCount) cores")
      let blas = matrixLibrary
      print("BLAS: \(blas == "reference" ? "a plain loop (no CBLAS library found, or CONVOLVE_BLAS=none)" : blas) for grouped and transposed layers, Gemm, MatMul")
    }
    var failed = false
    for path in images {
      do {
        let info = try imageInfo(path: path)
        let layout = ["", "gray", "gray+alpha", "RGB", "RGBA"][min(info.channels, 4)]
        let orientation = info.orientation == 1 ? "" : ", EXIF orientation \(info.orientation)"
        print("\(path): \(info.format) \(info.width)x\(info.height), \(info.channels) channel\(info.channels == 1 ? "" : "s") (\(layout)), \(info.bitDepth)-bit\(info.bitDepth == 32 ? " float" : "")\(orientation)")
      } catch {
        FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
        failed = true
      }
    }
    if failed { throw ExitCode.failure }
  }
}
