import CKernels
import ConvolveCore
/// How a pooling window summarises its samples.
public enum PoolingKind: String, CaseIterable, Sendable {
  case max, average, min
}

/// Max, average or min pooling over each channel independently.
///
/// Padding samples never win a max or min. Average pooling sums only input samples but divides by the
/// window's size clipped to the padded input, i.e. counts padding as zeros, like PyTorch's
/// `avg_pool2d(count_include_pad=True)`.
public struct Pooling: Equatable, Sendable {
  public var kind: PoolingKind
  public var kernelHeight: Int, kernelWidth: Int
  public var strideY: Int, strideX: Int
  public var padding: Padding
  public var rounding: SizeRounding
  /// Spacing between window taps (1: adjacent samples), as ONNX's and PyTorch's `dilation`.
  public var dilationY = 1, dilationX = 1
  /// Whether average pooling divides by the window clipped to the padded input (padding counts as zeros,
  /// the default) or only by the input samples it covers (ONNX `count_include_pad=0`, PyTorch
  /// `count_include_pad=False`).
  public var countIncludesPadding = true
  /// Whether padding may reach the kernel's extent minus one on a side (ONNX Runtime's rule) rather than
  /// half of it (PyTorch's, the default).
  public var allowsPaddingBelowKernel = false

  /// A square window; the stride defaults to the kernel size.
  public init(_ kind: PoolingKind, kernel: Int, stride: Int? = nil, padding: Int = 0, rounding: SizeRounding = .floor) {
    self.init(
      kind, kernelHeight: kernel, kernelWidth: kernel, strideY: stride ?? kernel, strideX: stride ?? kernel,
      padding: Padding(padding), rounding: rounding)
  }

  public init(
    _ kind: PoolingKind, kernelHeight: Int, kernelWidth: Int, strideY: Int, strideX: Int, padding: Padding = .zero,
    rounding: SizeRounding = .floor
  ) {
    self.kind = kind
    (self.kernelHeight, self.kernelWidth) = (kernelHeight, kernelWidth)
    (self.strideY, self.strideX) = (strideY, strideX)
    self.padding = padding
    self.rounding = rounding
  }

  /// Parses `kind:kernel[:stride[:padding]]`, e.g. `max:2`, `avg:3:1`, `min:3x2:1:1`; kinds `max`, `avg`
  /// (or `average`, `mean`) and `min`; a kernel `HxW` is rectangular.
  public init(parsing spec: String, rounding: SizeRounding = .floor) throws {
    let parts = spec.lowercased().split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    let kinds: [String: PoolingKind] = ["max": .max, "avg": .average, "average": .average, "mean": .average, "min": .min]
    guard let kind = kinds[parts[0]] else {
      throw ConvolveError.invalidArgument("unknown pooling '\(parts[0])' in '\(spec)'; use max, avg or min")
    }
    guard (2 ... 4).contains(parts.count) else {
      throw ConvolveError.invalidArgument("pooling '\(spec)' should be kind:kernel[:stride[:padding]], e.g. max:2")
    }
    func integer(_ text: String, _ what: String, minimum: Int) throws -> Int {
      guard let value = Int(text), value >= minimum else {
        throw ConvolveError.invalidArgument("pooling '\(spec)': \(what) '\(text)' must be a whole number >= \(minimum)")
      }
      return value
    }
    let size = parts[1].split(separator: "x", omittingEmptySubsequences: false).map(String.init)
    guard size.count <= 2 else { throw ConvolveError.invalidArgument("pooling '\(spec)': kernel '\(parts[1])'") }
    let kh = try integer(size[0], "kernel", minimum: 1)
    let kw = size.count == 2 ? try integer(size[1], "kernel", minimum: 1) : kh
    let stride = parts.count > 2 ? try integer(parts[2], "stride", minimum: 1) : nil
    let pad = parts.count > 3 ? try integer(parts[3], "padding", minimum: 0) : 0
    self.init(
      kind, kernelHeight: kh, kernelWidth: kw, strideY: stride ?? kh, strideX: stride ?? kw,
      padding: Padding(pad), rounding: rounding)
  }

  /// Output height and width for an input of the given size, through `slidingWindow`.
  public func outputSize(inputHeight h: Int, inputWidth w: Int) throws -> (height: Int, width: Int) {
    let (height, width) = try windows(inputHeight: h, inputWidth: w)
    return (height.size, width.size)
  }

  /// The input rows (at the bottom) and columns (at the right) that the stride leaves unused under `.floor`.
  public func unusedSamples(inputHeight h: Int, inputWidth w: Int) throws -> (rows: Int, columns: Int) {
    let (height, width) = try windows(inputHeight: h, inputWidth: w)
    return (height.unusedInput, width.unusedInput)
  }

