import ConvolveONNX
import ConvolveJobs
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation

// In-process timings for Benchmarks/run.sh: `ConvolveBench [--repeat N] [--jpeg PATH] [--model PATH] [CASE...]`.
// Prints `CASE<TAB>median ms<TAB>best ms` per case; no case names means all of them.
// Images are planar Float32 RGB 4000x3000 in [0, 1], as the CLI loads them (made only when a case needs them).
// `--model PATH` adds the case `model` (`--model-case NAME` renames it): an ONNX model planned once for
// 1x3x640x640 (`--model-size HxW`), then `Executor.run` timed on one input (`--model-input X.npy`, else random
// in [-1, 1]); its line has a fourth column, the process's peak resident memory in MB (run it alone for a
// clean number: no other case's data is made then). `--model-reference Y.npy` prints the first output's
// largest error against it, `--profile` the CPU time per run, the time per operator type and every step of
// the plan (all to standard error). Measuring switches: `--no-winograd`, `--copy-tiles N`, `--no-huge-heap`.

nonisolated(unsafe) var rng = SplitMix64(seed: 7)  // the cases are made on one thread, before any runs
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

/// A conv layer case: `c` → `m` channels on `s` x `s`, a `k` x `k` kernel padded by k/2, stride and groups as given.
func layerCase(_ c: Int, _ m: Int, _ s: Int, kernel k: Int = 3, stride: Int = 1, groups: Int = 1) -> () throws -> Any {
  let x = randomTensor(c, s, s)
  let bank = try! FilterBank(
    outChannels: m, inChannelsPerGroup: c / groups, kernelHeight: k, kernelWidth: k,
    weights: randomTensor(1, 1, m * c / groups * k * k).data, bias: randomTensor(1, 1, m).data)
  let geometry = LayerGeometry(stride: stride, padding: .uniform(k / 2), groups: groups)
  return { try convolutionLayer(x, bank, geometry) }
}

var repeats = 7
var jpegPath: String?
var modelPath: String?, modelInput: String?, modelReference: String?, modelCase = "model"
var modelSize = (640, 640)
var profile = false
var hugeHeap = true
var names: [String] = []
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
  switch a {
  case "--repeat": repeats = Int(args.popFirst() ?? "") ?? repeats
  case "--jpeg": jpegPath = args.popFirst()
  case "--model": modelPath = args.popFirst()
  case "--model-input": modelInput = args.popFirst()
  case "--model-reference": modelReference = args.popFirst()
  case "--model-case": modelCase = args.popFirst() ?? modelCase
  case "--model-size":
    let hw = (args.popFirst() ?? "").split(separator: "x").compactMap { Int($0) }
    if hw.count == 2 { modelSize = (hw[0], hw[1]) }
  case "--profile": profile = true
  case "--no-winograd": ConvTuning.winograd = false
  case "--copy-tiles": ConvTuning.copyTiles = Int(args.popFirst() ?? "")
  case "--no-huge-heap": hugeHeap = false
  default: names.append(a)
  }
}
// As the command line does: freed tensors' memory kept for the next.
prepareAllocator(hugeHeap: hugeHeap)

/// The 4000x3000 test image, made on first use.
enum TestImage { static let rgb = randomTensor(3, 3000, 4000) }
var image: Tensor { TestImage.rgb }
let replicate = ConvolutionOptions(mode: .same, border: .replicate)
var cases: [(String, () throws -> Any)] = []
// The fixed cases (their data is made here), unless only the model case is asked for.
if names.isEmpty || names.contains(where: { $0 != modelCase }) {
cases = [
  ("conv3x3", { [k = randomKernel(3)] in try convolve(image, with: k, options: replicate) }),
  ("conv5x5", { [k = randomKernel(5)] in try convolve(image, with: k, options: replicate) }),
  ("gauss2", { [k = gaussian(2)] in try convolve(image, with: k, options: replicate) }),
  ("gauss10", { [k = gaussian(10)] in try convolve(image, with: k, options: replicate) }),
  ("conv31", { [k = randomKernel(31)] in try convolve(image, with: k, options: replicate) }),
  ("box9", { [k = try! Kernel.box(size: 9)] in try convolve(image, with: k, options: replicate) }),
  ("box21", { [k = try! Kernel.box(size: 21)] in try convolve(image, with: k, options: replicate) }),
  ("box61", { [k = try! Kernel.box(size: 61)] in try convolve(image, with: k, options: replicate) }),
  ("layer3to64", layerCase(3, 64, 1024)),
  ("layer64to64", layerCase(64, 64, 256)),
  ("depthwise64@256", layerCase(64, 64, 256, groups: 64)),
  ("pointwise64to128@256", layerCase(64, 128, 256, kernel: 1)),
  ("stride2-32to64@512", layerCase(32, 64, 512, stride: 2)),
  ("maxpool2", { try Pooling(.max, kernel: 2).apply(to: image) }),
]
}
// `layerCtoM@S`: any other 3x3 pad-1 layer, C → M channels on S x S (e.g. layer96to24@160, the detector's largest).
for name in names where name.hasPrefix("layer") && !cases.contains(where: { $0.0 == name }) {
  let parts = name.dropFirst(5).split(whereSeparator: { $0 == "t" || $0 == "o" || $0 == "@" }).compactMap { Int($0) }
  if parts.count == 3 {
    let (c, m, s) = (parts[0], parts[1], parts[2])
    cases.append((name, layerCase(c, m, s)))
  }
}
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

