import ArgumentParser
import ConvolveCore
import ConvolveFormats
import ConvolveCNN
import ConvolveRender
import ConvolveLecture
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
      """)

  @Argument(help: "Input image (PNG or JPEG).") var inputFile: String?
  @Argument(help: "Output image; the format follows the extension (.png, .jpg, .jpeg).") var output: String?

  @OptionGroup(title: "Kernel") var kernel: KernelOptions
  @OptionGroup(title: "Geometry") var geometry: GeometryOptions
  @OptionGroup(title: "Output") var out: ImageOutputOptions
  @OptionGroup(title: "Input") var load: ImageInputOptions

  @Option(help: ArgumentHelp("A small matrix instead of an image: \"4,5,6;7,8,9\", a .txt or a .npy file.", valueName: "matrix"))
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
  }

  func run() throws {
    if let input { return try runOnMatrix(input, output: inputFile) }
    guard let inputFile else { return }
    if let output { try checkOutput(output, input: inputFile, inPlace: out.inPlace) }
    let filter = try kernel.resolve()
    if kernel.showKernel { Swift.print(filter.describe()) }
    let image = try load.load(inputFile)
    let (result, mapped) = try filterImage(
      image, with: filter, options: geometry.options(correlate: kernel.correlate, defaultBorder: .replicate),
      outputRange: out.outputRange)
    if print { printChannels(result) }
    if let output { try out.save(mapped, to: output, input: image.info) }
  }

  /// Filters a small matrix, printing the raw result and writing it as .npy (or an image) if asked.
  private func runOnMatrix(_ text: String, output: String?) throws {
    let filter = try kernel.resolve()
    if kernel.showKernel { Swift.print(filter.describe()) }
    let options = geometry.options(correlate: kernel.correlate, defaultBorder: .zero)
    let result = try filter.apply(to: readMatrix(text), options: options)
    if print { printChannels(result) }
    guard let output else { return }
    if output.hasSuffix(".npy") {
      try NPYArray(result).write(path: output)
    } else {
      try out.save(ConvolveCore.map(result, out.outputRange ?? filter.output), to: output, input: nil)
    }
  }

  private func printChannels(_ t: Tensor) {
    for c in 0 ..< t.channels {
      if t.channels > 1 { Swift.print("channel \(c):") }
      Swift.print(formatMatrix(t, channel: c))
    }
  }
}

/// Filters the colour channels of a photo (used by `filter` and `batch`): returns the raw result and the
/// image to save, mapped by `outputRange` or the filter's own choice, with the alpha channel carried over
/// when the size is unchanged.
func filterImage(
  _ image: LoadedImage, with filter: ResolvedFilter, options: ConvolutionOptions, outputRange: OutputMapping?
) throws -> (result: Tensor, mapped: Tensor) {
  let alphaIndex = image.tensor.channels == 2 || image.tensor.channels == 4 ? image.tensor.channels - 1 : nil
  let color = alphaIndex.map { image.tensor.firstChannels($0) } ?? image.tensor
  let result = try filter.apply(to: color, options: options)
  let mapping = outputRange ?? filter.output
  // saveImage clamps to [0, 1] (NaN to 0), which is `.clip`: skip a pass over, and a copy of, the result.
  var mapped = mapping == .clip ? result : ConvolveCore.map(result, mapping)
  if let alphaIndex, result.height == image.tensor.height, result.width == image.tensor.width {
    mapped.data += image.tensor.plane(alphaIndex).data
    mapped.channels += 1
  }
  return (result, mapped)
}

/// Where the kernel comes from, and its orientation.
struct KernelOptions: ParsableArguments {
  @Option(name: [.short, .long], help: "A filter from the library (see `convolve filters`).") var filter: String?
  @Option(help: ArgumentHelp("An inline kernel: rows separated by ';', values by ',' (fractions like 1/16 allowed).", valueName: "rows"))
  var kernel: String?
  @Option(help: "A kernel file in the library's JSON format.") var kernelFile: String?
  @Option(help: "Gaussian/unsharp standard deviation in pixels.") var sigma: Double?
  @Option(help: "Gaussian radius in pixels (default ceil(3 sigma)).") var radius: Int?
  @Option(help: "Unsharp amount.") var amount: Double?
  @Option(help: "Box size.") var size: Int?
  @Flag(help: "Divide the kernel by the sum of its weights (ignored when the sum is 0).") var normalize = false
  @Flag(help: "Correlate: slide the kernel as written instead of flipped.") var correlate = false
  @Flag(help: "Print the kernel that will be applied.") var showKernel = false

  /// How many of --filter, --kernel and --kernel-file were given.
  var sourceCount: Int { [filter, kernel, kernelFile].compactMap { $0 }.count }

  /// At most one source here; the commands require exactly one (`batch` none with --pipeline).
  func validate() throws {
    if sourceCount > 1 { throw ValidationError("give exactly one of --filter, --kernel and --kernel-file") }
  }

  var overrides: FilterParameters { FilterParameters(sigma: sigma, radius: radius, amount: amount, size: size) }

  func resolve() throws -> ResolvedFilter {
    var resolved: ResolvedFilter
    if let filter {
      resolved = try standardLibrary.get().resolve(filter, overrides: overrides)
    } else if let kernel {
      try rejectParameters("--kernel")
      let k = try parseInlineKernel(kernel)
      resolved = ResolvedFilter(name: "inline", kernels: [k], output: abs(k.sum) < 1e-6 ? .abs : .clip)
    } else {
      let definition = try FilterDefinition(contentsOf: kernelFile ?? "")
      let library = (try? standardLibrary.get()) ?? FilterLibrary(definitions: [])
      resolved = try library.resolve(definition, overrides: overrides)
    }
    if normalize { resolved.kernels = resolved.kernels.map(\.normalized) }
    return resolved
  }

  private func rejectParameters(_ source: String) throws {
    if !overrides.givenNames.isEmpty {
      throw ValidationError("--\(overrides.givenNames[0]) applies to generated library filters, not to \(source)")
    }
  }
}

/// Output mode, padding, border, stride, dilation.
struct GeometryOptions: ParsableArguments {
  @Option(help: "Which part of the full convolution to keep: full (every overlap), same (the input size), valid (full overlaps only).") var mode: OutputMode = .same
  @Option(help: ArgumentHelp("Border rule: zero, replicate, reflect, symmetric, wrap, or an OpenCV/SciPy/PyTorch alias (default: replicate for images, zero for matrices).", valueName: "border"))
  var border: Border?
  @Option(help: "Explicit padding instead of the mode's: P, V,H or TOP,BOTTOM,LEFT,RIGHT.") var padding: Padding?
  @Option(help: "Stride: N or Y,X.") var stride = Pair(1, 1)
  @Option(help: "Dilation: N or Y,X.") var dilation = Pair(1, 1)
  @Flag(help: "Drop input rows and columns a stride cannot reach instead of failing.") var floor = false

  func validate() throws {
    if stride.y < 1 || stride.x < 1 { throw ValidationError("--stride is \(stride.y),\(stride.x); it must be at least 1") }
    if dilation.y < 1 || dilation.x < 1 {
      throw ValidationError("--dilation is \(dilation.y),\(dilation.x); it must be at least 1")
    }
  }

  func options(correlate: Bool, defaultBorder: Border) -> ConvolutionOptions {
    var o = ConvolutionOptions(
      mode: mode, padding: padding, border: border ?? defaultBorder, correlate: correlate, floor: floor)
    (o.strideY, o.strideX) = (stride.y, stride.x)
    (o.dilationY, o.dilationX) = (dilation.y, dilation.x)
    return o
  }
}

/// The filter library, read once per process.
let standardLibrary = Result { try FilterLibrary.standard() }

/// Resolves a library filter name to its (first) kernel, for layers and pipelines.
func libraryKernel(named name: String) throws -> Kernel {
  let filter = try standardLibrary.get().resolve(name)
  guard filter.kernels.count == 1 else {
    throw ConvolveError.invalidArgument(
      "filter '\(name)' combines \(filter.kernels.count) kernels; name its parts (e.g. \(name)-x, \(name)-y)")
  }
  return filter.kernels[0]
}

struct FiltersCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "filters", abstract: "List the filter library (the JSON files in Filters/).")

  @Argument(help: "Show these filters' kernels in full.") var names: [String] = []

  func run() throws {
    let library = try standardLibrary.get()
    if !names.isEmpty {
      for name in names { Swift.print(try library.resolve(name).describe()) }
      return
    }
    print("Filters in \(library.folder):")
    let width = library.names.map(\.count).max() ?? 0
    for d in library.definitions {
      let size = (try? library.resolve(d)).map { r in r.kernels.map { "\($0.height)x\($0.width)" }.joined(separator: "+") } ?? "?"
      print("  \(d.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(d.kind.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0))  \(size.padding(toLength: 7, withPad: " ", startingAt: 0))  \(d.description)")
    }
  }
}

struct InfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info", abstract: "Print an image's size, channels, bit depth and orientation without decoding it.")

  @Argument(help: "Images (PNG or JPEG).") var images: [String]

  func run() throws {
    var failed = false
    for path in images {
      do {
        let info = try imageInfo(path: path)
        let layout = ["", "gray", "gray+alpha", "RGB", "RGBA"][min(info.channels, 4)]
        let orientation = info.orientation == 1 ? "" : ", EXIF orientation \(info.orientation)"
        print("\(path): \(info.format) \(info.width)x\(info.height), \(info.channels) channel\(info.channels == 1 ? "" : "s") (\(layout)), \(info.bitDepth)-bit\(orientation)")
      } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        failed = true
      }
    }
    if failed { throw ExitCode.failure }
  }
}
