import CKernels
import ConvolveCore
import Foundation

/// The CBLAS library the layers that need a matrix product open (grouped and general transposed convolutions,
/// Gemm, MatMul): its file name, e.g. "libopenblas.so.0", or "reference" (a plain loop) where none is installed.
public var matrixLibrary: String { String(cString: ck_sgemm_library()) }

/// The best level this CPU runs (0 portable, 1 AVX2+FMA, 2 AVX-512), for tests that cover each.
var bestConvolutionKernelLevel: Int { Int(ck_best_level()) }

/// The logistic function of `n` values in place on a given level, for tests.
func sigmoidValues(level: Int, _ p: UnsafeMutablePointer<Float>, _ n: Int) { ck_sigmoid(Int32(level), p, n) }

/// A convolution layer prepared once for one input size, run by the C kernels in `CKernels`: weights packed
/// into the kernel's panels, the tap offsets computed, the path chosen.
///
/// - pointwise (1x1, stride 1, no padding): one matrix product straight from the input.
/// - gemm (any other kernel, stride, dilation and padding, one group): the input is copied once, zero-padded
///   and split into column phases of the stride, so that every tap reads contiguous samples; then each output
///   row is a matrix product over `channels · kh · kw` taps with no im2col buffer.
/// - depthwise (groups = channels = filters): per channel, the padded phases in a small buffer and a direct
///   multiply-add over the taps.
///
/// Bias and the element-wise stages fused after it are applied to each output tile while it is in registers
/// (`ck_stage`), or, for stages the kernels do not have, right after each row in Swift.
struct ConvKernelPlan: Sendable {
  enum Path { case pointwise, gemm, winograd, depthwise }


  let path: Path
  let level: Int32
  let channels: Int, height: Int, width: Int
  let filters: Int, outH: Int, outW: Int
  let kh: Int, kw: Int, sy: Int, sx: Int, dy: Int, dx: Int
  let pad: Padding
  /// Rows of each padded phase plane (with slack rows), its width, and how many column phases a channel has
  /// (the stride, or 2 for Winograd).
  let rows: Int, wq: Int, phases: Int
  /// Winograd: 2x2 output tiles per tile row, tiles per band, floats between the 16 packed matrices.
  let tilesW: Int, tilesMax: Int, packedStride: Int
  /// gemm: output rows per band, and the padded rows each band's phase planes hold (`bandRows · wq` floats apart).
  let bandHeight: Int, bandRows: Int
  /// gemm and pointwise: how many tiles' taps are copied side by side before the filter panels run over them
  /// (0: the panels read the input in place).
  let copyTiles: Int
  /// gemm/pointwise: packed panels; depthwise: the weights `[channels][kh·kw]` as given.
  let weights: [Float]
  let bias: [Float]
  let koff: [Int32]
  /// Stages the kernels apply, then those applied in Swift after them.
  var stages: [ck_stage] = []
  var swiftStages: [ElementwiseStage] = []

  /// Slack floats after padded buffers: more than any tile reads past the last output.
  static let slack = 256

