import Foundation

/// `e^{-2πik/n}` for `k < n/2`, split into cosine and sine, for radix-2 transforms of length `n`.
struct FFTTwiddles {
  let n: Int
  let cos: [Float], sin: [Float]

  init(_ n: Int) {
    precondition(n > 0 && n & (n - 1) == 0, "FFT length \(n) is not a power of two")
    self.n = n
    let angles = (0 ..< max(1, n / 2)).map { -2 * Double.pi * Double($0) / Double(n) }
    cos = angles.map { Float(Foundation.cos($0)) }
    sin = angles.map { Float(Foundation.sin($0)) }
  }
}

/// Forward FFT of every column of a row-major `n x m` split-complex block, by decimation in frequency:
/// natural order in, bit-reversed row order out. Each butterfly combines whole rows, so the inner loop
/// runs along `m` contiguous floats and vectorises however short the transform is. Pairs of radix-2
/// stages are fused (radix 4), halving the passes over the block.
func fftColumnsForward(
  _ re: UnsafeMutablePointer<Float>, _ im: UnsafeMutablePointer<Float>, m: Int, twiddles: FFTTwiddles
) {
  let n = twiddles.n
  twiddles.cos.withUnsafeBufferPointer { cs in
    twiddles.sin.withUnsafeBufferPointer { sn in
      var h = n / 2
      while h >= 2 {
        // Spans h then h/2 in one pass: rows a, b, c, d = start + j + {0, 1, 2, 3}·h/2.
        let q = h / 2, step = n / (2 * h)
        for start in stride(from: 0, to: n, by: 2 * h) {
          for j in 0 ..< q {
            let (w1r, w1i) = (cs[j * step], sn[j * step])  // W_{2h}^j
            let (w2r, w2i) = (cs[2 * j * step], sn[2 * j * step])  // W_h^j
            let ar = re + (start + j) * m, ai = im + (start + j) * m
            let br = ar + q * m, bi = ai + q * m, cr = ar + h * m, ci = ai + h * m
            let dr = cr + q * m, di = ci + q * m
            for x in 0 ..< m {
              let (a0, a1, b0, b1, c0, c1, d0, d1) = (ar[x], ai[x], br[x], bi[x], cr[x], ci[x], dr[x], di[x])
              // Span h: (a, c) by W_{2h}^j; (b, d) by W_{2h}^j · (-i).
              let sa0 = a0 + c0, sa1 = a1 + c1, ua0 = a0 - c0, ua1 = a1 - c1
              let sb0 = b0 + d0, sb1 = b1 + d1, ub0 = b1 - d1, ub1 = d0 - b0
              let tc0 = ua0 * w1r - ua1 * w1i, tc1 = ua0 * w1i + ua1 * w1r
              let td0 = ub0 * w1r - ub1 * w1i, td1 = ub0 * w1i + ub1 * w1r
              // Span h/2: (a, b) and (c, d) by W_h^j.
              ar[x] = sa0 + sb0
              ai[x] = sa1 + sb1
              let e0 = sa0 - sb0, e1 = sa1 - sb1
              br[x] = e0 * w2r - e1 * w2i
              bi[x] = e0 * w2i + e1 * w2r
              cr[x] = tc0 + td0
              ci[x] = tc1 + td1
              let f0 = tc0 - td0, f1 = tc1 - td1
              dr[x] = f0 * w2r - f1 * w2i
              di[x] = f0 * w2i + f1 * w2r
            }
          }
        }
        h /= 4
      }
      if h == 1 {
        radix2Stage(re, im, n: n, m: m)
      }
    }
  }
}

