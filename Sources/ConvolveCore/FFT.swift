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
/// natural order in, bit-reversed row order out. Each butterfly combines two whole rows, so the inner
/// loop runs along `m` contiguous floats and vectorises however short the transform is.
func fftColumnsForward(
  _ re: UnsafeMutablePointer<Float>, _ im: UnsafeMutablePointer<Float>, m: Int, twiddles: FFTTwiddles
) {
  let n = twiddles.n
  twiddles.cos.withUnsafeBufferPointer { cs in
    twiddles.sin.withUnsafeBufferPointer { sn in
      var half = n / 2
      while half >= 1 {
        let step = n / (2 * half)
        for start in stride(from: 0, to: n, by: 2 * half) {
          for j in 0 ..< half {
            let ar = re + (start + j) * m, ai = im + (start + j) * m
            let br = ar + half * m, bi = ai + half * m
            if j == 0 {
              for x in 0 ..< m {
                let (pr, pi, qr, qi) = (ar[x], ai[x], br[x], bi[x])
                ar[x] = pr + qr
                ai[x] = pi + qi
                br[x] = pr - qr
                bi[x] = pi - qi
              }
            } else {
              let wr = cs[j * step], wi = sn[j * step]
              for x in 0 ..< m {
                let (pr, pi, qr, qi) = (ar[x], ai[x], br[x], bi[x])
                ar[x] = pr + qr
                ai[x] = pi + qi
                let dr = pr - qr, di = pi - qi
                br[x] = dr * wr - di * wi
                bi[x] = dr * wi + di * wr
              }
            }
          }
        }
        half /= 2
      }
    }
  }
}

/// Inverse of `fftColumnsForward` up to a factor `n`: decimation in time with conjugate twiddles,
/// bit-reversed row order in, natural order out.
func fftColumnsInverse(
  _ re: UnsafeMutablePointer<Float>, _ im: UnsafeMutablePointer<Float>, m: Int, twiddles: FFTTwiddles
) {
  let n = twiddles.n
  twiddles.cos.withUnsafeBufferPointer { cs in
    twiddles.sin.withUnsafeBufferPointer { sn in
      var half = 1
      while half < n {
        let step = n / (2 * half)
        for start in stride(from: 0, to: n, by: 2 * half) {
          for j in 0 ..< half {
            let ar = re + (start + j) * m, ai = im + (start + j) * m
            let br = ar + half * m, bi = ai + half * m
            if j == 0 {
              for x in 0 ..< m {
                let (pr, pi, qr, qi) = (ar[x], ai[x], br[x], bi[x])
                ar[x] = pr + qr
                ai[x] = pi + qi
                br[x] = pr - qr
                bi[x] = pi - qi
              }
            } else {
              let wr = cs[j * step], wi = -sn[j * step]
              for x in 0 ..< m {
                let (pr, pi, qr, qi) = (ar[x], ai[x], br[x], bi[x])
                let tr = qr * wr - qi * wi, ti = qr * wi + qi * wr
                ar[x] = pr + tr
                ai[x] = pi + ti
                br[x] = pr - tr
                bi[x] = pi - ti
              }
            }
          }
        }
        half *= 2
      }
    }
  }
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
