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
    .library(name: "ConvolveONNX", targets: ["ConvolveONNX"]),
    .library(name: "ConvolveRender", targets: ["ConvolveRender"]),
    .library(name: "ConvolveLecture", targets: ["ConvolveLecture"]),
    .library(name: "ConvolveBatch", targets: ["ConvolveBatch"]),
    .library(name: "ConvolveJobs", targets: ["ConvolveJobs"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.6.0"),  // 1.6: custom completions get the word
    .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
  ],
  targets: [
    // libpng / libjpeg-turbo (behind setjmp-based error handlers: no longjmp crosses a Swift frame), libwebp, libtiff,
    // libheif and lcms2, each behind a shim that returns status codes.
    .target(
      name: "CCodecs",
      cSettings: [.unsafeFlags(["-O2"])],
      linkerSettings: [
        .linkedLibrary("png16"), .linkedLibrary("jpeg"), .linkedLibrary("z"), .linkedLibrary("webp"),
        .linkedLibrary("webpmux"), .linkedLibrary("webpdemux"), .linkedLibrary("tiff"),
        .linkedLibrary("heif"), .linkedLibrary("lcms2"),
      ]
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
    // Files of pixels and numbers: PNG/JPEG, .npy arrays, filter files and the filter library, atomic writes.
    .target(name: "ConvolveFormats", dependencies: ["ConvolveCore", "CCodecs"]),
    // ONNX model files (swift-protobuf, generated `onnx.pb.swift`) read into the CNN module's graph.
    .target(
      name: "ConvolveONNX",
      dependencies: ["ConvolveCore", "ConvolveCNN", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
    ),
    // Pictures for people: colormaps, montages, overlays, the HTML report. Draws; runs nothing.
    .target(name: "ConvolveRender", dependencies: ["ConvolveCore", "ConvolveCNN", "ConvolveFormats"]),
    // The lecture's teaching tools: `explain` (worked convolutions, Toeplitz) and `shape` (layer sizes).
    .target(name: "ConvolveLecture", dependencies: ["ConvolveCore", "ConvolveCNN"]),
    // Folders of photos: scan, shard, output names, workers, progress, signals, the JSON report.
    .target(name: "ConvolveBatch", dependencies: ["ConvolveCore", "ConvolveFormats"]),
    // The engine: runs work for every command. Pipeline and weight files into layers, model and pipeline
    // runners, layer probes and top-patch collection, pixel limits; the CLI calls one function of it per command.
    .target(
      name: "ConvolveJobs",
      dependencies: [
        "ConvolveCore", "ConvolveCNN", "ConvolveFormats", "ConvolveONNX", "ConvolveRender", "ConvolveLecture", "ConvolveBatch",
      ]
    ),
    // The command-line tool: one file per command.
    .executableTarget(
      name: "convolve",
      dependencies: [
        "ConvolveCore", "ConvolveCNN", "ConvolveFormats", "ConvolveONNX", "ConvolveRender", "ConvolveLecture",
        "ConvolveBatch", "ConvolveJobs", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    // In-process timings for Benchmarks/run.sh; not a product.
    .executableTarget(
      name: "ConvolveBench",
      dependencies: ["ConvolveCore", "ConvolveCNN", "ConvolveFormats", "ConvolveONNX", "ConvolveTestSupport"],
      path: "Benchmarks/ConvolveBench", swiftSettings: hotLoops
    ),
    // Shared by every test target and the bench: random numbers, approximate equality, fixtures, temp folders.
    .target(
      name: "ConvolveTestSupport", dependencies: ["ConvolveCore", "ConvolveCNN", "ConvolveFormats", "ConvolveJobs"],
      path: "Tests/ConvolveTestSupport"),
    .testTarget(name: "ConvolveCoreTests", dependencies: ["ConvolveCore", "CKernels", "ConvolveTestSupport"]),
    .testTarget(name: "ConvolveCNNTests", dependencies: ["ConvolveCNN", "CKernels", "ConvolveTestSupport"]),
    .testTarget(name: "ConvolveFormatsTests", dependencies: ["ConvolveFormats", "ConvolveTestSupport"]),
    .testTarget(
      name: "ConvolveONNXTests",
      dependencies: ["ConvolveONNX", "ConvolveTestSupport", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
    ),
    .testTarget(name: "ConvolveRenderTests", dependencies: ["ConvolveRender", "ConvolveTestSupport"]),
    .testTarget(name: "ConvolveLectureTests", dependencies: ["ConvolveLecture", "ConvolveTestSupport"]),
    .testTarget(name: "ConvolveBatchTests", dependencies: ["ConvolveBatch", "ConvolveTestSupport"]),
    .testTarget(name: "ConvolveJobsTests", dependencies: ["ConvolveJobs", "ConvolveTestSupport"]),
    .testTarget(name: "CLITests", dependencies: ["ConvolveCore", "ConvolveFormats", "ConvolveJobs", "ConvolveTestSupport"]),
  ],
  swiftLanguageModes: [.v6]
)
