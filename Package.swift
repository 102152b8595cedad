// swift-tools-version:6.0
import PackageDescription

// -Ounchecked (no overflow or bounds traps) only for the modules whose hot loops it speeds up; parsers of
// untrusted files keep their checks.
let hotLoops: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

// Targets from the bottom up; each imports only targets above it in this list.
let package = Package(
  name: "convolve",
  products: [
    .executable(name: "convolve", targets: ["convolve"]),
    .library(name: "ConvolveCore", targets: ["ConvolveCore"]),
    .library(name: "ConvolveCNN", targets: ["ConvolveCNN"]),
    .library(name: "ConvolveFormats", targets: ["ConvolveFormats"]),
    .library(name: "ConvolveRender", targets: ["ConvolveRender"]),
    .library(name: "ConvolveLecture", targets: ["ConvolveLecture"]),
    .library(name: "ConvolveBatch", targets: ["ConvolveBatch"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.6.0"),  // 1.6: custom completions get the word
    .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
  ],
  targets: [
    // libpng / libjpeg-turbo behind setjmp-based error handlers: no longjmp crosses a Swift frame.
    .target(
      name: "CCodecs",
      cSettings: [.unsafeFlags(["-O2"])],
      linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg"), .linkedLibrary("z")]
    ),
    // Convolution kernels in C for AVX-512, AVX2+FMA and portable code, the level chosen at start-up from the CPU.
    // No FMA contraction beyond the explicit intrinsics, so fused activations round as the Swift ones do. Also
    // the SGEMM entry (`blas.c`): OpenBLAS opened on first use, not linked.
    .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])]),
    // The tensor and 2-D filtering: kernels, borders, the convolution plans, named filters, value mapping. No I/O.
    .target(name: "ConvolveCore", dependencies: ["CKernels"], swiftSettings: hotLoops),
    // CNN layers (conv, activation, pooling, transposed conv, resize), the graph IR, shape inference, load-time
    // folding, the executor and one file per ONNX operator; the only module that multiplies through BLAS.
    .target(name: "ConvolveCNN", dependencies: ["ConvolveCore", "CKernels"], swiftSettings: hotLoops),
    // Files: PNG/JPEG, .npy, filter and pipeline files, ONNX models (swift-protobuf), atomic writes.
    .target(
      name: "ConvolveFormats",
      dependencies: ["ConvolveCore", "ConvolveCNN", "CCodecs", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
    ),
    // Pictures for people: colormaps, montages, overlays, the HTML report.
    .target(name: "ConvolveRender", dependencies: ["ConvolveCore", "ConvolveCNN", "ConvolveFormats"]),
    // The lecture's teaching tools: `explain` (worked convolutions, Toeplitz) and `shape` (layer sizes).
    .target(name: "ConvolveLecture", dependencies: ["ConvolveCore", "ConvolveCNN"]),
    // Folders of photos: scan, shard, output names, workers, progress, signals, the JSON report.
    .target(name: "ConvolveBatch", dependencies: ["ConvolveCore", "ConvolveFormats"]),
    // The command-line tool: one file per command.
    .executableTarget(
      name: "convolve",
      dependencies: [
        "ConvolveCore", "ConvolveCNN", "ConvolveFormats", "ConvolveRender", "ConvolveLecture", "ConvolveBatch",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    // In-process timings for Benchmarks/run.sh; not a product.
    .executableTarget(
      name: "ConvolveBench", dependencies: ["ConvolveCore", "ConvolveCNN", "ConvolveFormats", "ConvolveTestSupport"],
      path: "Benchmarks/ConvolveBench", swiftSettings: hotLoops
    ),
    // Shared by every test target and the bench: random numbers, approximate equality, fixtures, temp folders.
    .target(
      name: "ConvolveTestSupport", dependencies: ["ConvolveCore", "ConvolveCNN", "ConvolveFormats"],
      path: "Tests/ConvolveTestSupport"),
    .testTarget(name: "ConvolveCoreTests", dependencies: ["ConvolveCore", "CKernels", "ConvolveTestSupport"]),
    .testTarget(name: "ConvolveCNNTests", dependencies: ["ConvolveCNN", "CKernels", "ConvolveTestSupport"]),
    .testTarget(
      name: "ConvolveFormatsTests",
      dependencies: ["ConvolveFormats", "ConvolveTestSupport", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
    ),
    .testTarget(name: "ConvolveRenderTests", dependencies: ["ConvolveRender", "ConvolveTestSupport"]),
    .testTarget(name: "ConvolveLectureTests", dependencies: ["ConvolveLecture", "ConvolveTestSupport"]),
    .testTarget(name: "ConvolveBatchTests", dependencies: ["ConvolveBatch", "ConvolveTestSupport"]),
    .testTarget(name: "CLITests", dependencies: ["ConvolveCore", "ConvolveFormats", "ConvolveTestSupport"]),
  ],
  swiftLanguageModes: [.v5]
)