  private func windows(inputHeight h: Int, inputWidth w: Int) throws -> (SlidingSize, SlidingSize) {
    guard dilationY >= 1 && dilationX >= 1 else {
      throw ConvolveError.invalidArgument("pooling dilation is \(dilationY)x\(dilationX); it must be at least 1")
    }
    let extentY = CheckedSize.product([dilationY, kernelHeight - 1]).flatMap { CheckedSize.sum([$0, 1]) } ?? .max
    let extentX = CheckedSize.product([dilationX, kernelWidth - 1]).flatMap { CheckedSize.sum([$0, 1]) } ?? .max
    for (name, p, k) in [
      ("top", padding.top, extentY), ("bottom", padding.bottom, extentY),
      ("left", padding.left, extentX), ("right", padding.right, extentX),
    ] where allowsPaddingBelowKernel ? p >= k : p > k / 2 {
      throw ConvolveError.invalidArgument(
        "pooling \(name) padding \(p) is more than \(allowsPaddingBelowKernel ? "the kernel size minus 1" : "half the kernel size") \(k)")
    }
    // Under ceil rounding a window larger than the padded input still gives one output when it is short by less
    // than a stride (PyTorch and ONNX Runtime); its samples are clipped to the padded input as any window's.
    func after(_ n: Int, _ before: Int, _ after: Int, _ extent: Int, _ s: Int) -> Int {
      guard rounding == .ceil, let padded = CheckedSize.sum([n, before, after]), padded < extent, padded > extent - s else { return after }
      return after + (extent - padded)
    }
    return (
      try slidingWindow(
        input: h, kernel: kernelHeight, stride: strideY, padBefore: padding.top,
        padAfter: after(h, padding.top, padding.bottom, extentY, strideY), dilation: dilationY, rounding: rounding, axis: "height"),
      try slidingWindow(
        input: w, kernel: kernelWidth, stride: strideX, padBefore: padding.left,
        padAfter: after(w, padding.left, padding.right, extentX, strideX), dilation: dilationX, rounding: rounding, axis: "width")
    )
  }

  /// Pools every channel; output size from `outputSize(inputHeight:inputWidth:)`.
  public func apply(to input: Tensor) throws -> Tensor {
    let (outH, outW) = try outputSize(inputHeight: input.height, inputWidth: input.width)
    var output = try Tensor.checkedUninitialized(
      channels: input.channels, height: outH, width: outW, what: "pooling output")
    let (inH, inW) = (input.height, input.width)
    let (kh, kw, sy, sx, pad, kind) = (kernelHeight, kernelWidth, strideY, strideX, padding, kind)
    if dilationY != 1 || dilationX != 1 || !countIncludesPadding {
      applyGeneral(input, into: &output)
      return output
    }
    // Outputs whose window lies inside the row: x·sx - left ≥ 0 and x·sx - left + kw ≤ inW.
    let interior = Swift.min(outW, (pad.left + sx - 1) / sx) ..< Swift.max(
      Swift.min(outW, (pad.left + sx - 1) / sx), Swift.min(outW, inW + pad.left - kw >= 0 ? (inW + pad.left - kw) / sx + 1 : 0))
    let level = ck_level()  // below AVX2, the plain loop (the compiler's SSE2 or NEON) is as fast
    forEachOutputRow(of: input, into: &output, windowSize: kh * kw) { y, plane, out in
      let y0 = y * sy - pad.top
      let rows = Swift.max(0, y0) ..< Swift.min(inH, y0 + kh)
      let windowH = Swift.min(y0 + kh, inH + pad.bottom) - y0
      var x = 0
      while x < outW {
        if kind == .max && level > 0 && x == interior.lowerBound && !interior.isEmpty {
          // The windows wholly inside the row, in vectors.
          ck_max_pool_row(
            level, out + x, plane + rows.lowerBound * inW + x * sx - pad.left, inW, Int32(rows.count), Int32(kw),
            Int32(sx), interior.count, inW - (x * sx - pad.left))
          x = interior.upperBound
          continue
        }
        defer { x += 1 }
        let x0 = x * sx - pad.left
        let cols = Swift.max(0, x0) ..< Swift.min(inW, x0 + kw)
        let value = summary(kind, plane, inW, rows, cols)
        out[x] = kind != .average ? value : value / Float(windowH * (Swift.min(x0 + kw, inW + pad.right) - x0))
      }
    }
    return output
  }
}

