// swift-tools-version:5.4
// Tools version 5.4 on purpose: from 5.5 on, SwiftPM renames an executable's `main` for
// testable executables, which clashes with the `main` that libFuzzer links in.
import PackageDescription

// libFuzzer targets for BehaviorKit's parsers, one executable per parser; not part of the
// main package or of `make test`. Build and run as fuzz/README.md says.

/// Compiled as a library: libFuzzer supplies `main` and calls `LLVMFuzzerTestOneInput`.
let fuzzerSettings: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "BehaviorKitFuzz",
    dependencies: [.package(name: "BehaviorKit", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(
            name: "FuzzEventReaders",
            dependencies: ["FuzzSupport", .product(name: "EventData", package: "BehaviorKit")],
            swiftSettings: fuzzerSettings),
        .executableTarget(
            name: "FuzzTables",
            dependencies: ["FuzzSupport", .product(name: "EventData", package: "BehaviorKit")],
            swiftSettings: fuzzerSettings),
        .executableTarget(
            name: "FuzzTimestamps",
            dependencies: ["FuzzSupport", .product(name: "EventData", package: "BehaviorKit")],
            swiftSettings: fuzzerSettings),
        .executableTarget(
            name: "FuzzSafeTensors",
            dependencies: ["FuzzSupport", .product(name: "NeuralNet", package: "BehaviorKit")],
            swiftSettings: fuzzerSettings),
    ]
)
