// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "SyncLedger",
    products: [
        .library(name: "Ledger", targets: ["Ledger"]),
        .library(name: "LMDB", targets: ["LMDB"]),
        .library(name: "Reconcile", targets: ["Reconcile"]),
        .library(name: "HTTPServer", targets: ["HTTPServer"]),
        .library(name: "Sandbox", targets: ["Sandbox"]),
        .library(name: "YAML", targets: ["YAML"]),
        .library(name: "Mapping", targets: ["Mapping"]),
        .library(name: "Connectors", targets: ["Connectors"]),
        .library(name: "ADF", targets: ["ADF"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "Agents", targets: ["Agents"]),
        .executable(name: "syncledger", targets: ["syncledger"]),
        .executable(name: "syncledger-bench", targets: ["SyncLedgerBenchmarks"]),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CMicroHTTPD",
            pkgConfig: "libmicrohttpd",
            providers: [.apt(["libmicrohttpd-dev"])]
        ),
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .target(name: "LMDB", dependencies: ["CLMDB"]),
        .target(name: "YAML", dependencies: ["CYAML", "Ledger"]),
        .target(name: "Mapping", dependencies: ["YAML", "Ledger", "Reconcile", "ADF"]),
        .target(name: "Connectors", dependencies: ["Ledger", "CCrypto", "HTTPServer"]),
        .target(name: "HTTPServer", dependencies: ["CMicroHTTPD"]),
        .target(name: "Sandbox", dependencies: ["HTTPServer", "Ledger"]),
        .target(name: "Ledger", dependencies: ["LMDB", "CCrypto"]),
        .target(name: "Reconcile", dependencies: ["Ledger", "ADF"]),
        .target(name: "ADF", dependencies: ["Ledger"]),
        .target(
            name: "Engine",
            dependencies: ["Ledger", "Reconcile", "Mapping", "Connectors", "HTTPServer"]),
        .target(
            name: "Agents",
            dependencies: ["Ledger", "Reconcile", "Mapping", "YAML", "Engine", "HTTPServer"]),
        .executableTarget(
            name: "syncledger",
            dependencies: [
                "Ledger", "Reconcile", "HTTPServer", "Sandbox", "Connectors", "Mapping", "ADF",
                "Engine", "Agents",
            ]),
        .executableTarget(
            name: "SyncLedgerBenchmarks",
            dependencies: [
                "Ledger", "LMDB", "CLMDB", "Reconcile", "HTTPServer", "Sandbox", "Connectors",
                "ADF", "Engine", "Mapping", "Agents",
            ],
            path: "Benchmarks/SyncLedgerBenchmarks"
        ),
        .testTarget(name: "LMDBTests", dependencies: ["LMDB", "CLMDB"]),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "LMDB"]),
        .testTarget(name: "ReconcileTests", dependencies: ["Reconcile", "Ledger"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer"]),
        .testTarget(
            name: "SandboxTests", dependencies: ["Sandbox", "HTTPServer", "Ledger", "YAML"]),
        .testTarget(name: "YAMLTests", dependencies: ["YAML", "Ledger"]),
        .testTarget(name: "MappingTests", dependencies: ["Mapping", "Reconcile", "Ledger"]),
        .testTarget(name: "ADFTests", dependencies: ["ADF", "Ledger"]),
        .testTarget(
            name: "ConnectorsTests",
            dependencies: ["Connectors", "Sandbox", "HTTPServer", "Ledger", "Reconcile"]),
        .testTarget(
            name: "EngineTests",
            dependencies: [
                "Engine", "Connectors", "Sandbox", "HTTPServer", "Ledger", "Reconcile", "Mapping",
            ]),
        .testTarget(
            name: "AgentsTests", dependencies: ["Agents", "Reconcile", "Ledger", "Mapping"]),
        .testTarget(name: "CLITests", dependencies: ["syncledger", "Ledger"]),
    ],
    swiftLanguageModes: [.v6]
)
