// swift-tools-version:6.0
import PackageDescription

let optimize: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
  name: "convolve",
  products: [
    .executable(name: "convolve", targets: ["convolve"]),
    .library(name: "ConvolveCore", targets: ["ConvolveCore"]),
    .library(name: "ConvolveFormats", targets: ["ConvolveFormats"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
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
    // Files: PNG/JPEG images, .npy, kernel and pipeline files, rendering for viewing.
    .target(name: "ConvolveFormats", dependencies: ["ConvolveCore", "CCodecs"], swiftSettings: optimize),
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
    .testTarget(name: "ConvolveFormatsTests", dependencies: ["ConvolveFormats"], exclude: ["Fixtures"]),
    .testTarget(name: "CLITests", dependencies: ["ConvolveCore", "ConvolveFormats"]),
  ],
  swiftLanguageModes: [.v5]
)
