import ConvolveCore

extension ConvTransposeOperator {
  var reverseReads: ReverseReads? { .inputs }

  /// The input's gradient: the output's gradient convolved with the weights (the windows of the output that
  /// each input sample was spread over), per group. The weight and bias get none.
  func reverse(_ context: ReverseContext) throws -> [GraphTensor?] {
    guard context.wants(0) else { return context.none }
    let xShape = try context.inputShape(0), w = try context.input(1)
    let (n, c, h, width) = try spatialDims(xShape), g = try geometry(x: xShape, w: w.shape, bias: nil)
    let (oh, ow) = (g.y.output, g.x.output)
    let groups = group, cin = c / groups, coutg = g.coutPerGroup, cout = coutg * groups
    let taps = coutg * g.y.kernel * g.x.kernel, positions = h * width
    // Input sample (iy, ix) reaches output (iy·s − begin + ky·d, ...): a window over the output.
    let patch = PatchGeometry(
      kh: g.y.kernel, kw: g.x.kernel, sy: g.y.stride, sx: g.x.stride, dy: g.y.dilation, dx: g.x.dilation,
      top: g.y.begin, left: g.x.begin, inH: oh, inW: ow, outH: h, outW: width)
    let weights = try requireFloat(w, "W"), dy = context.gradient(0)
    var dx = [Float](repeating: 0, count: n * c * positions)
    var col = [Float](repeating: 0, count: taps * positions)
    weights.withUnsafeBufferPointer { pw in
      dy.withUnsafeBufferPointer { pg in
        dx.withUnsafeMutableBufferPointer { pd in
          col.withUnsafeMutableBufferPointer { pc in
            guard let pw = pw.baseAddress, let pg = pg.baseAddress, let pd = pd.baseAddress, let pc = pc.baseAddress else { return }
            for image in 0 ..< n {
              for k in 0 ..< groups {
                patch.columns(pg + (image * cout + k * coutg) * oh * ow, channels: coutg, into: pc)
                matrixProduct(
                  pw + k * cin * taps, (cin, taps), transposed: false, pc, (taps, positions), transposed: false,
                  into: pd + (image * c + k * cin) * positions)
              }
            }
          }
        }
      }
    }
    return context.only(xShape, dx)
  }
}
