import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation

// In-process timings for Benchmarks/run.sh: `ConvolveBench [--repeat N] [--jpeg PATH] [CASE...]`.
// Prints `CASE<TAB>median ms<TAB>best ms` per case; no case names means all of them.
// Images are planar Float32 RGB 4000x3000 in [0, 1], as the CLI loads them.

var rng = SplitMix64(seed: 7)
func randomTensor(_ c: Int, _ h: Int, _ w: Int) -> Tensor {
  Tensor(channels: c, height: h, width: w, data: (0 ..< c * h * w).map { _ in Float.random(in: 0 ... 1, using: &rng) })
}
func randomKernel(_ n: Int) -> Kernel {
  Kernel(height: n, width: n, weights: (0 ..< n * n).map { _ in Float.random(in: -1 ... 1, using: &rng) / Float(n) })
}
/// A sampled Gaussian of radius ceil(3σ), the size the peers are given too.
func gaussian(_ sigma: Double) -> Kernel {
  let r = Int((3 * sigma).rounded(.up))
  let g = (-r ... r).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
  let n = 2 * r + 1
  return Kernel(height: n, width: n, weights: g.flatMap { a in g.map { a * $0 } }).normalized
}

var repeats = 7
var jpegPath: String?
var names: [String] = []
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
  switch a {
  case "--repeat": repeats = Int(args.popFirst() ?? "") ?? repeats
  case "--jpeg": jpegPath = args.popFirst()
  default: names.append(a)
  }
}

let image = randomTensor(3, 3000, 4000)
let replicate = ConvolutionOptions(mode: .same, border: .replicate)
var cases: [(String, () throws -> Any)] = [
  ("conv3x3", { [k = randomKernel(3)] in try convolve(image, with: k, options: replicate) }),
  ("conv5x5", { [k = randomKernel(5)] in try convolve(image, with: k, options: replicate) }),
  ("gauss2", { [k = gaussian(2)] in try convolve(image, with: k, options: replicate) }),
  ("gauss10", { [k = gaussian(10)] in try convolve(image, with: k, options: replicate) }),
  ("conv31", { [k = randomKernel(31)] in try convolve(image, with: k, options: replicate) }),
  ("box9", { [k = try! Kernel.box(size: 9)] in try convolve(image, with: k, options: replicate) }),
  ("box21", { [k = try! Kernel.box(size: 21)] in try convolve(image, with: k, options: replicate) }),
  ("box61", { [k = try! Kernel.box(size: 61)] in try convolve(image, with: k, options: replicate) }),
  ("layer3to64", {
    [x = randomTensor(3, 1024, 1024), bank = try! FilterBank(
      outChannels: 64, inChannelsPerGroup: 3, kernelHeight: 3, kernelWidth: 3,
      weights: randomTensor(1, 1, 64 * 27).data, bias: randomTensor(1, 1, 64).data)] in
    try convolutionLayer(x, bank, LayerGeometry(padding: .uniform(1)))
  }),
  ("layer64to64", {
    [x = randomTensor(64, 256, 256), bank = try! FilterBank(
      outChannels: 64, inChannelsPerGroup: 64, kernelHeight: 3, kernelWidth: 3,
      weights: randomTensor(1, 1, 64 * 64 * 9).data, bias: randomTensor(1, 1, 64).data)] in
    try convolutionLayer(x, bank, LayerGeometry(padding: .uniform(1)))
  }),
  ("maxpool2", { try Pooling(.max, kernel: 2).apply(to: image) }),
]
// `convN`: any other square random (non-separable) kernel size, for finding crossovers.
for name in names where name.hasPrefix("conv") && !cases.contains(where: { $0.0 == name }) {
  if let n = Int(name.dropFirst(4)) {
    cases.append((name, { [k = randomKernel(n)] in try convolve(image, with: k, options: replicate) }))
  }
}
// Runs only when given a JPEG (`--jpeg PATH`).
if let jpegPath {
  cases.append(("jpeg", {
    let loaded = try loadImage(path: jpegPath)
    try saveImage(loaded.tensor, path: NSTemporaryDirectory() + "convolve-bench.jpg", quality: 90)
    return loaded
  }))
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e6 }

for (name, body) in cases where names.isEmpty || names.contains(name) {
  _ = try body()  // warm-up
  var times: [Double] = []
  for _ in 0 ..< repeats {
    let t0 = now()
    _ = try body()
    times.append(now() - t0)
  }
  times.sort()
  print("\(name)\t\(String(format: "%.2f", times[times.count / 2]))\t\(String(format: "%.2f", times[0]))")
  fflush(stdout)
}