var profileModel: (() -> Void)?
// Runs only when given a model (`--model PATH`).
if let modelPath {
  let loadStart = now()
  let graph = try ONNXModel.load(path: modelPath)
  let loaded = now()
  let inputName = graph.inputs[0].name, outputName = graph.outputs[0].name
  let x: GraphTensor
  if let modelInput {
    let a = try NPYArray.read(path: modelInput)
    x = GraphTensor(shape: a.shape, floats: a.data)
  } else {
    let shape = [1, 3, modelSize.0, modelSize.1]
    x = GraphTensor(shape: shape, floats: (0 ..< shape.reduce(1, *)).map { _ in Float.random(in: -1 ... 1, using: &rng) })
  }
  let inputRead = now()
  let plan = try ExecutionPlan(graph: graph, inputShapes: [inputName: x.shape])
  let executor = Executor(plan: plan)
  if profile {
    let planned = now()
    _ = try executor.run([inputName: x])
    FileHandle.standardError.write(String(
      format: "\(modelCase): load %.1f ms, input %.1f ms, plan %.1f ms, first run %.1f ms\n", loaded - loadStart,
      inputRead - loaded, planned - inputRead, now() - planned).data(using: .utf8)!)
  }
  if let modelReference {
    let expected = try NPYArray.read(path: modelReference)
    let got = try executor.run([inputName: x])[outputName]!.floats
    var error: Float = 0, scale: Float = 0
    for (a, b) in zip(got, expected.data) {
      error = max(error, abs(a - b))
      scale = max(scale, abs(b))
    }
    FileHandle.standardError.write("\(modelCase): max error \(error), largest reference value \(scale), relative \(error / scale)\n".data(using: .utf8)!)
  }
  cases.append((modelCase, { try executor.run([inputName: x]) }))
  if profile {
    profileModel = {
      var byOp: [String: (Double, Int)] = [:]
      var nodes: [(String, Double, String)] = []
      for _ in 0 ..< 3 {
        var run: [(String, Double, String)] = []
        _ = try? executor.run([inputName: x]) { e in
          run.append((e.nodes.map(\.opType).joined(separator: "+") + " " + e.node.name, e.seconds * 1000, shapeText(e.outputs.first?.tensor.shape ?? [])))
        }
        if nodes.isEmpty { nodes = run } else { for i in nodes.indices { nodes[i].1 = min(nodes[i].1, run[i].1) } }
      }
      for n in nodes { byOp[String(n.0.split(separator: " ")[0]), default: (0, 0)].0 += n.1; byOp[String(n.0.split(separator: " ")[0]), default: (0, 0)].1 += 1 }
      var text = "model profile (best of 3 per node), total \(String(format: "%.2f", nodes.reduce(0) { $0 + $1.1 })) ms\n"
      for (k, v) in byOp.sorted(by: { $0.value.0 > $1.value.0 }) { text += "  \(k) x\(v.1): \(String(format: "%.2f", v.0)) ms\n" }
      text += "every step in order:\n"
      for (n, step) in zip(nodes, plan.steps) {
        let ins = step.inputTypes.map { $0.map { shapeText($0.shape) } ?? "-" }.joined(separator: ", ")
        let attrs = step.node.attributes.filter { ["group", "strides", "kernel_shape"].contains($0.key) }
          .map { "\($0.key)=\($0.value.summary)" }.sorted().joined(separator: " ")
        text += "  \(String(format: "%6.2f", n.1)) ms  \(n.0) (\(ins)) -> \(n.2) \(attrs)\n"
      }
      FileHandle.standardError.write(text.data(using: .utf8)!)
    }
  }
}

/// CPU time of the whole process (every thread), in ms.
func cpuNow() -> Double {
  var u = rusage()
  getrusage(RUSAGE_SELF.rawValue, &u)
  return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3
}

for (name, body) in cases where names.isEmpty || names.contains(name) {
  _ = try body()  // warm-up
  var times: [Double] = [], cpu: [Double] = []
  for _ in 0 ..< repeats {
    let (t0, c0) = (now(), cpuNow())
    _ = try body()
    times.append(now() - t0)
    cpu.append(cpuNow() - c0)
  }
  times.sort()
  cpu.sort()
  var line = "\(name)\t\(String(format: "%.2f", times[times.count / 2]))\t\(String(format: "%.2f", times[0]))"
  if name == modelCase && modelPath != nil {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    line += "\t\(String(format: "%.1f", Double(u.ru_maxrss) / 1024))"  // kilobytes on Linux
  }
  print(line)
  if profile { FileHandle.standardError.write("\(name): CPU time per run (all threads) median \(String(format: "%.2f", cpu[cpu.count / 2])) best \(String(format: "%.2f", cpu[0])) ms\n".data(using: .utf8)!) }
  fflush(nil)  // every stream: `stdout` is a C global that Swift 6 will not read
}
profileModel?()
