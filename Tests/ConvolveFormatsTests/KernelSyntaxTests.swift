import ConvolveCore
import ConvolveTestSupport
import Foundation
import Testing

@testable import ConvolveFormats

/// Kernels in every peer's syntax: ImageMagick strings, libvips matrix files, .txt and .npy files.
@Suite struct KernelSyntaxTests {
  func matrix(_ source: KernelSource) throws -> KernelMatrix {
    guard case .matrix(let m) = source else { throw ConvolveError.invalidArgument("not a matrix: \(source)") }
    return m
  }

  // MARK: ImageMagick

  @Test func imageMagickStringsFromItsDocumentation() throws {
    // `-morphology Convolve '3x3: -1,-1,-1,-1,8,-1,-1,-1,-1'` (the Laplacian of the issue).
    #expect(try parseImageMagickKernel("3x3: -1,-1,-1,-1,8,-1,-1,-1,-1").rows == [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]])
    // `'3: 0,1,0 1,-4,1 0,1,0'`: a single size is a square; values by spaces and commas alike.
    #expect(try parseImageMagickKernel("3: 0,1,0  1,-4,1  0,1,0").rows == [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    // The Sobel of the ImageMagick convolution examples, quoted as on the command line.
    #expect(try parseImageMagickKernel("'3x3: 1,0,-1 2,0,-2 1,0,-1'").rows == [[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    // W x H: a 1x3 kernel is one column, 3x1 one row.
    #expect(try parseImageMagickKernel("1x3: 1,2,1").rows == [[1], [2], [1]])
    #expect(try parseImageMagickKernel("3x1: 1 2 1").rows == [[1, 2, 1]])
    // "nan" and "-" are positions outside the kernel: they weigh nothing.
    #expect(try parseImageMagickKernel("3x3: -,1,-  1,1,1  nan,1,NaN").rows == [[0, 1, 0], [1, 1, 1], [0, 1, 0]])
    // A trailing ';' (the end of a one-kernel list) is allowed.
    #expect(try parseImageMagickKernel("3x1: 1,1,1;").rows == [[1, 1, 1]])
  }

