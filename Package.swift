// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "tidemark",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tidemark", targets: ["tidemark"]),
        .executable(name: "tidemark-fuzz", targets: ["TidemarkFuzz"]),
        .library(name: "TidemarkClient", targets: ["TidemarkClient"]),
        .library(name: "TidemarkServer", targets: ["TidemarkServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(
            name: "LMDB",
            dependencies: ["CLMDB"],
            swiftSettings: swiftSettings
        ),
        // The write-ahead journal (issue 14): framed, checksummed records in preallocated
        // segments, and the recovery scan that finds the torn tail. Not wired in yet.
        .target(name: "TidemarkJournal", swiftSettings: swiftSettings),
        .target(
            name: "TidemarkStore",
            dependencies: ["LMDB", "TidemarkJournal"],
            swiftSettings: swiftSettings
        ),
        // Same-host readers: `stamp` and `check` answered from the server's data file in place.
        .target(
            name: "TidemarkLocalReader",
            dependencies: ["TidemarkStore", "LMDB"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TidemarkProtocol",
            dependencies: [
                "TidemarkStore",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TidemarkServer",
            dependencies: [
                "TidemarkStore",
                "TidemarkProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TidemarkClient",
            dependencies: [
                "TidemarkProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TidemarkConformance",
            dependencies: [
                "TidemarkClient",
                "TidemarkProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // `tidemark capture postgres`: PostgreSQL's logical replication stream (pgoutput)
        // into Tidemark writes, with its own minimal client of the replication protocol.
        .target(
            name: "TidemarkCapture",
            dependencies: [
                "TidemarkClient",
                "TidemarkProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // A client of etcd's v3 API through its JSON gateway (KV, Txn, leases, watch,
        // cluster status), with failover across the members: the seam the etcd backend
        // (issue 13) stands on.
        .target(
            name: "TidemarkEtcd",
            dependencies: [
                "TidemarkStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The load generator behind `tidemark bench`: raw NDJSON connections, no client library.
        .target(
            name: "TidemarkBench",
            dependencies: [
                "TidemarkProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tidemark",
            dependencies: [
                "TidemarkServer",
                "TidemarkClient",
                "TidemarkConformance",
                "TidemarkBench",
                "TidemarkCapture",
                "TidemarkLocalReader",
                "TidemarkEtcd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // libFuzzer target over framing, decoding and dispatch. A plain debug build replays
        // inputs; `make fuzz` builds it with -sanitize=fuzzer (see the Makefile).
        .executableTarget(
            name: "TidemarkFuzz",
            dependencies: [
                "TidemarkServer",
                "TidemarkProtocol",
                "TidemarkStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Helpers shared by the test targets: an in-process server on a temporary socket,
        // temporary directories, a seeded random generator.
        .target(
            name: "TidemarkTestSupport",
            dependencies: ["TidemarkServer", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TidemarkTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TidemarkBenchTests", dependencies: ["TidemarkBench", "TidemarkTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TidemarkCaptureTests",
            dependencies: ["TidemarkCapture", "TidemarkClient", "TidemarkTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TidemarkEtcdTests",
            dependencies: [
                "TidemarkEtcd", "TidemarkClient", "TidemarkTestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "LMDBTests", dependencies: ["LMDB"], swiftSettings: swiftSettings),
        .testTarget(name: "TidemarkJournalTests", dependencies: ["TidemarkJournal"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TidemarkStoreTests", dependencies: ["TidemarkStore", "TidemarkTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TidemarkProtocolTests", dependencies: ["TidemarkProtocol", "TidemarkTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "TidemarkServerTests",
            dependencies: [
                "TidemarkServer", "TidemarkClient", "TidemarkTestSupport", "TidemarkLocalReader", "LMDB", "TidemarkJournal",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TidemarkClientTests", dependencies: ["TidemarkClient", "TidemarkServer", "TidemarkTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "TidemarkConformanceTests",
            dependencies: ["TidemarkConformance", "TidemarkServer", "TidemarkClient", "TidemarkTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
