import ConvolveCNN
import ConvolveCore
import ConvolveFormats

/// A colour scale that turns a one-channel map with values in [0, 1] into RGB.
///
/// All but `gray` follow matplotlib's maps of the same name within 1/255. `coolwarm` and `seismic` are
/// diverging, with their neutral colour at 0.5, for signed responses shown through `.offset` or `.normalize`.
public enum Colormap: String, CaseIterable, Sendable {
  case gray, viridis, magma, inferno, jet, coolwarm, seismic

  /// The colour at `value`, clamped to [0, 1]; NaN reads as 0.
  public func color(at value: Float) -> (red: Float, green: Float, blue: Float) {
    lookupTable.withUnsafeBufferPointer { lut in
      let k = ColormapTables.entry(value)
      return (
        ColormapTables.blend(lut, k.index, k.fraction), ColormapTables.blend(lut, k.index + 1, k.fraction),
        ColormapTables.blend(lut, k.index + 2, k.fraction)
      )
    }
  }

  /// `map`'s single channel coloured: a three-channel RGB tensor of the same height and width.
  /// Values outside [0, 1] clamp to the ends; NaN reads as 0.
  /// - Throws: `ConvolveError.shapeMismatch` unless `map` has exactly one channel.
  public func apply(_ map: Tensor) throws -> Tensor {
    guard map.channels == 1 else {
      throw ConvolveError.shapeMismatch("a colormap takes a one-channel map, got \(map.channels) channels")
    }
    let n = map.planeSize
    var out = Tensor(channels: 3, height: map.height, width: map.width)
    lookupTable.withUnsafeBufferPointer { lut in
      map.data.withUnsafeBufferPointer { src in
        out.data.withUnsafeMutableBufferPointer { dst in
          for p in 0 ..< n {
            let k = ColormapTables.entry(src[p])
            dst[p] = ColormapTables.blend(lut, k.index, k.fraction)
            dst[n + p] = ColormapTables.blend(lut, k.index + 1, k.fraction)
            dst[2 * n + p] = ColormapTables.blend(lut, k.index + 2, k.fraction)
          }
        }
      }
    }
    return out
  }

  private var lookupTable: [Float] {
    switch self {
    case .gray: return ColormapTables.gray
    case .viridis: return ColormapTables.viridisTable
    case .magma: return ColormapTables.magmaTable
    case .inferno: return ColormapTables.infernoTable
    case .jet: return ColormapTables.jetTable
    case .coolwarm: return ColormapTables.coolwarmTable
    case .seismic: return ColormapTables.seismicTable
    }
  }
}

/// Each map as stops `x, r, g, b` (x rising from 0 to 1, linear between stops), expanded once into an
/// evenly spaced table of `size` RGB entries plus a repeated last entry, so a lookup at 1 never reads past the end.
enum ColormapTables {
  static let size = 1024

  static let gray = table([0, 0, 0, 0, 1, 1, 1, 1])
  static let viridisTable = table(viridis)
  static let magmaTable = table(magma)
  static let infernoTable = table(inferno)
  static let jetTable = table(jet)
  static let coolwarmTable = table(coolwarm)
  static let seismicTable = table(seismic)

  /// Offset of the table entry at or below `value` and how far `value` lies towards the next one.
  @inline(__always)
  static func entry(_ value: Float) -> (index: Int, fraction: Float) {
    let t = (value > 0 ? (value < 1 ? value : 1) : 0) * Float(size - 1)
    let i = Int(t)
    return (3 * i, t - Float(i))
  }

  @inline(__always)
  static func blend(_ lut: UnsafeBufferPointer<Float>, _ k: Int, _ f: Float) -> Float {
    lut[k] + f * (lut[k + 3] - lut[k])
  }

  static func table(_ stops: [Float]) -> [Float] {
    var lut = [Float](repeating: 0, count: 3 * (size + 1))
    var s = 0
    for i in 0 ... size {
      let x = Float(min(i, size - 1)) / Float(size - 1)
      while s + 8 < stops.count && stops[s + 4] < x { s += 4 }
      let x0 = stops[s], x1 = stops[s + 4]
      let f = x1 > x0 ? min(max((x - x0) / (x1 - x0), 0), 1) : 0
      for c in 1 ... 3 { lut[3 * i + c - 1] = stops[s + c] + f * (stops[s + 4 + c] - stops[s + c]) }
    }
    return lut
  }

