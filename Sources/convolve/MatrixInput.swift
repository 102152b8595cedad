import ArgumentParser
import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveLecture
import ConvolveRender
import Foundation

/// A small matrix from the command line: inline text (`"4,5,6;7,8,9"`, channels split by `|`), a `.txt`
/// file with one row per line, or a `.npy` file.
func readMatrix(_ text: String) throws -> Tensor {
  if text.hasSuffix(".npy") { return try NPYArray.read(path: text).tensor() }
  if text.hasSuffix(".txt") {
    guard let contents = String(data: try readFileData(text, what: "the matrix file"), encoding: .utf8) else {
      throw ConvolveError.file(path: text, reason: "the matrix file is not UTF-8 text")
    }
    do { return try parseMatrix(contents) } catch let error as ConvolveError {
      throw ConvolveError.file(path: text, reason: error.description)
    }
  }
  return try parseMatrix(text)
}