  /// A plan for weights `filters × channels/groups × kh × kw`, or nil when the kernels do not cover the layer
  /// (groups other than 1 or depthwise, negative padding, offsets beyond 32 bits).
  init?(
    channels c: Int, height h: Int, width w: Int, weights: [Float], bias: [Float], filters m: Int, kh: Int, kw: Int,
    geometry: LayerGeometry, level: Int? = nil, winograd: Bool? = nil, bandFloats: Int = 1 << 17, copyTiles: Int? = nil
  ) {
    guard let pad = try? geometry.resolvedPadding(kernelHeight: kh, kernelWidth: kw),
      let out = try? geometry.outputSize(inputHeight: h, inputWidth: w, kernelHeight: kh, kernelWidth: kw),
      c >= 1, h >= 1, w >= 1, m >= 1, pad.top >= 0, pad.bottom >= 0, pad.left >= 0, pad.right >= 0, out.height >= 1, out.width >= 1,
      bias.isEmpty || bias.count == m
    else { return nil }
    let g = geometry.groups
    let depthwise = g > 1 && g == c && m == c
    guard g == 1 || depthwise else { return nil }
    let (sy, sx, dy, dx) = (geometry.strideY, geometry.strideX, geometry.dilationY, geometry.dilationX)
    let level = level.map { Int32(Swift.min($0, Int(ck_best_level()))) } ?? ck_level()
    let pointwise = !depthwise && kh == 1 && kw == 1 && sy == 1 && sx == 1 && pad == .zero
    // Winograd F(2x2, 3x3): 2.25 times fewer multiply-adds; worth its transforms from 16 channels and 8 filters.
    let winograd = !depthwise && kh == 3 && kw == 3 && sy == 1 && sx == 1 && dy == 1 && dx == 1
      && out.height >= 2 && out.width >= 2 && (winograd ?? (ConvTuning.winograd && c >= 16 && m >= 8))
    let phases = winograd ? 2 : sx
    let hp = h + pad.top + pad.bottom, wp = w + pad.left + pad.right
    let wq = (wp + phases - 1) / phases
    let rows = hp + 4 * sy
    let k = (depthwise ? 1 : c) * kh * kw
    // Every offset the kernels form must fit in 32 bits.
    let planeFloats = phases * rows * wq
    guard c.multipliedReportingOverflow(by: planeFloats).partialValue < Int(Int32.max) - Self.slack,
      c * h * w < Int(Int32.max), k < Int(Int32.max) / 64
    else { return nil }
    self.path = depthwise ? .depthwise : pointwise ? .pointwise : winograd ? .winograd : .gemm
    self.level = level
    (channels, height, width, filters, outH, outW) = (c, h, w, m, out.height, out.width)
    (self.kh, self.kw, self.sy, self.sx, self.dy, self.dx) = (kh, kw, sy, sx, dy, dx)
    self.pad = pad
    (self.rows, self.wq, self.phases) = (rows, wq, phases)
    self.bias = bias
    // gemm bands: as many output rows as keep the band's padded input (all channels) within `bandFloats`.
    let rowsFor = { (band: Int) in (band - 1) * sy + (kh - 1) * dy + 1 }
    let perRow = Swift.max(1, c * phases * wq)
    var band = 1
    while band < out.height && perRow * rowsFor(band + 1) <= bandFloats { band += 1 }
    (bandHeight, bandRows) = (band, rowsFor(band))
    let nr = Int(ck_tile_pixels(level))
    // Tiles whose copies stay within about 256 KB (the core's L2 holds them while each filter panel passes).
    self.copyTiles = copyTiles ?? ConvTuning.copyTiles
      ?? Swift.max(1, Swift.min((out.width + nr - 1) / nr, (1 << 16) / Swift.max(1, k * nr)))
    tilesW = (out.width + 1) / 2
    // Tiles per band: a multiple of every level's tile, and the band's transformed input (16 · c floats per
    // tile) within about 640 KB of the core's cache.
    tilesMax = Swift.max(96, Swift.min(480, (640 << 10) / (64 * c) / 96 * 96))
    packedStride = Int(ck_packed_count(level, Int32(m), Int32(c)))
    switch path {
    case .winograd:
      let stride = packedStride
      self.weights = [Float](unsafeUninitializedCapacity: 16 * stride) { buffer, n in
        weights.withUnsafeBufferPointer { ck_winograd_pack(level, $0.baseAddress!, Int32(m), Int32(c), buffer.baseAddress!) }
        n = 16 * stride
      }
      let tiles = tilesMax
      koff = (0 ..< c).map { Int32($0 * tiles) }
    case .depthwise:
      self.weights = weights
      koff = []
    case .pointwise:
      self.weights = Self.pack(weights, level: level, m: m, k: k)
      koff = (0 ..< k).map { Int32($0 * h * w) }
    case .gemm:
      self.weights = Self.pack(weights, level: level, m: m, k: k)
      var offsets: [Int32] = []
      offsets.reserveCapacity(k)
      for ch in 0 ..< c {
        for i in 0 ..< kh {
          for j in 0 ..< kw {
            let col = j * dx
            offsets.append(Int32((ch * sx + col % sx) * bandRows * wq + i * dy * wq + col / sx))
          }
        }
      }
      koff = offsets
    }
  }

  private static func pack(_ w: [Float], level: Int32, m: Int, k: Int) -> [Float] {
    let count = ck_packed_count(level, Int32(m), Int32(k))
    return [Float](unsafeUninitializedCapacity: count) { buffer, n in
      w.withUnsafeBufferPointer { ck_pack_weights(level, $0.baseAddress!, Int32(m), Int32(k), buffer.baseAddress!) }
      n = count
    }
  }

