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
    commandName: "info", abstract: "Print an image's size, channels, bit depth and orientation without decoding it.")

  @Argument(help: "Images (PNG or JPEG).", completion: imageFileCompletion) var images: [String]

  func run() throws {
    var failed = false
    for path in images {
      do {
        let info = try imageInfo(path: path)
        let layout = ["", "gray", "gray+alpha", "RGB", "RGBA"][min(info.channels, 4)]
        let orientation = info.orientation == 1 ? "" : ", EXIF orientation \(info.orientation)"
        print("\(path): \(info.format) \(info.width)x\(info.height), \(info.channels) channel\(info.channels == 1 ? "" : "s") (\(layout)), \(info.bitDepth)-bit\(orientation)")
      } catch {
        FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
        failed = true
      }
    }
    if failed { throw ExitCode.failure }
  }
}
