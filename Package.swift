// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Serin",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "serin", targets: ["serin"]),
        .executable(name: "serin-bench", targets: ["serin-bench"]),
        .library(name: "SerinSpec", targets: ["SerinSpec"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        .target(
            name: "SerinSpec",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        .target(name: "SerinTesting"),
        .executableTarget(
            name: "serin",
            dependencies: [
                "SerinSpec",
                "CLibGit2",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "serin-bench",
            dependencies: [
                "SerinSpec",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "SerinSpecTests",
            dependencies: ["SerinSpec", "SerinTesting"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "SerinCLITests",
            dependencies: ["serin", "SerinTesting"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