  /// The plan with element-wise stages applied to its output; the kernels take the leading ones they have.
  func fusing(_ more: [ElementwiseStage]) -> ConvKernelPlan {
    var copy = self
    appendStages(more, kernel: &copy.stages, swift: &copy.swiftStages)
    return copy
  }

  var outputCount: Int { filters * outH * outW }

  /// Computes one image: `input` is `channels × height × width`, `output` `filters × outH × outW`.
  func run(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
    weights.withUnsafeBufferPointer { w in
      bias.withUnsafeBufferPointer { biasBuffer in
        koff.withUnsafeBufferPointer { ko in
          stages.withUnsafeBufferPointer { st in
            // An empty array's buffer may still have an address: no bias is NULL.
            let b = bias.isEmpty ? nil : biasBuffer.baseAddress
            let g = ck_gemm(
              packed: w.baseAddress, koff: ko.baseAddress, bias: b, stages: st.baseAddress,
              m: Int32(filters), k: Int32(koff.count), nstages: Int32(stages.count), level: level,
              dst_stride: outH * outW, scratch: nil, scratch_tiles: 0)
            switch path {
            case .pointwise: runPointwise(g, input, output)
            case .gemm: runGemm(g, input, output)
            case .winograd: runWinograd(w.baseAddress!, ko.baseAddress!, b, st.baseAddress, input, output)
            case .depthwise: runDepthwise(w.baseAddress!, b, st.baseAddress, input, output)
            }
          }
        }
      }
    }
  }

  /// Runs `body` with a `ck_gemm` whose scratch (when tiles are copied) belongs to this task.
  @inline(__always)
  private func withTaskGemm(_ g: ck_gemm, _ body: (UnsafePointer<ck_gemm>) -> Void) {
    var g = g
    guard copyTiles > 0 else { return withUnsafePointer(to: &g, body) }
    g.scratch = threadBuffer(1, bytes: ck_gemm_scratch_bytes(level, g.k, Int32(copyTiles))).assumingMemoryBound(to: Float.self)
    g.scratch_tiles = Int32(copyTiles)
    withUnsafePointer(to: &g, body)
  }

  /// Applies the Swift stages to `count` values of every filter's plane from `offset`.
  @inline(__always)
  private func applySwiftStages(_ output: UnsafeMutablePointer<Float>, offset: Int, count: Int, filters range: Range<Int>) {
    if swiftStages.isEmpty { return }
    for f in range {
      let p = output + f * outH * outW + offset
      for stage in swiftStages { stage.apply(p, count) }
    }
  }

  private func runPointwise(_ g: ck_gemm, _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
    let n = outH * outW
    let nr = Int(ck_tile_pixels(level))
    let tiles = (n + nr - 1) / nr
    // Enough tiles per task that each reads its slice of every input plane in long runs.
    let work = filters * koff.count * nr
    let shared = Shared((g, input, output))
    parallelRanges(tiles, minimumPerChunk: Swift.max(1, (1 << 18) / Swift.max(1, work))) { range in
      let (g, input, output) = shared.value
      let p0 = range.lowerBound * nr, p1 = Swift.min(n, range.upperBound * nr)
      // Only the last tile of the last plane could read past the input.
      withTaskGemm(g) { gp in ck_gemm_run(gp, input + p0, Int32(p1 - p0), p1 == n ? 0 : 1, output + p0) }
      applySwiftStages(output, offset: p0, count: p1 - p0, filters: 0 ..< filters)
    }
  }

  /// Fills `dst` with channels `range`'s zero-padded planes split into column phases (`phases × rows × wq` each),
  /// from padded row `firstRow` on.
  @inline(__always)
  private func fillPhases(
    _ src: UnsafePointer<Float>, channels range: Range<Int>, into dst: UnsafeMutablePointer<Float>, firstRow: Int = 0,
    rows: Int? = nil
  ) {
    ck_fill_phases(
      level, src + range.lowerBound * height * width, Int32(range.count), Int32(height), Int32(width),
      Int32(pad.top - firstRow), Int32(pad.left), Int32(rows ?? self.rows), Int32(wq), Int32(phases), dst)
  }