  // Stops from matplotlib, written by Tests/Fixtures/make_colormaps.py: rerun it rather than edit them.
  // make_colormaps.py: begin
  static let viridis: [Float] = [
      0, 0.267, 0.0049, 0.3294,
      0.0588, 0.2819, 0.0897, 0.4124,
      0.1137, 0.2809, 0.1608, 0.4729,
      0.1647, 0.268, 0.2235, 0.512,
      0.2235, 0.2431, 0.2921, 0.5385,
      0.2824, 0.2143, 0.3556, 0.5512,
      0.3569, 0.1806, 0.43, 0.5573,
      0.4392, 0.149, 0.5081, 0.5572,
      0.5059, 0.1265, 0.5706, 0.5498,
      0.5373, 0.1201, 0.6001, 0.5425,
      0.5608, 0.1201, 0.6222, 0.5349,
      0.5843, 0.1263, 0.6441, 0.5253,
      0.6039, 0.1373, 0.6623, 0.5156,
      0.6353, 0.1664, 0.6909, 0.4965,
      0.6667, 0.208, 0.7187, 0.4729,
      0.702, 0.2669, 0.7488, 0.4406,
      0.7373, 0.3359, 0.777, 0.402,
      0.7765, 0.4219, 0.8058, 0.3519,
      0.8157, 0.516, 0.8312, 0.2943,
      0.8588, 0.6266, 0.8546, 0.2234,
      0.9059, 0.7519, 0.875, 0.1432,
      0.9333, 0.8249, 0.8847, 0.1062,
      0.949, 0.866, 0.8899, 0.096,
      0.9647, 0.9063, 0.8949, 0.0981,
      0.9804, 0.9456, 0.8998, 0.1128,
      1, 0.9932, 0.9062, 0.1439,
  ]
  static let magma: [Float] = [
      0, 0.0015, 0.0005, 0.0139,
      0.0157, 0.006, 0.0048, 0.0371,
      0.0471, 0.0248, 0.0207, 0.1007,
      0.0784, 0.0566, 0.0422, 0.1674,
      0.1098, 0.0929, 0.0599, 0.2392,
      0.1451, 0.1409, 0.0687, 0.3245,
      0.1686, 0.1782, 0.0666, 0.3795,
      0.1843, 0.2049, 0.0629, 0.4115,
      0.2118, 0.2522, 0.0594, 0.4532,
      0.2392, 0.2977, 0.0661, 0.4782,
      0.2745, 0.3538, 0.0854, 0.4955,
      0.3176, 0.4208, 0.1129, 0.5052,
      0.3686, 0.5004, 0.1437, 0.5079,
      0.4196, 0.5818, 0.1716, 0.5028,
      0.4627, 0.6521, 0.194, 0.4916,
      0.5059, 0.7228, 0.2172, 0.4733,
      0.5569, 0.8048, 0.2499, 0.4421,
      0.5961, 0.8633, 0.2837, 0.4124,
      0.6392, 0.9177, 0.3355, 0.3799,
      0.6627, 0.9407, 0.3712, 0.3668,
      0.6863, 0.9585, 0.4113, 0.36,
      0.7216, 0.9767, 0.4762, 0.3645,
      0.7608, 0.9885, 0.5504, 0.3884,
      0.7843, 0.9928, 0.5949, 0.4103,
      0.8118, 0.9958, 0.6463, 0.4414,
      0.8667, 0.9972, 0.748, 0.5169,
      0.9294, 0.9935, 0.8629, 0.6193,
      1, 0.9871, 0.9914, 0.7495,
  ]
  static let inferno: [Float] = [
      0, 0.0015, 0.0005, 0.0139,
      0.0118, 0.0045, 0.0034, 0.0309,
      0.0353, 0.0166, 0.0131, 0.0803,
      0.0667, 0.0469, 0.0303, 0.1502,
      0.0941, 0.082, 0.0433, 0.2153,
      0.1137, 0.1105, 0.0474, 0.2629,
      0.1412, 0.1558, 0.0446, 0.3253,
      0.1647, 0.1973, 0.0384, 0.3675,
      0.1882, 0.2383, 0.0366, 0.3964,
      0.2157, 0.2843, 0.0439, 0.4166,
      0.2471, 0.3352, 0.0601, 0.4285,
      0.2863, 0.3977, 0.0833, 0.4332,
      0.3176, 0.4474, 0.1016, 0.4311,
      0.3529, 0.5035, 0.1216, 0.4234,
      0.3882, 0.5596, 0.1413, 0.4101,
      0.4196, 0.6093, 0.1595, 0.3936,
      0.4863, 0.7124, 0.2037, 0.3444,
      0.5255, 0.7696, 0.2361, 0.3075,
      0.5608, 0.8173, 0.271, 0.2704,
      0.6196, 0.8863, 0.3426, 0.203,
      0.6784, 0.9387, 0.4301, 0.1304,
      0.7176, 0.9634, 0.4955, 0.0791,
      0.7529, 0.9784, 0.5579, 0.0349,
      0.7725, 0.9838, 0.5938, 0.0238,
      0.7882, 0.9865, 0.6231, 0.0278,
      0.7961, 0.9873, 0.6379, 0.0349,
      0.8078, 0.9879, 0.6602, 0.0518,
      0.8353, 0.9862, 0.7132, 0.1039,
      0.8667, 0.9788, 0.7745, 0.176,
      0.8941, 0.968, 0.8285, 0.25,
      0.9098, 0.9606, 0.8591, 0.298,
      0.9255, 0.9532, 0.8889, 0.3514,
      0.9412, 0.9476, 0.9174, 0.4107,
      0.9569, 0.9469, 0.9433, 0.475,
      0.9765, 0.9579, 0.971, 0.5563,
      1, 0.9884, 0.9984, 0.6449,
  ]
  static let jet: [Float] = [
      0, 0, 0, 0.5,
      0.1105, 0, 0, 1,
      0.1251, 0, 0.0005, 1,
      0.3392, 0, 0.8568, 1,
      0.35, 0, 0.8998, 0.9679,
      0.3754, 0.0818, 1, 0.8859,
      0.6393, 0.9332, 1, 0.0345,
      0.6403, 0.9364, 0.999, 0.0314,
      0.65, 0.9679, 0.9628, 0,
      0.6598, 0.9994, 0.9266, 0,
      0.8895, 1, 0.0758, 0,
      0.9101, 0.9088, 0, 0,
      1, 0.5, 0, 0,
  ]
  static let coolwarm: [Float] = [
      0, 0.2298, 0.2987, 0.7537,
      0.0626, 0.3039, 0.4066, 0.845,
      0.0938, 0.3429, 0.4589, 0.8838,
      0.1251, 0.3832, 0.5096, 0.9175,
      0.1564, 0.4246, 0.5584, 0.9457,
      0.1877, 0.4669, 0.6048, 0.9683,
      0.219, 0.5099, 0.6486, 0.9849,
      0.2502, 0.5533, 0.6892, 0.9954,
      0.2815, 0.5966, 0.7264, 0.9998,
      0.3128, 0.6396, 0.7599, 0.9981,
      0.3441, 0.6817, 0.7892, 0.9902,
      0.3754, 0.7227, 0.8142, 0.9763,
      0.4066, 0.7619, 0.8345, 0.9566,
      0.4379, 0.7992, 0.8499, 0.9313,
      0.4692, 0.8339, 0.8603, 0.9005,
      0.5005, 0.8659, 0.8652, 0.8647,
      0.5308, 0.8973, 0.8492, 0.8215,
      0.5621, 0.9238, 0.8277, 0.7751,
      0.5934, 0.9442, 0.8013, 0.7273,
      0.6246, 0.9587, 0.7701, 0.6786,
      0.6559, 0.9672, 0.7345, 0.6293,
      0.6872, 0.9699, 0.6947, 0.5799,
      0.7185, 0.9668, 0.6508, 0.5307,
      0.7498, 0.9581, 0.6032, 0.4822,
      0.782, 0.9432, 0.5504, 0.4331,
      0.8123, 0.9241, 0.4976, 0.3882,
      0.8436, 0.8992, 0.4398, 0.3434,
      0.8749, 0.8693, 0.3786, 0.3004,
      0.9062, 0.8347, 0.3131, 0.2594,
      0.9374, 0.7957, 0.2414, 0.2206,
      0.9687, 0.7526, 0.1573, 0.1842,
      1, 0.7057, 0.0156, 0.1502,
  ]
  static let seismic: [Float] = [
      0, 0, 0, 0.3,
      0.2502, 0.001, 0.001, 1,
      0.4995, 0.998, 0.998, 1,
      0.5005, 1, 0.998, 0.998,
      0.7498, 1, 0.001, 0.001,
      1, 0.5, 0, 0,
  ]
  // make_colormaps.py: end
}