/// Inverse of `fftColumnsForward` up to a factor `n`: decimation in time with conjugate twiddles,
/// bit-reversed row order in, natural order out; the same stages undone in reverse order.
func fftColumnsInverse(
  _ re: UnsafeMutablePointer<Float>, _ im: UnsafeMutablePointer<Float>, m: Int, twiddles: FFTTwiddles
) {
  let n = twiddles.n
  let levels = n.trailingZeroBitCount
  twiddles.cos.withUnsafeBufferPointer { cs in
    twiddles.sin.withUnsafeBufferPointer { sn in
      var h = 2
      if levels % 2 == 1 {
        radix2Stage(re, im, n: n, m: m)
        h = 4
      }
      while h < n {
        // Spans h/2 then h in one pass, undoing the forward pass with the same h.
        let q = h / 2, step = n / (2 * h)
        for start in stride(from: 0, to: n, by: 2 * h) {
          for j in 0 ..< q {
            let (w1r, w1i) = (cs[j * step], -sn[j * step])  // conj W_{2h}^j
            let (w2r, w2i) = (cs[2 * j * step], -sn[2 * j * step])  // conj W_h^j
            let ar = re + (start + j) * m, ai = im + (start + j) * m
            let br = ar + q * m, bi = ai + q * m, cr = ar + h * m, ci = ai + h * m
            let dr = cr + q * m, di = ci + q * m
            for x in 0 ..< m {
              let (a0, a1, b0, b1, c0, c1, d0, d1) = (ar[x], ai[x], br[x], bi[x], cr[x], ci[x], dr[x], di[x])
              // Span h/2: (a, b) and (c, d) by conj W_h^j.
              let t0 = b0 * w2r - b1 * w2i, t1 = b0 * w2i + b1 * w2r
              let u0 = d0 * w2r - d1 * w2i, u1 = d0 * w2i + d1 * w2r
              let pa0 = a0 + t0, pa1 = a1 + t1, pb0 = a0 - t0, pb1 = a1 - t1
              let pc0 = c0 + u0, pc1 = c1 + u1, pd0 = c0 - u0, pd1 = c1 - u1
              // Span h: (a, c) by conj W_{2h}^j; (b, d) by conj W_{2h}^j · i.
              let v0 = pc0 * w1r - pc1 * w1i, v1 = pc0 * w1i + pc1 * w1r
              let g0 = pd0 * w1r - pd1 * w1i, g1 = pd0 * w1i + pd1 * w1r
              let z0 = -g1, z1 = g0
              ar[x] = pa0 + v0
              ai[x] = pa1 + v1
              cr[x] = pa0 - v0
              ci[x] = pa1 - v1
              br[x] = pb0 + z0
              bi[x] = pb1 + z1
              dr[x] = pb0 - z0
              di[x] = pb1 - z1
            }
          }
        }
        h *= 4
      }
    }
  }
}

/// The 2-D FFT of the row-major `h x w` split-complex block `re`/`im` (`h`, `w` the twiddles' lengths), written
/// transposed (`w x h`) to `outRe`/`outIm` with both axes in bit-reversed order; `re`/`im` are overwritten.
func fft2DForward(
  _ re: UnsafeMutablePointer<Float>, _ im: UnsafeMutablePointer<Float>, into outRe: UnsafeMutablePointer<Float>,
  _ outIm: UnsafeMutablePointer<Float>, height: FFTTwiddles, width: FFTTwiddles
) {
  fftColumnsForward(re, im, m: width.n, twiddles: height)
  transpose(re, im, into: outRe, outIm, rows: height.n, cols: width.n)
  fftColumnsForward(outRe, outIm, m: height.n, twiddles: width)
}

/// Inverse of `fft2DForward` up to a factor `h·w`: the transposed, bit-reversed spectrum `re`/`im` (overwritten)
/// back to the row-major `h x w` block `outRe`/`outIm` in natural order.
func fft2DInverse(
  _ re: UnsafeMutablePointer<Float>, _ im: UnsafeMutablePointer<Float>, into outRe: UnsafeMutablePointer<Float>,
  _ outIm: UnsafeMutablePointer<Float>, height: FFTTwiddles, width: FFTTwiddles
) {
  fftColumnsInverse(re, im, m: height.n, twiddles: width)
  transpose(re, im, into: outRe, outIm, rows: width.n, cols: height.n)
  fftColumnsInverse(outRe, outIm, m: width.n, twiddles: height)
}

/// Both parts of a split-complex block transposed.
func transpose(
  _ re: UnsafePointer<Float>, _ im: UnsafePointer<Float>, into outRe: UnsafeMutablePointer<Float>,
  _ outIm: UnsafeMutablePointer<Float>, rows: Int, cols: Int
) {
  transpose(re, outRe, rows: rows, cols: cols)
  transpose(im, outIm, rows: rows, cols: cols)
}

/// Writes the transpose of the row-major `rows x cols` block `src` into `dst` (`cols x rows`), in 16x16 tiles.
func transpose(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
  let b = 16
  for i0 in stride(from: 0, to: rows, by: b) {
    let i1 = min(rows, i0 + b)
    for j0 in stride(from: 0, to: cols, by: b) {
      let j1 = min(cols, j0 + b)
      for j in j0 ..< j1 {
        let d = dst + j * rows
        for i in i0 ..< i1 { d[i] = src[i * cols + j] }
      }
    }
  }
}

/// The twiddle-free radix-2 stage shared by both directions: each pair of adjacent rows becomes (a + b, a - b).
@inline(__always)
private func radix2Stage(_ re: UnsafeMutablePointer<Float>, _ im: UnsafeMutablePointer<Float>, n: Int, m: Int) {
  for start in stride(from: 0, to: n, by: 2) {
    let ar = re + start * m, ai = im + start * m, br = ar + m, bi = ai + m
    for x in 0 ..< m {
      let (pr, pi, qr, qi) = (ar[x], ai[x], br[x], bi[x])
      ar[x] = pr + qr
      ai[x] = pi + qi
      br[x] = pr - qr
      bi[x] = pi - qi
    }
  }
}