  @Test func originsAndEvenSizesArePaddedSoTheOriginIsTheCentre() throws {
    // 2x2: ImageMagick's origin is +0+0 (just above and left of the centre).
    #expect(try parseImageMagickKernel("2x2: 1,2 3,4").rows == [[0, 0, 0], [0, 1, 2], [0, 3, 4]])
    // An explicit origin at the left end of a row.
    #expect(try parseImageMagickKernel("3x1+0+0: 1,2,3").rows == [[0, 0, 1, 2, 3]])
    // The centre given explicitly changes nothing.
    #expect(try parseImageMagickKernel("3x3+1+1: 1,2,3,4,5,6,7,8,9").rows == [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    // Bottom-right origin: the kernel ends up in the top-left corner of a 5x5.
    let k = try parseImageMagickKernel("2x2+1+1: 1,2,3,4")
    #expect(k.rows == [[1, 2, 0], [3, 4, 0], [0, 0, 0]])
    // Only +X: Y stays at the default centre.
    #expect(try parseImageMagickKernel("3x3+2: 1,2,3,4,5,6,7,8,9").rows == [
      [1, 2, 3, 0, 0], [4, 5, 6, 0, 0], [7, 8, 9, 0, 0],
    ])
  }

  /// ImageMagick's Correlate puts the origin value on the output pixel and the others at +x/+y from it;
  /// Convolve reflects the kernel about the origin. Checked on an impulse.
  @Test func originAlignmentMatchesImageMagickOnAnImpulse() throws {
    var impulse = Tensor(channels: 1, height: 5, width: 5)
    impulse.data[2 * 5 + 2] = 1
    let kernel = try parseImageMagickKernel("2x2: 1,2 3,4")
    var options = ConvolutionOptions()
    options.correlate = true
    let correlated = try convolve(impulse, with: kernel, options: options)
    // out(x, y) = sum k[v][u] in(x + u, y + v): the impulse at (2, 2) lands at (2-u, 2-v).
    #expect(correlated[0, 2, 2] == 1 && correlated[0, 2, 1] == 2 && correlated[0, 1, 2] == 3 && correlated[0, 1, 1] == 4)
    #expect(correlated.data.reduce(0, +) == 10)
    options.correlate = false
    let convolved = try convolve(impulse, with: kernel, options: options)
    // out(x, y) = sum k[v][u] in(x - u, y - v): the impulse spreads to (2+u, 2+v).
    #expect(convolved[0, 2, 2] == 1 && convolved[0, 2, 3] == 2 && convolved[0, 3, 2] == 3 && convolved[0, 3, 3] == 4)
    #expect(convolved.data.reduce(0, +) == 10)
  }

  @Test func imageMagickRefusalsSayWhatIsWrong() {
    let cases: [(String, String)] = [
      ("3x3: 1,2,3,4,5,6,7,8", "a 3x3 kernel needs 3 x 3 = 9 values, got 8"),
      ("3x3: 1,2,3,4,5,6,7,8,9,10", "a 3x3 kernel needs 3 x 3 = 9 values, got 10"),
      ("3x3@: 1,2,3,4,5,6,7,8,9", "'@' (expand a 3x3 kernel by 45-degree rotations) makes a list of kernels"),
      ("3x3^: 1,2,3,4,5,6,7,8,9", "'^' (expand by 90-degree rotations) makes a list of kernels"),
      ("3x1: 1,1,1; 1x3: 1,1,1", "lists of several kernels (separated by ';') are not supported"),
      ("Gaussian:0x2", "ImageMagick's built-in kernels (Gaussian:...) are not supported"),
      ("3x3+3+0: 1,2,3,4,5,6,7,8,9", "the origin +3+0 is outside the 3x3 kernel"),
      ("3x3-1+0: 1,2,3,4,5,6,7,8,9", "the origin offset -1 is negative"),
      ("0x3: 1", "has a zero side"),
      ("3x1: 1,x,1", "value 2, \"x\", is not a number"),
      ("3x1: 1,,1", "empty value after value 1 (two ',' in a row?)"),
      ("3x1: -,nan,-", "every value is nan or -"),
      ("3y3: 1", "the size \"3y3\" is not W, WxH or WxH+X+Y"),
      ("99999999999x99999999999: 1", "values, got 1"),
    ]
    for (text, expected) in cases {
      let message = thrownMessage { try parseImageMagickKernel(text) } ?? "no error"
      #expect(message.hasPrefix("ImageMagick kernel \"\(text)\": ") && message.contains(expected), "\(text): \(message)")
    }
  }

  // MARK: libvips

  @Test func vipsMatrixScaleDividesAndOffsetIsKept() throws {
    // The sharpening mask of the libvips documentation: sum(pixel * mask) / 8.
    let m = try VipsMatrix(text: "3 3 8 0\n-1 -1 -1\n-1 16 -1\n-1 -1 -1\n", path: "sharpen.mat")
    #expect(m.kernel.rows == [[-0.125, -0.125, -0.125], [-0.125, 2, -0.125], [-0.125, -0.125, -0.125]])
    #expect(m.scale == 8 && m.offset == 0)
    // Emboss with an offset of 128; commas, tabs and quotes separate numbers too.
    let e = try VipsMatrix(text: "3,3,1,128\n\"-1\",\t0, 0\n0 0 0\n0 0 1\n", path: "emboss.mat")
    #expect(e.kernel.rows == [[-1, 0, 0], [0, 0, 0], [0, 0, 1]] && e.offset == 128)
    // Scale and offset may be left out; extra numbers at the end of a row and lines after the last row are
    // ignored, blank lines skipped (as libvips does).
    let plain = try VipsMatrix(text: "2 1\n\n1 2 99\nthis line is ignored\n", path: "x.mat")
    #expect(plain.kernel.rows == [[1, 2]] && plain.scale == 1 && plain.offset == 0)
  }

  @Test func vipsMatrixErrorsNameTheFileAndLine() {
    let cases: [(String, String)] = [
      ("", "is empty; a libvips matrix starts with a line \"W H [scale offset]\""),
      ("3\n1 2 3\n", "line 1 has 1 numbers"),
      ("0 3\n1\n", "line 1: the width and height \"0 3\" must be positive whole numbers"),
      ("2 2 0 0\n1 1\n1 1\n", "line 1: the scale is 0"),
      ("3 3\n1 2 3\n4 5 6\n", "the header says 3 rows of 3 numbers, the file has 2 rows after it"),
      ("3 2\n1 2 3\n4 5\n", "line 3 (row 2) has 2 numbers; the header says 3 per row"),
      ("2 1\n1 x\n", "line 2: the value \"x\" is not a finite number"),
      ("2 1 1 inf\n1 1\n", "line 1: the offset \"inf\" is not a finite number"),
    ]
    for (text, expected) in cases {
      let message = thrownMessage { try VipsMatrix(text: text, path: "k.mat") } ?? "no error"
      #expect(message.hasPrefix("k.mat: ") && message.contains(expected), "\(text): \(message)")
    }
  }

  // MARK: the --kernel argument and --kernel-file

  @Test func argumentSyntaxesAreRecognised() throws {
    let laplacian: [[Float]] = [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]
    let rows = try matrix(parseKernelArgument("-1,-1,-1;-1,8,-1;-1,-1,-1"))
    #expect(rows.kernel.rows == laplacian && rows.syntax == .rows && rows.offset == 0)
    let im = try matrix(parseKernelArgument("3x3: -1,-1,-1,-1,8,-1,-1,-1,-1"))
    #expect(im.kernel.rows == laplacian && im.syntax == .imageMagick)
    // One row written with a trailing ';' is a row; so are lists that are no odd square.
    #expect(try matrix(parseKernelArgument("1,1,1,1,1,1,1,1,1;")).kernel.rows == [[1, 1, 1, 1, 1, 1, 1, 1, 1]])
    #expect(try matrix(parseKernelArgument("1,2,1")).kernel.rows == [[1, 2, 1]])
  }

  @Test func ambiguousAndUnknownArgumentsListTheForms() {
    let old = thrownMessage { try parseKernelArgument("-1,-1,-1,-1,8,-1,-1,-1,-1") } ?? ""
    #expect(old.contains("9 values and no ';' could be one row of 9"))
    #expect(old.contains("write \"3x3: -1,-1,-1,-1,8,-1,-1,-1,-1\" for the square, or end with ';' for one row"))
    let name = thrownMessage { try parseKernelArgument("sobel") } ?? ""
    #expect(name.contains("kernel \"sobel\" is in no syntax convolve reads (for the library filter 'sobel', use --filter sobel)"))
    #expect(name.contains("ImageMagick \"3x3: -1,-1,-1,-1,8,-1,-1,-1,-1\"") && name.contains(".mat (libvips"))
    let file = thrownMessage { try parseKernelArgument("kernel.csv") } ?? ""
    #expect(file.contains("is in no syntax convolve reads. Write it as one of: rows"))
    // Text that looks like rows keeps the precise message.
    #expect(thrownMessage { try parseKernelArgument("1,2;3,x") }?.contains("\"x\" at row 2, column 2 is not a number") == true)
  }

  @Test func kernelFilesOfEveryKind() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    func write(_ name: String, _ text: String) throws -> String {
      let path = dir.appendingPathComponent(name).path
      try Data(text.utf8).write(to: URL(fileURLWithPath: path))
      return path
    }
    // .txt: one row per line, '#' comments, commas or spaces.
    let txt = try write("k.txt", "# a Sobel\n1 0 -1\n2, 0, -2\n\n1 0 -1  # last row\n")
    let t = try matrix(parseKernelArgument(txt))
    #expect(t.kernel.rows == [[1, 0, -1], [2, 0, -2], [1, 0, -1]] && t.syntax == .textFile)
    // .txt that starts with a libvips header is a libvips matrix.
    let vipsText = try write("v.txt", "3 1 4 10\n1 2 1\n")
    let v = try matrix(readKernelFile(vipsText))
    #expect(v.kernel.rows == [[0.25, 0.5, 0.25]] && v.offset == 10 && v.syntax == .vipsMatrix)
    // .mat is always libvips.
    let mat = try write("e.mat", "3 3 1 128\n-1 0 0\n0 0 0\n0 0 1\n")
    let e = try matrix(parseKernelArgument(mat))
    #expect(e.offset == 128 && e.kernel.rows == [[-1, 0, 0], [0, 0, 0], [0, 0, 1]])
    // An ImageMagick string in a text file.
    let imText = try write("im.txt", "3x3:\n 0,1,0\n 1,-4,1\n 0,1,0\n")
    #expect(try matrix(readKernelFile(imText)).kernel.rows == [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    // .npy: 2-D, or 1 x 1 x H x W as PyTorch saves one filter.
    let npy = dir.appendingPathComponent("k.npy").path
    try NPYArray(shape: [2, 3], data: [1, 2, 3, 4, 5, 6]).write(path: npy)
    #expect(try matrix(parseKernelArgument(npy)).kernel.rows == [[1, 2, 3], [4, 5, 6]])
    let npy4 = dir.appendingPathComponent("k4.npy").path
    try NPYArray(shape: [1, 1, 1, 2], data: [7, 8]).write(path: npy4)
    #expect(try matrix(readKernelFile(npy4)).kernel.rows == [[7, 8]])
    let npy3 = dir.appendingPathComponent("rgb.npy").path
    try NPYArray(shape: [3, 1, 1], data: [1, 2, 3]).write(path: npy3)
    #expect(thrownMessage { try readKernelFile(npy3) } == "\(npy3): holds an array of shape [3, 1, 1]; a kernel needs a 2-D (H, W) array (or 1 x ... x H x W)")
    // .json: the library's filter format.
    let json = try write("f.json", #"{"name": "f", "rows": [[1, 2, 1]]}"#)
    guard case .filter(let definition) = try parseKernelArgument(json) else { Issue.record("not a filter"); return }
    #expect(definition.kernel?.rows == [[1, 2, 1]])
    // Errors in a text file name the file.
    let bad = try write("bad.txt", "1 2\n3\n")
    let message = thrownMessage { try readKernelFile(bad) } ?? ""
    #expect(message.hasPrefix("\(bad): row 2 has 1 values, row 1 has 2"), "\(message)")
  }
}
