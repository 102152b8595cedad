import Foundation

/// Correlation of every channel with a large kernel by FFT, tiled by overlap-save so memory stays bounded.
///
/// The input is read through `PaddedRows` exactly as the direct path pads it, in tiles of
/// `tileH x tileW` (powers of two) that overlap by the kernel's extent minus one; each tile yields
/// `(tileH - extentY + 1) x (tileW - extentX + 1)` stride-1 outputs free of wrap-around, of which the
/// ones on the stride grid are kept. Two tiles ride in one complex transform (real and imaginary
/// parts; the kernel is real, so they do not mix). Forward transforms end in bit-reversed order and
/// inverse ones start there, so no reordering pass is needed.
struct FFTPlan {
  let geometry: ConvolutionGeometry
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

  init(kernel: Kernel, channels: Int, geometry g: ConvolutionGeometry) {
    geometry = g
    let rows1 = (g.outH - 1) * g.sy + 1, cols1 = (g.outW - 1) * g.sx + 1
    let best = Self.bestTiles(
      stride1Rows: rows1, stride1Cols: cols1, extentY: g.extentY, extentX: g.extentX, channels: channels)
    (tileH, tileW) = (best.tileH, best.tileW)
    tilesY = ceilDiv(rows1, tileH - g.extentY + 1)
    tilesX = ceilDiv(cols1, tileW - g.extentX + 1)
    let (rowTwiddles, colTwiddles) = (FFTTwiddles(tileH), FFTTwiddles(tileW))
    (self.rowTwiddles, self.colTwiddles) = (rowTwiddles, colTwiddles)

    // The kernel's spectrum, through the same transform steps as a tile.
    let size = tileH * tileW
    let work = UnsafeMutablePointer<Float>.allocate(capacity: 4 * size)
    defer { work.deallocate() }
    let (re, im, tre, tim) = (work, work + size, work + 2 * size, work + 3 * size)
    work.initialize(repeating: 0, count: 2 * size)
    for i in 0 ..< kernel.height {
      for j in 0 ..< kernel.width { re[i * g.dilationY * tileW + j * g.dilationX] = kernel[i, j] }
    }
    fft2DForward(re, im, into: tre, tim, height: rowTwiddles, width: colTwiddles)
    let scale = 1 / Float(size)
    spectrumRe = (0 ..< size).map { tre[$0] * scale }
    spectrumIm = (0 ..< size).map { tim[$0] * -scale }
  }

  func run(_ input: Tensor) -> Tensor {
    var output = geometry.output(channels: input.channels)
    let size = tileH * tileW, tiles = tilesY * tilesX
    spectrumRe.withUnsafeBufferPointer { kre in
      spectrumIm.withUnsafeBufferPointer { kim in
        let spectrum = Shared((kre.baseAddress!, kim.baseAddress!))
        // The driver's rows are pairs of tiles (row-major within a channel), so that both cores get the same
        // number of transforms; bands of whole tile rows left one core up to 20% more of them.
        forEachRowBand(of: input, into: &output, rows: (tiles + 1) / 2, bandRows: 1, scratchFloats: 4 * size) { band in
          let (kr, ki) = spectrum.value
          let (re, im, tre, tim) = (band.floats, band.floats + size, band.floats + 2 * size, band.floats + 3 * size)
          for pair in band.rows {
            let first = 2 * pair, second = first + 1
            gather(band.input, into: re, tile: first)
            if second < tiles {
              gather(band.input, into: im, tile: second)
            } else {
              im.initialize(repeating: 0, count: size)
            }
            fft2DForward(re, im, into: tre, tim, height: rowTwiddles, width: colTwiddles)
            for k in 0 ..< size {
              let (zr, zi, wr, wi) = (tre[k], tim[k], kr[k], ki[k])
              tre[k] = zr * wr - zi * wi
              tim[k] = zr * wi + zi * wr
            }
            fft2DInverse(tre, tim, into: re, im, height: rowTwiddles, width: colTwiddles)
            scatter(re, into: band.output, tile: first)
            if second < tiles { scatter(im, into: band.output, tile: second) }
          }
        }
      }
    }
    return output
  }

  /// Copies tile `t` (row-major among `tilesY x tilesX`) of the border-extended channel `plane` into `tile`;
  /// positions past the padded input are zero.
  private func gather(_ plane: UnsafePointer<Float>, into tile: UnsafeMutablePointer<Float>, tile t: Int) {
    let g = geometry
    let r0 = t / tilesX * (tileH - g.extentY + 1), c0 = t % tilesX * (tileW - g.extentX + 1)
    for i in 0 ..< tileH {
      g.padded.fill(tile + i * tileW, row: r0 + i, of: plane, columns: c0 ..< c0 + tileW)
    }
  }

  /// Writes the wrap-free part of a transformed tile that falls on the stride grid into the output channel.
  private func scatter(_ tile: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, tile t: Int) {
    let (outH, outW, sy, sx) = (geometry.outH, geometry.outW, geometry.sy, geometry.sx)
    let validH = tileH - geometry.extentY + 1, validW = tileW - geometry.extentX + 1
    let p0 = t / tilesX * validH, q0 = t % tilesX * validW
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
