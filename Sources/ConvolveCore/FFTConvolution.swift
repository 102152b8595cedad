import Foundation

/// Correlation of every channel with a large kernel by FFT, tiled by overlap-save so memory stays bounded.
///
/// The input is read through the border rule exactly as the direct path pads it, in tiles of
/// `tileH x tileW` (powers of two) that overlap by the kernel's extent minus one; each tile yields
/// `(tileH - extentY + 1) x (tileW - extentX + 1)` stride-1 outputs free of wrap-around, of which the
/// ones on the stride grid are kept. Two tiles ride in one complex transform (real and imaginary
/// parts; the kernel is real, so they do not mix). Forward transforms end in bit-reversed order and
/// inverse ones start there, so no reordering pass is needed.
struct FFTCorrelationPlan {
  let inH: Int, inW: Int, outH: Int, outW: Int
  let sy: Int, sx: Int
  let extentY: Int, extentX: Int
  let paddedH: Int, paddedW: Int, left: Int
  let rowMap: [Int], colMap: [Int]
  let tileH: Int, tileW: Int
  let tilesY: Int, tilesX: Int
  let rowTwiddles: FFTTwiddles, colTwiddles: FFTTwiddles
  /// The kernel's conjugated spectrum over `1 / (tileH·tileW)`, laid out `tileW x tileH` in bit-reversed order.
  let spectrumRe: [Float], spectrumIm: [Float]

  /// Tile sizes that minimise the modelled time, and that time in nanoseconds for `channels` maps.
  ///
  /// Model, fitted on a 4000x3000 RGB image on 2 cores (AMD EPYC, SSE2 code, other builds running):
  /// a complex tile of `P = H·W` points costs `fftNanosPerPoint · P · (log2 P + fftFixedPerPoint)` for
  /// its forward and inverse transform and carries two real tiles; the kernel's spectrum costs one
  /// such transform on one core. Measured there, with 256x256 tiles, FFT vs direct in ms:
  /// 7x7 111 vs 89, 9x9 115 vs 134, 11x11 112 vs 196, 15x15 124 vs 350, 31x31 135 vs 1420;
  /// so with `directNanosPerTap` the switch falls at about 60 non-zero taps for large images.
  /// Tiles stop at 256 per axis (unless the kernel needs more): larger ones fall out of L2 and got slower.
  static func bestTiles(stride1Rows: Int, stride1Cols: Int, extentY: Int, extentX: Int, channels: Int)
    -> (tileH: Int, tileW: Int, cost: Double)
  {
    func sizes(_ extent: Int, _ needed: Int) -> [Int] {
      var n = 8
      while n < extent { n *= 2 }
      let cap = max(256, 2 * n)
      var out: [Int] = []
      while true {
        out.append(n)
        if n - extent + 1 >= needed || n >= cap { break }  // one tile covers the axis, or the cap
        n *= 2
      }
      return out
    }
    var best = (tileH: 0, tileW: 0, cost: Double.infinity)
    for h in sizes(extentY, stride1Rows) {
      for w in sizes(extentX, stride1Cols) {
        let tiles = ceilDiv(stride1Rows, h - extentY + 1) * ceilDiv(stride1Cols, w - extentX + 1) * channels
        let points = Double(h * w)
        let perTransform = points * (log2(points) + fftFixedPerPoint) * fftNanosPerPoint
        let cost = (Double((tiles + 1) / 2) + 2) * perTransform
        if cost < best.cost { best = (h, w, cost) }
      }
    }
    return best
  }

  /// Nanoseconds per point and butterfly level of one complex tile's forward + inverse transform (2 cores).
  static let fftNanosPerPoint = 0.28
  /// Per-point work besides the butterflies (gather, transposes, spectrum product, scatter), in levels.
  static let fftFixedPerPoint = 4.0