extension Pooling {
  /// Dilated windows, or averages over the input samples only: each window's taps are listed per axis
  /// (those inside the input), then summarised.
  fileprivate func applyGeneral(_ input: Tensor, into output: inout Tensor) {
    let (inH, inW, outH, outW) = (input.height, input.width, output.height, output.width)
    let (kh, kw, sy, sx, dy, dx, pad, kind) = (
      kernelHeight, kernelWidth, strideY, strideX, dilationY, dilationX, padding, kind
    )
    let includePadding = countIncludesPadding
    func taps(_ o: Int, _ s: Int, _ before: Int, _ k: Int, _ d: Int, _ n: Int) -> [Int] {
      (0 ..< k).map { o * s - before + $0 * d }.filter { $0 >= 0 && $0 < n }
    }
    let rowTaps = (0 ..< outH).map { taps($0, sy, pad.top, kh, dy, inH) }
    let colTaps = (0 ..< outW).map { taps($0, sx, pad.left, kw, dx, inW) }
    // With padding counted, the divisor is the window clipped to the padded input, as in `apply`.
    func clipped(_ o: Int, _ s: Int, _ before: Int, _ after: Int, _ k: Int, _ d: Int, _ n: Int) -> Int {
      let start = o * s - before
      return (0 ..< k).filter { start + $0 * d < n + after }.count
    }
    let rowWindow = (0 ..< outH).map { clipped($0, sy, pad.top, pad.bottom, kh, dy, inH) }
    let colWindow = (0 ..< outW).map { clipped($0, sx, pad.left, pad.right, kw, dx, inW) }
    forEachOutputRow(of: input, into: &output, windowSize: kh * kw) { y, plane, out in
      let rows = rowTaps[y]
      for x in 0 ..< outW {
        let cols = colTaps[x]
        let value = summary(kind, plane, inW, rows, cols)
        if kind != .average {
          out[x] = value
        } else {
          let divisor = includePadding ? rowWindow[y] * colWindow[x] : rows.count * cols.count
          out[x] = divisor == 0 ? 0 : value / Float(divisor)
        }
      }
    }
  }
}

/// Runs `body(y, plane, out)` for every output row `y` of every channel across the cores: `plane` is the
/// channel's input map, `out` the row; `windowSize` (samples per window) sets how many rows a task takes.
private func forEachOutputRow(
  of input: Tensor, into output: inout Tensor, windowSize: Int,
  _ body: @Sendable (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
) {
  let (inPlane, outH, outW) = (input.planeSize, output.height, output.width)
  input.data.withUnsafeBufferPointer { src in
    output.data.withUnsafeMutableBufferPointer { dst in
      let shared = Shared((src.baseAddress!, dst.baseAddress!))
      parallelRanges(input.channels * outH, minimumPerChunk: max(1, 4096 / max(1, outW * windowSize))) { range in
        let (src, dst) = shared.value
        for task in range {
          let c = task / outH, y = task % outH
          body(y, src + c * inPlane, dst + (c * outH + y) * outW)
        }
      }
    }
  }
}

/// One window's largest or smallest sample (NaN samples skipped), or its sum for `.average`.
@inline(__always)
private func summary<Rows: Collection<Int>, Columns: Collection<Int>>(
  _ kind: PoolingKind, _ plane: UnsafePointer<Float>, _ inW: Int, _ rows: Rows, _ cols: Columns
) -> Float {
  switch kind {
  case .max:
    var m = -Float.infinity
    for r in rows { for q in cols where plane[r * inW + q] > m { m = plane[r * inW + q] } }
    return m
  case .min:
    var m = Float.infinity
    for r in rows { for q in cols where plane[r * inW + q] < m { m = plane[r * inW + q] } }
    return m
  case .average:
    var sum: Float = 0
    for r in rows { for q in cols { sum += plane[r * inW + q] } }
    return sum
  }
}

/// The mean of each channel: `C × 1 × 1`.
public func globalAveragePool(_ input: Tensor) -> Tensor {
  let plane = input.planeSize
  var means = [Float](repeating: 0, count: input.channels)
  guard plane > 0 else { return Tensor(channels: input.channels, height: 1, width: 1, data: means) }
  input.data.withUnsafeBufferPointer { src in
    means.withUnsafeMutableBufferPointer { out in
      let shared = Shared((src.baseAddress!, out.baseAddress!))
      parallelRanges(input.channels, minimumPerChunk: Swift.max(1, (1 << 16) / plane)) { range in
        let (src, out) = shared.value
        ck_channel_means(src + range.lowerBound * plane, Int32(range.count), plane, out + range.lowerBound)
      }
    }
  }
  return Tensor(channels: input.channels, height: 1, width: 1, data: means)
}
