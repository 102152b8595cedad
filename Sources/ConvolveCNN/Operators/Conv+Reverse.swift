import ConvolveCore

/// Where the taps of a sliding window land: output `(oy, ox)`'s tap `(ky, kx)` reads input
/// `(oy·sy − top + ky·dy, ox·sx − left + kx·dx)`, zero outside the input.
struct PatchGeometry {
  var kh: Int, kw: Int, sy: Int, sx: Int, dy: Int, dx: Int, top: Int, left: Int
  var inH: Int, inW: Int, outH: Int, outW: Int

  /// Columns `(c, ky, kx) × (oy, ox)` of `channels` input planes (im2col).
  func columns(_ src: UnsafePointer<Float>, channels: Int, into col: UnsafeMutablePointer<Float>) {
    var row = col
    for c in 0 ..< channels {
      let plane = src + c * inH * inW
      for ky in 0 ..< kh {
        for kx in 0 ..< kw {
          for oy in 0 ..< outH {
            let iy = oy * sy - top + ky * dy
            let out = row + oy * outW
            guard iy >= 0 && iy < inH else {
              out.update(repeating: 0, count: outW)
              continue
            }
            let line = plane + iy * inW
            for ox in 0 ..< outW {
              let ix = ox * sx - left + kx * dx
              out[ox] = ix >= 0 && ix < inW ? line[ix] : 0
            }
          }
          row += outH * outW
        }
      }
    }
  }

  /// Adds columns back onto the input planes they were read from (the adjoint of `columns`).
  func addColumns(_ col: UnsafePointer<Float>, channels: Int, into dst: UnsafeMutablePointer<Float>) {
    var row = col
    for c in 0 ..< channels {
      let plane = dst + c * inH * inW
      for ky in 0 ..< kh {
        for kx in 0 ..< kw {
          for oy in 0 ..< outH {
            let iy = oy * sy - top + ky * dy
            guard iy >= 0 && iy < inH else { continue }
            let line = plane + iy * inW, src = row + oy * outW
            for ox in 0 ..< outW {
              let ix = ox * sx - left + kx * dx
              if ix >= 0 && ix < inW { line[ix] += src[ox] }
            }
          }
          row += outH * outW
        }
      }
    }
  }
}

extension ConvOperator {
  var reverseReads: ReverseReads? { .inputs }

  /// The input's gradient: per group, the weights transposed times the output's gradient, added back onto the
  /// windows it came from (a transposed convolution). The weight and bias get none.
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    guard context.wants(0) else { return context.none }
    let xShape = try context.inputShape(0), w = try context.input(1)
    let (n, c, h, width) = try spatialDims(xShape), g = try geometry(x: xShape, w: w.shape, bias: nil)
    let (m, cg, kh, kw) = g.bank
    let pad = try g.layer.resolvedPadding(kernelHeight: kh, kernelWidth: kw)
    let patch = PatchGeometry(
      kh: kh, kw: kw, sy: g.layer.strideY, sx: g.layer.strideX, dy: g.layer.dilationY, dx: g.layer.dilationX,
      top: pad.top, left: pad.left, inH: h, inW: width, outH: g.out.h, outW: g.out.w)
    let weights = try requireFloat(w, "W"), dy = context.gradient(0)
    let groups = group, mg = m / groups, taps = cg * kh * kw, positions = g.out.h * g.out.w
    var dx = [Float](repeating: 0, count: n * c * h * width)
    var col = [Float](repeating: 0, count: taps * positions)
    weights.withUnsafeBufferPointer { pw in
      dy.withUnsafeBufferPointer { pg in
        dx.withUnsafeMutableBufferPointer { pd in
          col.withUnsafeMutableBufferPointer { pc in
            guard let pw = pw.baseAddress, let pg = pg.baseAddress, let pd = pd.baseAddress, let pc = pc.baseAddress else { return }
            for image in 0 ..< n {
              for k in 0 ..< groups {
                let wk = pw + k * mg * taps
                let gk = pg + (image * m + k * mg) * positions
                matrixProduct(wk, (mg, taps), transposed: true, gk, (mg, positions), transposed: false, into: pc)
                patch.addColumns(pc, channels: cg, into: pd + (image * c + k * cg) * h * width)
              }
            }
          }
        }
      }
    }
    return context.only(xShape, dx)
  }
}
