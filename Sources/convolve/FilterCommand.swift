import ArgumentParser
import ConvolveJobs
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
      --correlate is given. Every colour channel is filtered alike, on the stored (sRGB-encoded) values, \
      or in linear light with --linear. An alpha channel is premultiplied: colour times alpha, all \
      channels filtered, colour divided back by the filtered alpha (--alpha keep filters the colour alone \
      and copies alpha, dropping it when the size changes).

      Borders (input abcd, three samples of padding shown):
        zero       000|abcd|000   (also: constant, fill, zeros)
        replicate  aaa|abcd|ddd   (also: nearest, edge, clamp)
        reflect    dcb|abcd|cba   (also: mirror, reflect101, BORDER_REFLECT_101,
                                   NumPy's and PyTorch's 'reflect')
        symmetric  cba|abcd|dcb   (also: symm, BORDER_REFLECT; SciPy's 'reflect')
        wrap       bcd|abcd|abc   (also: circular, periodic)

      Output size per axis: (n + pad_before + pad_after - d(k-1) - 1) / stride + 1, where full pads \
      d(k-1) on both sides, same splits d(k-1) (the odd sample before for convolution, after for \
      correlation, as SciPy does) and valid pads nothing. Where a stride does not reach the last rows or \
      columns the size is rounded down, as PyTorch and the lecture's floor((n + 2p - k) / s) + 1, and a note \
      names them; --strict refuses instead. Sizes beyond --max-pixels (the padded input, the output) are \
      refused before anything is computed.

      --print writes the result as numbers when it is at most 24x24, else a summary per channel (size, \
      min, max, mean); write a .npy for every value.

      Examples:
        convolve filter photo.jpg blurred.png --filter gaussian --sigma 2
        convolve filter photo.jpg blurred.png --filter gaussian --sigma 4 --linear
        convolve filter photo.jpg edges.png --filter sobel
        convolve filter photo.png out.png --kernel "1,2,1;2,4,2;1,2,1" --normalize
        convolve filter photo.png out.png --stride 2 \\
            --kernel "1/9,1/9,1/9;1/9,1/9,1/9;1/9,1/9,1/9"
        convolve filter --input "4,5,6;7,8,9" --kernel "1;1;1" --mode full --print
        convolve filter photo.png edges.png --kernel "-1,-1,-1;-1,8,-1;-1,-1,-1"
        convolve filter photo.png edges.png --kernel "3x3: -1,-1,-1,-1,8,-1,-1,-1,-1"
        cat photo.jpg | convolve filter - - --filter box3 --format jpg > out.jpg

      An output keeps the input's ICC profile and EXIF (with the orientation set to 1 when the \
      pixels were turned upright, kept with --no-auto-orient); --strip leaves them out.
      """)

  @Argument(help: "Input image (PNG, JPEG, WebP, TIFF, AVIF or HEIC), or - for standard input.", completion: imageFileCompletion)
  var inputFile: String?
  @Argument(
    help: "Output image; the format follows the extension (\(ImageFormat.writable.flatMap(\.capabilities.extensions).map { "." + $0 }.joined(separator: ", "))); - writes standard output (with --format).",
    completion: .file())
  var output: String?
  @Option(help: ArgumentHelp("The format written to standard output (output -): png or jpg (default: none; required with -).", valueName: "format"))
  var format: ImageFormat?

  @OptionGroup(title: "Kernel") var kernel: KernelOptions
  @OptionGroup(title: "Geometry") var geometry: GeometryOptions
  @OptionGroup(title: "Output") var out: ImageOutputOptions
  @OptionGroup(title: "Light and alpha") var photo: PhotoFilterFlags
  @OptionGroup(title: "Input") var load: ImageInputOptions
  @OptionGroup(title: "Strips") var strips: StripOptions
  @Flag(help: inPlaceHelp) var inPlace = false
  @Flag(name: .shortAndLong, help: "Say on standard error whether the photo was streamed in strips or filtered whole, and why.")
  var verbose = false

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("A small matrix instead of an image: \"4,5,6;7,8,9\", a .txt or a .npy file (default: none, read the input image).", valueName: "matrix"))
  var input: String?
  @Flag(help: "Print the result instead of (or as well as) writing a file: the numbers up to 24x24, else a summary.") var print = false

  func validate() throws {
    if kernel.sourceCount != 1 { throw ValidationError("give exactly one of --filter, --kernel and --kernel-file") }
    if input != nil {
      if photo.linear { throw ValidationError("--linear applies to photos (sRGB); a matrix from --input is filtered as it is") }
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
    if let output { try checkOutput(output, input: inputFile, inPlace: inPlace) }
    let filter = try kernel.resolve()
    if kernel.showKernel {
      // With the image on standard output, the kernel goes to standard error.
      if output == standardStream {
        FileHandle.standardError.write(Data((filter.describe() + "\n").utf8))
      } else {
        Swift.print(filter.describe())
      }
    }
    let options = geometry.options(correlate: kernel.correlate, defaultBorder: .replicate)
    let piped = inputFile == standardStream ? try load.readStandardInput() : nil
    let job = PhotoFilterJob(filter: filter, options: options, out: out, photo: photo, load: load, strips: strips)
    let result = try job.run(
      input: inputFile, standardInput: piped, output: output, format: format, keepResult: print,
      route: { if verbose { writeStandardError("\(inputFile): \($0.description)\n") } },
      note: { if let note = $0, geometry.roundingNote { printNote(note) } })
    if print, let result { printChannels(result) }
  }

  /// Filters a small matrix, printing the raw result and writing it as .npy (or an image) if asked.
  private func runOnMatrix(_ text: String, output: String?) throws {
    let filter = try kernel.resolve(photo: false)
    if kernel.showKernel { Swift.print(filter.describe()) }
    let options = geometry.options(correlate: kernel.correlate, defaultBorder: .zero)
    let matrix = try readMatrix(text)
    if let note = try checkFilter(filter, options: options, height: matrix.height, width: matrix.width, maxPixels: load.maxPixels),
      geometry.roundingNote
    {
      printNote(note)
    }
    let result = try filter.apply(to: matrix, options: options)
    if print { printChannels(result) }
    guard let output else { return }
    if output.hasSuffix(".npy") {
      try NPYArray(result).write(path: output)
    } else {
      try out.save(mapOutput(result, out.outputRange ?? filter.output), to: output, input: nil, format: format)
    }
  }

  private func printChannels(_ t: Tensor) {
    Swift.print(printedResult(t), terminator: "")
  }
}

/// What `--print` shows: every number of a result up to `printLimit` on each side, else a summary line
/// per channel (a photo would be hundreds of thousands of numbers).
let printLimit = 24

func printedResult(_ t: Tensor) -> String {
  var text = ""
  if t.height > printLimit || t.width > printLimit {
    text += "\(tensorSizeText(channels: t.channels, height: t.height, width: t.width)) result (larger than \(printLimit)x\(printLimit); write a .npy for every value):\n"
    for c in 0 ..< t.channels {
      let plane = t.plane(c).data
      let (low, high) = (plane.min() ?? 0, plane.max() ?? 0)
      let mean = Float(plane.reduce(0.0) { $0 + Double($1) } / Double(max(plane.count, 1)))
      text += "channel \(c): min \(summaryNumber(low)), max \(summaryNumber(high)), mean \(summaryNumber(mean))\n"
    }
    return text
  }
  for c in 0 ..< t.channels {
    if t.channels > 1 { text += "channel \(c):\n" }
    text += formatMatrix(t, channel: c) + "\n"
  }
  return text
}

private func summaryNumber(_ v: Float) -> String { String(format: "%.6g", Double(v)) }
