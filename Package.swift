// swift-tools-version:6.0
import PackageDescription

/// A C client library reached through pkg-config, with the Debian package that provides it.
func systemLibrary(_ name: String, broker: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(
        name: name,
        path: "Adapters/\(broker)/\(name)",
        pkgConfig: pkgConfig,
        providers: [.apt([apt])]
    )
}

/// A broker adapter: Swift over the broker's C shims, beside them under Adapters/<Broker>/.
func adapter(_ name: String, broker: String, shim: String, also: [String] = []) -> Target {
    .target(
        name: name,
        dependencies: [
            "Ferry",
            .target(name: shim),
            .product(name: "Logging", package: "swift-log"),
        ] + also.map { .target(name: $0) },
        path: "Adapters/\(broker)/\(name)"
    )
}

let package = Package(
    name: "Ferry",
    products: [
        .library(name: "Ferry", targets: ["Ferry"]),
        .library(name: "FerryKafka", targets: ["FerryKafka"]),
        .library(name: "FerryRabbitMQ", targets: ["FerryRabbitMQ"]),
        .library(name: "FerryRedis", targets: ["FerryRedis"]),
        .library(name: "FerrySQLite", targets: ["FerrySQLite"]),
        .library(name: "FerryPostgres", targets: ["FerryPostgres"]),
        .library(name: "FerryRelay", targets: ["FerryRelay"]),
        .library(name: "FerryConformance", targets: ["FerryConformance"]),
        .executable(name: "ferry", targets: ["FerryCLI"]),
        .executable(name: "ferry-bench", targets: ["FerryBenchmarks"]),
        .executable(name: "ferry-fuzz", targets: ["FerryFuzz"]),
        .executable(name: "example-order-saga", targets: ["OrderSaga"]),
        .executable(name: "example-cqrs", targets: ["CQRS"]),
        .executable(name: "example-notification-vs-state-transfer", targets: ["NotificationVsStateTransfer"]),
        .executable(name: "example-inbox", targets: ["Inbox"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
        // Already under postgres-nio; named for the types FerryPostgres uses directly.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.25.0"),
    ],
    targets: [
        .target(
            name: "Ferry",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "FerrySQLite",
            dependencies: ["Ferry", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "FerryPostgres",
            dependencies: [
                "Ferry", .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "FerryRelay",
            dependencies: [
                "Ferry", .product(name: "Yams", package: "Yams"), .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "FerryConformance",
            dependencies: ["Ferry", "FerryRelay", .product(name: "Logging", package: "swift-log")]
        ),

        systemLibrary("CRDKafka", broker: "Kafka", pkgConfig: "rdkafka", apt: "librdkafka-dev"),
        adapter("FerryKafka", broker: "Kafka", shim: "CRDKafka"),
        systemLibrary("CRabbitMQ", broker: "RabbitMQ", pkgConfig: "librabbitmq", apt: "librabbitmq-dev"),
        systemLibrary("COpenSSL", broker: "RabbitMQ", pkgConfig: "openssl", apt: "libssl-dev"),
        adapter("FerryRabbitMQ", broker: "RabbitMQ", shim: "CRabbitMQ", also: ["COpenSSL"]),
        systemLibrary("CHiredis", broker: "Redis", pkgConfig: "hiredis", apt: "libhiredis-dev"),
        adapter("FerryRedis", broker: "Redis", shim: "CHiredis"),

        .executableTarget(
            name: "FerryCLI",
            dependencies: [
                "Ferry", "FerryKafka", "FerryRabbitMQ", "FerryRedis", "FerrySQLite", "FerryPostgres", "FerryRelay", "CGlibcMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        .systemLibrary(name: "CGlibcMalloc"),

        // The seed's patterns as programs that run against the local brokers: scripts/example.
        .executableTarget(
            name: "OrderSaga",
            dependencies: [
                "Ferry", "FerryKafka", "FerryRabbitMQ", "FerryRedis", "FerrySQLite", .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/OrderSaga"
        ),
        .executableTarget(
            name: "CQRS",
            dependencies: [
                "Ferry", "FerryKafka", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/CQRS"
        ),
        .executableTarget(
            name: "NotificationVsStateTransfer",
            dependencies: ["Ferry", "FerryRabbitMQ", "FerryRedis", .product(name: "Logging", package: "swift-log")],
            path: "Examples/NotificationVsStateTransfer"
        ),
        .executableTarget(
            name: "Inbox",
            dependencies: [
                "Ferry", "FerryKafka", "FerryRabbitMQ", "FerryRedis", "FerryPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/Inbox"
        ),

        // Ferry against the raw C clients and Python peers: scripts/bench (release build).
        .executableTarget(
            name: "FerryBenchmarks",
            dependencies: [
                "Ferry", "FerryKafka", "FerryRabbitMQ", "FerryRedis", "FerrySQLite", "FerryPostgres", "FerryConformance", "CRDKafka",
                "CRabbitMQ", "CHiredis", "CMallocCounter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/FerryBenchmarks"
        ),
        .target(name: "CMallocCounter", path: "Benchmarks/CMallocCounter"),

        // libFuzzer targets for every decoder: scripts/fuzz builds them with -sanitize=fuzzer (FUZZING.md).
        .executableTarget(
            name: "FerryFuzz",
            dependencies: [
                "Ferry", "FerryKafka", "FerryRabbitMQ", "FerryRedis", "FerryRelay", "FerryConformance", "CRabbitMQ", "CLibFuzzer",
            ],
            path: "Fuzz/FerryFuzz"
        ),
        .systemLibrary(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),

        .testTarget(
            name: "FerryTests",
            dependencies: [
                "Ferry", "FerryConformance", .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "FerrySQLiteTests",
            dependencies: [
                "FerrySQLite", "FerryConformance", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "FerryPostgresTests",
            dependencies: [
                "FerryPostgres", "FerryConformance", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "FerryRelayTests", dependencies: ["FerryRelay", "FerryConformance"]),
        .testTarget(name: "FerryKafkaTests", dependencies: ["FerryKafka", "FerryConformance"]),
        .testTarget(name: "FerryRabbitMQTests", dependencies: ["FerryRabbitMQ", "FerryConformance"]),
        .testTarget(name: "FerryRedisTests", dependencies: ["FerryRedis", "FerryConformance"]),
        .testTarget(
            name: "FerryCLITests",
            dependencies: [
                "Ferry", "FerryCLI", "OrderSaga", "CQRS", "NotificationVsStateTransfer", "Inbox", "FerryKafka", "FerryRabbitMQ",
                "FerryRedis", "FerryPostgres", "FerryConformance", .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