  /// The whole input zero-padded and split into column phases, every channel; deallocate when done.
  private func paddedInput(_ input: UnsafePointer<Float>) -> UnsafeMutablePointer<Float> {
    let planeFloats = phases * rows * wq
    let padded = UnsafeMutablePointer<Float>.allocate(capacity: channels * planeFloats + Self.slack)
    (padded + channels * planeFloats).initialize(repeating: 0, count: Self.slack)
    let shared = Shared((input, padded))
    parallelRanges(channels, minimumPerChunk: Swift.max(1, (1 << 15) / Swift.max(1, planeFloats))) { range in
      let (input, padded) = shared.value
      fillPhases(input, channels: range, into: padded + range.lowerBound * planeFloats)
    }
    return padded
  }

  private func runWinograd(
    _ w: UnsafePointer<Float>, _ koff: UnsafePointer<Int32>, _ bias: UnsafePointer<Float>?,
    _ stages: UnsafePointer<ck_stage>?, _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>
  ) {
    let padded = paddedInput(input)
    defer { padded.deallocate() }
    let tiles = tilesW * ((outH + 1) / 2)
    let bands = (tiles + tilesMax - 1) / tilesMax
    var p = ck_winograd(
      packed: w, koff: koff, bias: bias, stages: stages, m: Int32(filters), c: Int32(channels),
      nstages: Int32(self.stages.count), level: level, out_h: Int32(outH), out_w: Int32(outW), tiles_w: Int32(tilesW),
      tiles_max: Int32(tilesMax), rows: Int32(rows), wq: Int32(wq), packed_stride: packedStride)
    withUnsafePointer(to: &p) { p in
      let shared = Shared((p, padded, output))
      parallelRanges(bands, minimumPerChunk: 1) { range in
        let (p, padded, output) = shared.value
        let v = threadBuffer(0, floats: 16 * channels * tilesMax + Self.slack)
        let m = threadBuffer(1, floats: 16 * filters * tilesMax + Self.slack)
        for band in range {
          let t0 = band * tilesMax, t1 = Swift.min(tiles, t0 + tilesMax)
          ck_winograd_band(p, padded, Int32(t0), Int32(t1), v, m, output)
          if !swiftStages.isEmpty {
            // The band's output rows (2 per tile row), once all of its tiles are written.
            let y0 = 2 * (t0 / tilesW), y1 = Swift.min(outH, 2 * ((t1 - 1) / tilesW + 1))
            for f in 0 ..< filters {
              for y in y0 ..< y1 {
                let x0 = y / 2 == t0 / tilesW ? 2 * (t0 % tilesW) : 0
                let x1 = y / 2 == (t1 - 1) / tilesW ? Swift.min(outW, 2 * ((t1 - 1) % tilesW + 1)) : outW
                if x1 > x0 { for stage in swiftStages { stage.apply(output + (f * outH + y) * outW + x0, x1 - x0) } }
              }
            }
          }
        }
      }
    }
  }

  /// Band by band of `bandHeight` output rows: the band's padded rows of every channel, split into column phases,
  /// in a buffer of about 512 KB per task (no copy of the whole input), then each output row as a matrix product.
  private func runGemm(_ g: ck_gemm, _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
    let bands = (outH + bandHeight - 1) / bandHeight
    let bufferFloats = channels * phases * bandRows * wq
    let work = filters * koff.count * outW * bandHeight
    let shared = Shared((g, input, output))
    parallelRanges(bands, minimumPerChunk: Swift.max(1, (1 << 18) / Swift.max(1, work))) { range in
      let (g, input, output) = shared.value
      let buffer = threadBuffer(0, floats: bufferFloats + Self.slack)
      (buffer + bufferFloats).initialize(repeating: 0, count: Self.slack)
      withTaskGemm(g) { gp in
        for band in range {
          let y0 = band * bandHeight, y1 = Swift.min(outH, y0 + bandHeight)
          fillPhases(input, channels: 0 ..< channels, into: buffer, firstRow: y0 * sy, rows: bandRows)
          for y in y0 ..< y1 {
            ck_gemm_run(gp, buffer + (y - y0) * sy * wq, Int32(outW), 1, output + y * outW)
          }
          applySwiftStages(output, offset: y0 * outW, count: (y1 - y0) * outW, filters: 0 ..< filters)
        }
      }
    }
  }

