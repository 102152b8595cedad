import ArgumentParser
import ConvolveJobs
import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveLecture
import ConvolveRender
import Foundation

/// Where the kernel comes from, and its orientation.
struct KernelOptions: ParsableArguments {
  @Option(
    name: [.short, .long],
    help: ArgumentHelp("A filter from the library, see `convolve filters` (default: none; give one of --filter, --kernel, --kernel-file).", valueName: "name"),
    completion: filterNameCompletion)
  var filter: String?
  // `.unconditional`: the value is taken even when it starts with '-', as "-1,-1,-1;-1,8,-1;-1,-1,-1" does.
  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "An inline kernel: rows separated by ';', values by ',' (fractions like 1/16), an ImageMagick kernel (\"3x3: ...\") or a kernel file (default: none).",
      discussion: "Forms: \(kernelSyntaxSummary).", valueName: "kernel"),
    completion: .file(extensions: ["txt", "mat", "npy", "json"]))
  var kernel: String?
  @Option(
    help: ArgumentHelp(
      "A kernel file: the library's JSON format, a libvips matrix (.mat), a .txt matrix or a 2-D .npy array (default: none).",
      valueName: "file"),
    completion: .file(extensions: ["json", "mat", "txt", "npy"]))
  var kernelFile: String?
  @Option(help: ArgumentHelp("Gaussian/unsharp standard deviation in pixels (default: the filter's, 1 for gaussian).", valueName: "sigma"))
  var sigma: Double?
  @Option(help: ArgumentHelp("Gaussian radius in pixels (default: ceil(3 sigma)).", valueName: "r")) var radius: Int?
  @Option(help: ArgumentHelp("Unsharp amount (default: the filter's).", valueName: "amount")) var amount: Double?
  // Text: `batch --model` reads it as the model input's HxW (`boxSize` for the filter's).
  @Option(help: ArgumentHelp("Box size (default: the filter's); with `batch --model`, the model input's HxW.", valueName: "n")) var size: String?
  @Flag(help: "Divide the kernel by the sum of its weights (ignored when the sum is 0).") var normalize = false
  @Flag(help: "Correlate: slide the kernel as written instead of flipped.") var correlate = false
  @Flag(help: "Print the kernel that will be applied.") var showKernel = false

  /// How many of --filter, --kernel and --kernel-file were given.
  var sourceCount: Int { [filter, kernel, kernelFile].compactMap { $0 }.count }

  /// At most one source here; the commands require exactly one (`batch` none with --pipeline).
  func validate() throws {
    if sourceCount > 1 { throw ValidationError("give exactly one of --filter, --kernel and --kernel-file") }
  }

  var overrides: FilterParameters {
    get throws { FilterParameters(sigma: sigma, radius: radius, amount: amount, size: try boxSize) }
  }

  /// `--size` as the box filter's size: one whole number.
  var boxSize: Int? {
    get throws {
      guard let size else { return nil }
      guard let n = Int(size) else { throw ValidationError("--size \(size): the filter's size is one whole number, e.g. 5") }
      return n
    }
  }

  /// The filter to apply (`photo: false` for `--input` matrices: see `resolveFilter`).
  func resolve(photo: Bool = true) throws -> ResolvedFilter {
    try resolveFilter(
      name: filter, kernel: kernel, kernelFile: kernelFile, overrides: try overrides, normalize: normalize, photo: photo)
  }
}

/// Output mode, padding, border, stride, dilation.
struct GeometryOptions: ParsableArguments {
  @Option(help: "Which part of the full convolution to keep: full (every overlap), same (the input size), valid (full overlaps only).")
  var mode: ConvolutionMode = .same
  @Option(help: ArgumentHelp("Border rule: zero, replicate, reflect, symmetric, wrap, or an OpenCV/SciPy/PyTorch alias (default: replicate for images, zero for matrices).", valueName: "border"))
  var border: Border?
  @Option(help: ArgumentHelp("Explicit padding instead of the mode's: P, V,H or TOP,BOTTOM,LEFT,RIGHT (default: the mode's).", valueName: "padding"))
  var padding: Padding?
  @Option(help: ArgumentHelp("Stride: N or Y,X.", valueName: "stride")) var stride = Pair(1, 1)
  @Option(help: ArgumentHelp("Dilation: N or Y,X.", valueName: "dilation")) var dilation = Pair(1, 1)
  /// Nil when neither --floor nor --strict is given: rounding down, with a note.
  @Flag var rounding: StrideRounding?
  /// Whether to note the rows and columns a stride leaves unused: only under the default rounding, not `--floor`.
  var roundingNote: Bool { rounding == nil }

  func validate() throws {
    if stride.y < 1 || stride.x < 1 { throw ValidationError("--stride is \(stride.y),\(stride.x); it must be at least 1") }
    if dilation.y < 1 || dilation.x < 1 {
      throw ValidationError("--dilation is \(dilation.y),\(dilation.x); it must be at least 1")
    }
  }

  func options(correlate: Bool, defaultBorder: Border) -> ConvolutionOptions {
    var o = ConvolutionOptions(
      mode: mode, padding: padding, border: border ?? defaultBorder, correlate: correlate, rounding: (rounding ?? .floor).rounding)
    (o.strideY, o.strideX) = (stride.y, stride.x)
    (o.dilationY, o.dilationX) = (dilation.y, dilation.x)
    return o
  }
}


/// Shell completion of image files.
let imageFileCompletion = CompletionKind.file(
  extensions: ImageFormat.readableExtensions + ImageFormat.readableExtensions.map { $0.uppercased() })

/// Shell completion of library filter names (the completion scripts call the binary back for these).
let filterNameCompletion = CompletionKind.custom { _, _, prefix in
  ((try? standardLibrary.get())?.names ?? []).filter { $0.hasPrefix(prefix) }
}
