// The public entry points of 2-D convolution and the choice among the four plans that compute it.

/// 2-D convolution of every channel with one kernel: `y[n1, n2] = Σ x[k1, k2] · h[n1 - k1, n2 - k2]`.
///
/// The kernel is flipped (true convolution, as in the lecture) unless `options.correlate` is set.
/// Samples outside the input come from `options.border`. Output size per axis:
/// `(n + padBefore + padAfter - d(k-1) - 1) / stride + 1`.
public func convolve(_ input: Tensor, with kernel: Kernel, options: ConvolutionOptions = .init()) throws -> Tensor {
  try convolve(input, with: kernel, options: options, path: nil)
}

/// Correlation, `convolve` without the flip: `y[n1, n2] = Σ x[n1 + k1, n2 + k2] · h[k1, k2]`.
public func correlate(_ input: Tensor, with kernel: Kernel, options: ConvolutionOptions = .init()) throws -> Tensor {
  var options = options
  options.correlate = true
  return try convolve(input, with: kernel, options: options)
}

/// The ways `convolve` computes; all agree with the definition to float rounding.
enum ConvolutionPath: Equatable {
  /// Register-blocked sliding window over border-padded rows (`DirectPlan`, DirectConvolution.swift).
  case direct
  /// A column pass then a row pass, for rank-1 kernels (`SeparablePlan`, SeparableConvolution.swift).
  case separable
  /// Overlap-save FFT tiles (`FFTPlan`, FFTConvolution.swift).
  case fft
  /// Running sums for constant kernels at stride 1 and dilation 1 (`BoxPlan`, BoxFilter.swift).
  case box
}

/// `convolve` along `forced`, or along `convolutionPath`'s choice when nil; `separable` on a kernel
/// that is not rank 1 runs `direct`.
func convolve(_ input: Tensor, with kernel: Kernel, options: ConvolutionOptions, path forced: ConvolutionPath?) throws
  -> Tensor
{
  let k = options.correlate ? kernel : kernel.flipped
  let geometry = try ConvolutionGeometry(options, height: input.height, width: input.width, kernel: k)
  _ = try CheckedSize.count([input.channels, geometry.outH, geometry.outW], what: "convolution output")
  switch KernelPlan(k, geometry: geometry, channels: input.channels, path: forced) {
  case .box(let weight): return BoxPlan(weight: weight, kernel: k, geometry: geometry).run(input)
  case .separable(let column, let row): return SeparablePlan(column: column, row: row, geometry: geometry).run(input)
  case .fft: return FFTPlan(kernel: k, channels: input.channels, geometry: geometry).run(input)
  case .direct: return DirectPlan(kernel: k, geometry: geometry).run(input)
  }
}

/// The plan that computes a (flipped) kernel on a geometry: `path`, or `convolutionPath`'s choice when nil; box
/// and separable only where they apply (constant weights at stride and dilation 1, a rank-1 kernel), else direct.
/// `convolve` and the strip plans choose through it alike.
enum KernelPlan {
  case direct, box(weight: Float), separable(column: Kernel, row: Kernel), fft

  init(_ k: Kernel, geometry g: ConvolutionGeometry, channels: Int, path forced: ConvolutionPath? = nil) {
    let factors = k.separableFactors
    let path =
      forced
      ?? convolutionPath(
        kernel: k, separable: factors != nil, channels: channels, output: (g.outH, g.outW), stride: g.stride,
        dilation: g.dilation)
    switch path {
    case .box where g.stride == (1, 1) && g.dilation == (1, 1) && BoxPlan.constantWeight(k) != nil:
      self = .box(weight: BoxPlan.constantWeight(k)!)
    case .separable where factors != nil: self = .separable(column: factors!.column, row: factors!.row)
    case .fft: self = .fft
    default: self = .direct
    }
  }
}

/// Dispatch: constant kernels of 9x9 taps and more (`kh + kw >= 18`) at stride 1 and dilation 1 run `box`;
/// rank-1 kernels with more than `2(kh + kw)` taps run `separable`; otherwise `fft` when its
/// modelled time (`FFTPlan.bestTiles`) is below the direct one, `taps · outputs · directNanosPerTap`;
/// otherwise `direct`. On 4000x3000 RGB at stride 1 the switch falls between 7x7 and 9x9 dense kernels.
func convolutionPath(
  kernel k: Kernel, separable: Bool, channels: Int, output: (Int, Int), stride: (Int, Int), dilation: (Int, Int)
) -> ConvolutionPath {
  if stride == (1, 1) && dilation == (1, 1) && k.height + k.width >= 18 && BoxPlan.constantWeight(k) != nil {
    return .box
  }
  if separable && k.height * k.width > 2 * (k.height + k.width) { return .separable }
  let taps = k.weights.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
  let directCost = Double(taps * output.0 * output.1 * channels) * directNanosPerTap
  let fftCost = FFTPlan.bestTiles(
    stride1Rows: (output.0 - 1) * stride.0 + 1, stride1Cols: (output.1 - 1) * stride.1 + 1,
    extentY: dilation.0 * (k.height - 1) + 1, extentX: dilation.1 * (k.width - 1) + 1, channels: channels
  ).cost
  return fftCost < directCost ? .fft : .direct
}

/// Nanoseconds per tap and output sample of the direct path at stride 1 on 2 cores (4000x3000 RGB, 3x3 to 21x21).
let directNanosPerTap = 0.045
