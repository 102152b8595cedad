import ArgumentParser
import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveLecture
import ConvolveRender
import Foundation

struct FilterCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "filter",
    abstract: "Convolve a photo with a library filter, an inline kernel or a kernel file.",
    discussion: """
      The kernel is FLIPPED (true convolution, y[n] = sum x[k] h[n-k], as in the lecture) unless \
      --correlate is given. Every colour channel is filtered alike; an alpha channel is kept unchanged \
      when the output has the input's size, and dropped otherwise.

      Borders (input abcd, three samples of padding shown):
        zero       000|abcd|000   (also: constant, fill, zeros)
        replicate  aaa|abcd|ddd   (also: nearest, edge, clamp)
        reflect    dcb|abcd|cba   (also: mirror, reflect101, BORDER_REFLECT_101; NumPy/PyTorch 'reflect')
        symmetric  cba|abcd|dcb   (also: symm, BORDER_REFLECT; SciPy ndimage's 'reflect')
        wrap       bcd|abcd|abc   (also: circular, periodic)

      Output size per axis: (n + pad_before + pad_after - d(k-1) - 1) / stride + 1, where full pads \
      d(k-1) on both sides, same splits d(k-1) (the odd sample before for convolution, after for \
      correlation, as SciPy does) and valid pads nothing. A stride that does not reach the last sample \
      is an error unless --floor.

      Examples:
        convolve filter photo.jpg blurred.png --filter gaussian --sigma 2
        convolve filter photo.jpg edges.png --filter sobel
        convolve filter photo.png out.png --kernel "1,2,1;2,4,2;1,2,1" --normalize
        convolve filter photo.png out.png --kernel "1/9,1/9,1/9;1/9,1/9,1/9;1/9,1/9,1/9" --stride 2 --floor
        convolve filter --input "4,5,6;7,8,9" --kernel "1;1;1" --mode full --print
        convolve filter photo.png edges.png --kernel "-1,-1,-1;-1,8,-1;-1,-1,-1"
        convolve filter photo.png edges.png --kernel "3x3: -1,-1,-1,-1,8,-1,-1,-1,-1"
        curl -s https://example.com/photo.jpg | convolve filter - - --filter gaussian --format jpg > blurred.jpg

      A PNG or JPEG output keeps the input's ICC profile and EXIF (with the orientation set to 1 when the \
      pixels were turned upright, kept with --no-auto-orient); --strip leaves them out.
      """)

  @Argument(help: "Input image (PNG or JPEG), or - for standard input.", completion: imageFileCompletion)
  var inputFile: String?
  @Argument(
    help: "Output image; the format follows the extension (.png, .jpg, .jpeg); - writes standard output (with --format).",
    completion: .file())
  var output: String?
  @Option(help: ArgumentHelp("The format written to standard output (output -): png or jpg.", valueName: "format"))
  var format: ImageFormat?

  @OptionGroup(title: "Kernel") var kernel: KernelOptions
  @OptionGroup(title: "Geometry") var geometry: GeometryOptions
  @OptionGroup(title: "Output") var out: ImageOutputOptions
  @OptionGroup(title: "Input") var load: ImageInputOptions

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("A small matrix instead of an image: \"4,5,6;7,8,9\", a .txt or a .npy file.", valueName: "matrix"))
  var input: String?
  @Flag(help: "Print the result as numbers instead of (or as well as) writing a file.") var print = false

  func validate() throws {
    if kernel.sourceCount != 1 { throw ValidationError("give exactly one of --filter, --kernel and --kernel-file") }
    if input != nil {
      if output != nil { throw ValidationError("with --input, give at most one file: the output (.npy or image)") }
      if inputFile == nil && !print { throw ValidationError("with --input, give --print or an output file") }
      return
    }
    if inputFile == nil { throw ValidationError("give an input image and an output image") }
    if output == nil && !print { throw ValidationError("give an output image after the input, or --print") }
    if output == standardStream && print {
      throw ValidationError("--print and the output - both write to standard output; give an output file or leave out --print")
    }
    try checkStreamFormat(output: output, format: format)
  }

  func run() throws {
    if let input { return try runOnMatrix(input, output: inputFile) }
    guard let inputFile else { return }
    if let output { try checkOutput(output, input: inputFile, inPlace: out.inPlace) }
    let filter = try kernel.resolve()
    if kernel.showKernel {
      // With the image on standard output, the kernel goes to standard error.
      if output == standardStream {
        FileHandle.standardError.write(Data((filter.describe() + "\n").utf8))
      } else {
        Swift.print(filter.describe())
      }
    }
    let image = try load.load(inputFile)
    let (result, mapped) = try filter.applyToPhoto(
      image.tensor, options: geometry.options(correlate: kernel.correlate, defaultBorder: .replicate),
      outputRange: out.outputRange)
    if print { printChannels(result) }
    if let output { try out.save(mapped, to: output, input: image, format: format) }
  }

  /// Filters a small matrix, printing the raw result and writing it as .npy (or an image) if asked.
  private func runOnMatrix(_ text: String, output: String?) throws {
    let filter = try kernel.resolve(photo: false)
    if kernel.showKernel { Swift.print(filter.describe()) }
    let options = geometry.options(correlate: kernel.correlate, defaultBorder: .zero)
    let result = try filter.apply(to: readMatrix(text), options: options)
    if print { printChannels(result) }
    guard let output else { return }
    if output.hasSuffix(".npy") {
      try NPYArray(result).write(path: output)
    } else {
      try out.save(ConvolveCore.map(result, out.outputRange ?? filter.output), to: output, input: nil, format: format)
    }
  }

  private func printChannels(_ t: Tensor) {
    for c in 0 ..< t.channels {
      if t.channels > 1 { Swift.print("channel \(c):") }
      Swift.print(formatMatrix(t, channel: c))
    }
  }
}
