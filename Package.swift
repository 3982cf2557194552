// swift-tools-version:6.0
// axc — an ahead-of-time compiler for small array functions with JAX-style transforms.
import PackageDescription

let package = Package(
    name: "axc",
    products: [
        .executable(name: "axc", targets: ["axc"]),
        .library(name: "AxCore", targets: ["AxCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // libtcc from Debian (libtcc-dev): the only C binding of the compiler.
        .systemLibrary(name: "CTcc", path: "Sources/CTcc"),
        // The optimized runtime the generated kernels call (SIMD tiles, small GEMM, vector math).
        .target(
            name: "AxRuntime",
            path: "Sources/AxRuntime",
            cSettings: [.unsafeFlags(["-O3", "-fno-math-errno", "-ffp-contract=off"])]
        ),
        // The whole compiler as a library: no print(), no exit().
        .target(
            name: "AxCore",
            dependencies: ["CTcc", "AxRuntime"],
            path: "Sources/AxCore"
        ),
        // The command line: argument parsing and printing only.
        .executableTarget(
            name: "axc",
            dependencies: ["AxCore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/axc"
        ),
        .testTarget(
            name: "AxCoreTests",
            dependencies: ["AxCore"],
            path: "Tests/AxCoreTests",
            resources: [.copy("Data")]
        ),
    ],
    swiftLanguageModes: [.v5]
)
