// swift-tools-version:6.0
import PackageDescription

let optimize: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
  name: "convolve",
  products: [
    .executable(name: "convolve", targets: ["convolve"]),
    .library(name: "ConvolveCore", targets: ["ConvolveCore"]),
    .library(name: "ConvolveCNN", targets: ["ConvolveCNN"]),
    .library(name: "ConvolveFormats", targets: ["ConvolveFormats"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
  ],
  targets: [
    // libpng / libjpeg-turbo behind setjmp-based error handlers: no longjmp crosses a Swift frame.
    .target(
      name: "CCodecs",
      cSettings: [.unsafeFlags(["-O2"])],
      linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg"), .linkedLibrary("z")]
    ),
    // OpenBLAS's CBLAS interface, for the im2col + SGEMM convolution layer.
    .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    // The tensor and its operations: convolution, borders, pooling, layers. No I/O.
    .target(name: "ConvolveCore", dependencies: ["CBLAS"], swiftSettings: optimize),
    // Neural-network graphs: the graph IR, shape inference, load-time optimisation, the executor and one
    // file per operator, all running on ConvolveCore's kernels. No I/O.
    .target(name: "ConvolveCNN", dependencies: ["ConvolveCore", "CBLAS"], path: "Sources/ConvolveCNN", swiftSettings: optimize),
    // Files: PNG/JPEG images, .npy, kernel and pipeline files, ONNX models, rendering for viewing.
    .target(
      name: "ConvolveFormats",
      dependencies: ["ConvolveCore", "ConvolveCNN", "CCodecs", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
      swiftSettings: optimize
    ),
    // The command-line tool.
    .executableTarget(
      name: "convolve",
      dependencies: [
        "ConvolveCore", "ConvolveFormats",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: optimize
    ),
    // In-process timings for Benchmarks/run.sh; not a product.
    .executableTarget(
      name: "ConvolveBench", dependencies: ["ConvolveCore", "ConvolveFormats"], path: "Benchmarks/ConvolveBench",
      swiftSettings: optimize
    ),
    .testTarget(name: "ConvolveCoreTests", dependencies: ["ConvolveCore"], exclude: ["Fixtures"]),
    .testTarget(name: "ConvolveCNNTests", dependencies: ["ConvolveCNN", "ConvolveCore"]),
    .testTarget(
      name: "ConvolveFormatsTests",
      dependencies: ["ConvolveFormats", "ConvolveCNN", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
      exclude: ["Fixtures"]
    ),
    .testTarget(name: "CLITests", dependencies: ["ConvolveCore", "ConvolveFormats"]),
  ],
  swiftLanguageModes: [.v5]
)