  private func runDepthwise(
    _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?, _ stages: UnsafePointer<ck_stage>?,
    _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>
  ) {
    let planeFloats = phases * rows * wq
    let taps = kh * kw
    let outPlane = outH * outW
    let shared = Shared((w, bias, stages, input, output))
    parallelRanges(channels, minimumPerChunk: Swift.max(1, (1 << 16) / Swift.max(1, outPlane * taps))) { range in
      let (w, bias, stages, input, output) = shared.value
      let buffer = threadBuffer(0, floats: planeFloats + Self.slack)
      (buffer + planeFloats).initialize(repeating: 0, count: Self.slack)
      for ch in range {
        fillPhases(input, channels: ch ..< ch + 1, into: buffer)
        ck_depthwise(
          level, buffer, Int32(rows), Int32(wq), w + ch * taps, Int32(kh), Int32(kw), Int32(sy), Int32(sx), Int32(dy),
          Int32(dx), bias?[ch] ?? 0, stages, Int32(self.stages.count), Int32(outH), Int32(outW),
          output + ch * outPlane)
        if !swiftStages.isEmpty {
          for stage in swiftStages { stage.apply(output + ch * outPlane, outPlane) }
        }
      }
    }
  }
}

/// This thread's reusable kernel buffer `slot` (see `ck_thread_buffer`): 0 for a task's input copy, 1 for its
/// tile copies or products.
@inline(__always)
func threadBuffer(_ slot: Int32, floats count: Int) -> UnsafeMutablePointer<Float> {
  threadBuffer(slot, bytes: count * MemoryLayout<Float>.stride).bindMemory(to: Float.self, capacity: count)
}

@inline(__always)
func threadBuffer(_ slot: Int32, bytes: Int) -> UnsafeMutableRawPointer {
  guard let p = ck_thread_buffer(slot, bytes) else { fatalError("cannot allocate a \(bytes)-byte kernel buffer") }
  return p
}

/// Appends `more` to a plan's stages: to the kernels' while each has a kernel form (identities dropped), then
/// every later one to those applied in Swift, keeping the order.
func appendStages(_ more: [ElementwiseStage], kernel: inout [ck_stage], swift: inout [ElementwiseStage]) {
  for stage in more {
    if swift.isEmpty, let s = stage.kernelStage {
      if case .activation(.identity) = stage { continue }
      kernel.append(s)
    } else {
      swift.append(stage)
    }
  }
}

extension ElementwiseStage {
  /// The same map as a kernel stage, when the kernels have it.
  var kernelStage: ck_stage? {
    switch self {
    case .add(let c): return ck_stage(kind: Int32(CK_ADD), a: c, b: 0)
    case .sub(let c): return ck_stage(kind: Int32(CK_SUB), a: c, b: 0)
    case .reverseSub(let c): return ck_stage(kind: Int32(CK_RSUB), a: c, b: 0)
    case .mul(let c): return ck_stage(kind: Int32(CK_MUL), a: c, b: 0)
    case .div(let c): return ck_stage(kind: Int32(CK_DIV), a: c, b: 0)
    case .reverseDiv(let c): return ck_stage(kind: Int32(CK_RDIV), a: c, b: 0)
    case .activation(.relu): return ck_stage(kind: Int32(CK_RELU), a: 0, b: 0)
    case .activation(.leakyReLU(let slope)): return ck_stage(kind: Int32(CK_LEAKY_RELU), a: slope, b: 0)
    case .activation(.identity): return ck_stage(kind: 0, a: 0, b: 0)
    case .activation(.sigmoid): return ck_stage(kind: Int32(CK_SIGMOID), a: 0, b: 0)
    case .activation: return nil
    case .hardSigmoid(let alpha, let beta): return ck_stage(kind: Int32(CK_HARD_SIGMOID), a: alpha, b: beta)
    case .hardSwish: return ck_stage(kind: Int32(CK_HARD_SWISH), a: 1 / 6, b: 0.5)
    case .clip(let lo, let hi): return ck_stage(kind: Int32(CK_CLIP), a: lo, b: hi)
    case .math, .smooth: return nil
    }
  }
}