  init(
    kernel: Kernel, channels: Int, input: (Int, Int), output: (Int, Int), padding: Padding, border: Border,
    stride: (Int, Int), dilation: (Int, Int)
  ) {
    (inH, inW) = input
    (outH, outW) = output
    (sy, sx) = stride
    extentY = dilation.0 * (kernel.height - 1) + 1
    extentX = dilation.1 * (kernel.width - 1) + 1
    paddedH = inH + padding.top + padding.bottom
    paddedW = inW + padding.left + padding.right
    left = padding.left
    (rowMap, colMap) = border.indexMaps(height: inH, width: inW, padding: padding)
    let rows1 = (outH - 1) * sy + 1, cols1 = (outW - 1) * sx + 1
    let best = Self.bestTiles(
      stride1Rows: rows1, stride1Cols: cols1, extentY: extentY, extentX: extentX, channels: channels)
    (tileH, tileW) = (best.tileH, best.tileW)
    tilesY = ceilDiv(rows1, tileH - extentY + 1)
    tilesX = ceilDiv(cols1, tileW - extentX + 1)
    let (rowTwiddles, colTwiddles) = (FFTTwiddles(tileH), FFTTwiddles(tileW))
    (self.rowTwiddles, self.colTwiddles) = (rowTwiddles, colTwiddles)

    // The kernel's spectrum, through the same transform steps as a tile.
    let (h, w) = (tileH, tileW)
    var re = [Float](repeating: 0, count: h * w), im = [Float](repeating: 0, count: h * w)
    var tre = [Float](repeating: 0, count: h * w), tim = [Float](repeating: 0, count: h * w)
    for i in 0 ..< kernel.height {
      for j in 0 ..< kernel.width { re[i * dilation.0 * w + j * dilation.1] = kernel[i, j] }
    }
    let scale = 1 / Float(h * w)
    re.withUnsafeMutableBufferPointer { re in
      im.withUnsafeMutableBufferPointer { im in
        tre.withUnsafeMutableBufferPointer { tre in
          tim.withUnsafeMutableBufferPointer { tim in
            let (r, i, tr, ti) = (re.baseAddress!, im.baseAddress!, tre.baseAddress!, tim.baseAddress!)
            fftColumnsForward(r, i, m: w, twiddles: rowTwiddles)
            transpose(r, tr, rows: h, cols: w)
            transpose(i, ti, rows: h, cols: w)
            fftColumnsForward(tr, ti, m: h, twiddles: colTwiddles)
            for k in 0 ..< h * w {
              tr[k] *= scale
              ti[k] *= -scale
            }
          }
        }
      }
    }
    spectrumRe = tre
    spectrumIm = tim
  }

