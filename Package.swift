// swift-tools-version:6.2
import Foundation
import PackageDescription

// Release builds of the numeric modules drop integer-overflow checks in hot kernels and,
// on x86-64, target Haswell-class CPUs (AVX2 + FMA, every x86 server since 2013-2015) so
// that SIMD kernels use 256-bit registers. Set BEHAVIORKIT_TARGET_CPU to override
// (`x86-64` for any 64-bit x86 CPU, `native` is not accepted by swiftc).
#if arch(x86_64)
    let targetCPU = ProcessInfo.processInfo.environment["BEHAVIORKIT_TARGET_CPU"] ?? "haswell"
    let cpuFlags = ["-target-cpu", targetCPU]
#else
    let cpuFlags: [String] = []
#endif

let fastMath: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"] + cpuFlags, .when(configuration: .release)),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "BehaviorKit",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Randomness", targets: ["Randomness"]),
        .library(name: "TensorEngine", targets: ["TensorEngine"]),
        .library(name: "FileIO", targets: ["FileIO"]),
        .library(name: "Settings", targets: ["Settings"]),
        .library(name: "NeuralNet", targets: ["NeuralNet"]),
        .library(name: "EventData", targets: ["EventData"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Recommenders", targets: ["Recommenders"]),
        .library(name: "Classifiers", targets: ["Classifiers"]),
        .library(name: "Clustering", targets: ["Clustering"]),
        .library(name: "Embeddings", targets: ["Embeddings"]),
        .library(name: "Anomalies", targets: ["Anomalies"]),
        .library(name: "Segments", targets: ["Segments"]),
        .library(name: "Forecasting", targets: ["Forecasting"]),
        .library(name: "NeuralForecasting", targets: ["NeuralForecasting"]),
        .library(name: "PostgresStore", targets: ["PostgresStore"]),
        .library(name: "Serving", targets: ["Serving"]),
        .library(name: "Monitoring", targets: ["Monitoring"]),
        .library(name: "PrivacyAccounting", targets: ["PrivacyAccounting"]),
        .library(name: "Pseudonyms", targets: ["Pseudonyms"]),
        .library(name: "Explanations", targets: ["Explanations"]),
        .executable(name: "behave", targets: ["behave"]),
        .executable(name: "behave-bench", targets: ["BehaviorBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // OpenBLAS headers and library, found with pkg-config (Debian: libopenblas-dev).
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // The only module that calls BLAS; Accelerate can stand in here on macOS.
        .target(name: "Linalg", dependencies: ["CBLAS"], swiftSettings: fastMath),
        // Settings errors every library shares: which parameter, what value, what is allowed (named
        // Settings, not Configuration, which swift-configuration takes in the package graph).
        .target(name: "Settings", swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
        // The seeded random generator the engine and the event pipeline share.
        .target(name: "Randomness", swiftSettings: fastMath),
        // Tensors, kernels and reverse-mode autodiff. Knows nothing of layers or events.
        .target(
            name: "TensorEngine", dependencies: ["Linalg", "Randomness"], exclude: ["README.md"],
            swiftSettings: fastMath
        ),
        // The one JSON reader (a strict, fast scanner over bytes) and the JSON string writer.
        // Standard library only; NeuralNet (safetensors headers) and EventData (JSON Lines) build on it.
        .target(name: "JSONScanning", exclude: ["README.md"], swiftSettings: fastMath),
        // Writing output files safely (temporary name, then rename) and file errors in plain words.
        .target(name: "FileIO", swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
        // The SHA-256 compression function on the x86 SHA instructions (a C function with a
        // target attribute, so no compiler flags), for Pseudonyms' hot path.
        .target(name: "CSHA256"),
        // Keyed pseudonyms (HMAC-SHA256) for user ids, and the rotating key files they come from.
        .target(
            name: "Pseudonyms",
            dependencies: ["FileIO", "CSHA256", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
        // Attributions of a model's score to its inputs (integrated gradients); engine only.
        .target(name: "Explanations", dependencies: ["TensorEngine"], swiftSettings: fastMath),
        // Layers, losses, optimizers, schedules and checkpoints on top of the engine.
        .target(
            name: "NeuralNet",
            dependencies: [
                "TensorEngine", "FileIO", "JSONScanning", "PrivacyAccounting", "Settings",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["README.md"], swiftSettings: fastMath),
        // zlib headers and library (Debian: zlib1g-dev), for gzip-compressed logs.
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // Event logs in, clean events, features, splits and labels out. Knows nothing of tensors or HTTP.
        .target(
            name: "EventData",
            dependencies: [
                "Randomness", "CZlib", "FileIO", "Settings", "JSONScanning", "Monitoring", "Pseudonyms",
                "PrivacyAccounting", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: fastMath
        ),
        // The event store on PostgreSQL (postgres-nio): the same EventStore as the embedded SQLite
        // one, for stores several servers share. Bulk ingest through COPY.
        .target(
            name: "PostgresStore",
            dependencies: [
                "EventData", "JSONScanning",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"], swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
        // Tensor batches of event data for training: padded sequences, negatives, table rows.
        .target(name: "Datasets", dependencies: ["EventData", "TensorEngine", "Randomness"], swiftSettings: fastMath),
        // Metrics for task models: ranking (HR, NDCG, MRR) and binary classification reports.
        .target(
            name: "Evaluation", dependencies: ["Randomness"],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
        // Clustering of numeric rows: k-means (full and mini-batch), diagonal Gaussian mixtures,
        // silhouette scores and choosing the number of clusters.
        .target(
            name: "Clustering", dependencies: ["Linalg", "Randomness", "Settings"], exclude: ["README.md"],
            swiftSettings: fastMath),
        // Next-item recommenders (popularity, GRU4Rec, SASRec): training, scoring, model packages.
        .target(
            name: "Recommenders",
            dependencies: [
                "NeuralNet", "TensorEngine", "Randomness", "EventData", "Datasets", "Evaluation", "FileIO",
                "Settings", "Monitoring", "Explanations", "PrivacyAccounting", .product(name: "Yams", package: "Yams"),
            ],
            exclude: ["README.md"],
            swiftSettings: fastMath
        ),
        // Binary classifiers (MLP, logistic regression) for tables and user outcomes.
        .target(
            name: "Classifiers",
            dependencies: [
                "NeuralNet", "TensorEngine", "Randomness", "EventData", "Datasets", "Evaluation", "FileIO",
                "Settings", "Monitoring", "Explanations", "PrivacyAccounting",
            ],
            exclude: ["README.md"],
            swiftSettings: fastMath
        ),
        // Dense autoencoders and VAEs over tables of numbers: codes, reconstruction errors, anomaly
        // scores; user embedding models (features scaled as EventData's TableEncoder does).
        .target(
            name: "Embeddings",
            dependencies: [
                "NeuralNet", "TensorEngine", "Randomness", "Settings", "EventData", "Datasets", "FileIO",
                "PrivacyAccounting",
            ],
            exclude: ["README.md"],
            swiftSettings: fastMath
        ),
        // Anomaly detection on tables: isolation forest, autoencoder scores, thresholds and reasons.
        .target(
            name: "Anomalies",
            dependencies: ["Embeddings", "NeuralNet", "EventData", "Randomness", "Settings", "FileIO"],
            exclude: ["README.md"],
            swiftSettings: fastMath
        ),
        // User segments: RFM, clusters of features or embeddings, and portraits of each segment.
        .target(
            name: "Segments",
            dependencies: [
                "EventData", "Embeddings", "Clustering", "Evaluation", "NeuralNet", "Randomness", "Settings",
                "FileIO",
            ],
            exclude: ["README.md"],
            swiftSettings: fastMath
        ),
        // Forecasting of regular activity series: series and CSV reading, baselines and exponential
        // smoothing, ARIMA / SARIMA by exact maximum likelihood with unit-root and seasonality tests
        // and automatic order selection, prediction intervals, rolling-origin backtests. Knows
        // nothing of events or tensors.
        .target(
            name: "Forecasting", dependencies: ["Settings", "Randomness"],
            exclude: ["README.md", "ARIMA/README.md"],
            swiftSettings: fastMath),
        // Deep forecasters (an LSTM and a perceptron over lags with quantile outputs, one series
        // or a global model over many) that plug into Forecasting's backtests.
        .target(
            name: "NeuralForecasting",
            dependencies: ["Forecasting", "NeuralNet", "TensorEngine", "Randomness", "Settings"],
            exclude: ["README.md"], swiftSettings: fastMath),
        // What serving models needs that is not HTTP: the registry of versioned model bundles
        // (which version is live, promotion and rollback) and API keys with scopes. Reads bundles
        // only through the files every model directory has, so it knows no model kind.
        .target(
            name: "Serving", dependencies: ["FileIO", .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["README.md"], swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
        // Training profiles kept in model bundles and drift statistics against them (PSI,
        // Jensen-Shannon, Wasserstein); plain numbers and strings, no model or event types.
        .target(
            name: "Monitoring", dependencies: ["FileIO", "Settings"], exclude: ["README.md"],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
        // Differential-privacy accounting for DP-SGD: an RDP accountant matching Google's
        // dp_accounting (Poisson-subsampled Gaussian), noise calibration to a budget, and privacy
        // statements. Foundation only.
        .target(
            name: "PrivacyAccounting", exclude: ["README.md"],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
        // The HTTP scoring server (`behave serve`): the live model of every registry entry behind
        // JSON endpoints, API keys, hot reload, bounded concurrency, Prometheus metrics.
        .target(
            name: "ScoringServer",
            dependencies: [
                "Serving", "Recommenders", "Classifiers", "EventData", "Settings", "JSONScanning", "Monitoring",
                "Explanations",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            exclude: ["README.md"], swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
        .executableTarget(
            name: "behave",
            dependencies: [
                "NeuralNet", "TensorEngine", "Randomness", "Linalg", "EventData", "Evaluation", "Recommenders",
                "Classifiers", "Embeddings", "Anomalies", "Segments", "Forecasting", "NeuralForecasting", "Serving",
                "ScoringServer", "PostgresStore", "Monitoring", "Pseudonyms", "Explanations", "PrivacyAccounting",
                "Settings",
                "FileIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "BehaviorBench",
            dependencies: [
                "NeuralNet", "TensorEngine", "Randomness", "Linalg", "EventData", "Datasets", "Evaluation",
                "Recommenders", "Classifiers", "Anomalies", "Clustering", "Embeddings", "Forecasting",
                "NeuralForecasting", "Monitoring", "Pseudonyms", "Explanations",
            ],
            path: "benchmarks/Swift",
            swiftSettings: fastMath
        ),
        // Shared test helpers: tolerance comparisons and finite-difference gradient checks.
        .target(name: "TestSupport", dependencies: ["TensorEngine", "Randomness"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorEngineTests", dependencies: ["TensorEngine", "TestSupport"]),
        .testTarget(
            name: "BehaveTests",
            dependencies: [
                "behave", "TensorEngine", "EventData", "Serving", "TestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation"]),
        .testTarget(name: "ServingTests", dependencies: ["Serving", "FileIO"]),
        .testTarget(name: "MonitoringTests", dependencies: ["Monitoring", "Randomness"]),
        .testTarget(
            name: "PrivacyAccountingTests", dependencies: ["PrivacyAccounting"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "ScoringServerTests",
            dependencies: [
                "ScoringServer", "Serving", "Recommenders", "Classifiers", "EventData", "PostgresStore", "Randomness",
                "TestSupport", .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        .testTarget(name: "ClusteringTests", dependencies: ["Clustering", "Randomness"]),
        .testTarget(
            name: "ClassifiersTests",
            dependencies: [
                "Classifiers", "Datasets", "EventData", "Evaluation", "NeuralNet", "TensorEngine", "Randomness",
                "Monitoring", "Explanations",
            ]),
        .testTarget(name: "FileIOTests", dependencies: ["FileIO"]),
        .testTarget(name: "PseudonymsTests", dependencies: ["Pseudonyms", "FileIO"]),
        .testTarget(name: "ExplanationsTests", dependencies: ["Explanations", "TensorEngine", "Randomness"]),
        .testTarget(
            name: "ForecastingTests", dependencies: ["Forecasting", "Settings", "Randomness"],
            exclude: ["Fixtures/make_fixtures.py"], resources: [.copy("Fixtures/arima_fixtures.json")]),
        .testTarget(
            name: "NeuralForecastingTests",
            dependencies: [
                "NeuralForecasting", "Forecasting", "NeuralNet", "TensorEngine", "Settings", "Randomness",
            ]),
        .testTarget(
            name: "EmbeddingsTests",
            dependencies: [
                "Embeddings", "Datasets", "EventData", "Settings", "NeuralNet", "TensorEngine", "Randomness",
                "TestSupport",
            ]),
        .testTarget(name: "AnomaliesTests", dependencies: ["Anomalies", "Embeddings", "EventData", "Randomness"]),
        .testTarget(name: "SegmentsTests", dependencies: ["Segments", "EventData", "Randomness"]),
        .testTarget(name: "JSONScanningTests", dependencies: ["JSONScanning", "Randomness", "TestSupport"]),
        .testTarget(
            name: "RecommendersTests",
            dependencies: [
                "Recommenders", "EventData", "Datasets", "Evaluation", "NeuralNet", "TensorEngine", "Randomness",
                "Monitoring",
            ]
        ),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "EventData", "TensorEngine"]),
        .testTarget(
            name: "EventDataTests",
            dependencies: [
                "EventData", "PostgresStore", "Randomness", "CZlib", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "NeuralNetTests",
            dependencies: ["NeuralNet", "TensorEngine", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