  func run(_ input: Tensor, into output: inout Tensor) {
    guard outH > 0 && outW > 0 && input.channels > 0 else { return }
    let tilesPerChannel = tilesY * tilesX
    let tiles = input.channels * tilesPerChannel
    let size = tileH * tileW
    input.data.withUnsafeBufferPointer { src in
      output.data.withUnsafeMutableBufferPointer { dst in
        spectrumRe.withUnsafeBufferPointer { kre in
          spectrumIm.withUnsafeBufferPointer { kim in
            let srcBase = src.baseAddress!, dstBase = dst.baseAddress!
            let (kr, ki) = (kre.baseAddress!, kim.baseAddress!)
            parallelRanges((tiles + 1) / 2) { pairs in
              let work = UnsafeMutablePointer<Float>.allocate(capacity: 4 * size)
              defer { work.deallocate() }
              let (re, im, tre, tim) = (work, work + size, work + 2 * size, work + 3 * size)
              for pair in pairs {
                let first = 2 * pair, second = first + 1
                func locate(_ t: Int) -> (c: Int, ty: Int, tx: Int) {
                  (t / tilesPerChannel, t % tilesPerChannel / tilesX, t % tilesX)
                }
                let a = locate(first)
                gather(srcBase + a.c * inH * inW, into: re, ty: a.ty, tx: a.tx)
                let b = second < tiles ? locate(second) : nil
                if let b {
                  gather(srcBase + b.c * inH * inW, into: im, ty: b.ty, tx: b.tx)
                } else {
                  im.initialize(repeating: 0, count: size)
                }
                fftColumnsForward(re, im, m: tileW, twiddles: rowTwiddles)
                transpose(re, tre, rows: tileH, cols: tileW)
                transpose(im, tim, rows: tileH, cols: tileW)
                fftColumnsForward(tre, tim, m: tileH, twiddles: colTwiddles)
                for k in 0 ..< size {
                  let (zr, zi, wr, wi) = (tre[k], tim[k], kr[k], ki[k])
                  tre[k] = zr * wr - zi * wi
                  tim[k] = zr * wi + zi * wr
                }
                fftColumnsInverse(tre, tim, m: tileH, twiddles: colTwiddles)
                transpose(tre, re, rows: tileW, cols: tileH)
                transpose(tim, im, rows: tileW, cols: tileH)
                fftColumnsInverse(re, im, m: tileW, twiddles: rowTwiddles)
                scatter(re, into: dstBase + a.c * outH * outW, ty: a.ty, tx: a.tx)
                if let b { scatter(im, into: dstBase + b.c * outH * outW, ty: b.ty, tx: b.tx) }
              }
            }
          }
        }
      }
    }
  }

  /// Copies tile `(ty, tx)` of the border-extended channel into `tile`; positions past the padded input are zero.
  private func gather(_ src: UnsafePointer<Float>, into tile: UnsafeMutablePointer<Float>, ty: Int, tx: Int) {
    let r0 = ty * (tileH - extentY + 1), c0 = tx * (tileW - extentX + 1)
    // Tile columns whose padded column lies inside the input, copied as one run.
    let lower = min(tileW, max(0, left - c0))
    let inner = lower ..< max(lower, min(tileW, left + inW - c0))
    colMap.withUnsafeBufferPointer { cols in
      for i in 0 ..< tileH {
        let line = tile + i * tileW
        let r = r0 + i
        guard r < paddedH, rowMap[r] >= 0 else {
          line.initialize(repeating: 0, count: tileW)
          continue
        }
        let s = src + rowMap[r] * inW
        for j in 0 ..< inner.lowerBound {
          let col = c0 + j < paddedW ? cols[c0 + j] : -1
          line[j] = col < 0 ? 0 : s[col]
        }
        if !inner.isEmpty { (line + inner.lowerBound).update(from: s + (c0 + inner.lowerBound - left), count: inner.count) }
        for j in inner.upperBound ..< tileW {
          let col = c0 + j < paddedW ? cols[c0 + j] : -1
          line[j] = col < 0 ? 0 : s[col]
        }
      }
    }
  }

  /// Writes the wrap-free part of a transformed tile that falls on the stride grid into the output channel.
  private func scatter(_ tile: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, ty: Int, tx: Int) {
    let validH = tileH - extentY + 1, validW = tileW - extentX + 1
    let p0 = ty * validH, q0 = tx * validW
    // First output column at or after q0, and how many fall in this tile.
    let x0 = ceilDiv(q0, sx), x1 = min(outW, ceilDiv(q0 + validW, sx))
    guard x1 > x0 else { return }
    for i in 0 ..< validH {
      let p = p0 + i
      guard p % sy == 0 else { continue }
      let y = p / sy
      if y >= outH { break }
      let line = tile + i * tileW, out = dst + y * outW
      if sx == 1 {
        (out + x0).update(from: line + (x0 - q0), count: x1 - x0)
      } else {
        for x in x0 ..< x1 { out[x] = line[x * sx - q0] }
      }
    }
  }
}

@inline(__always)
func ceilDiv(_ a: Int, _ b: Int) -> Int { (a + b - 1) / b }
