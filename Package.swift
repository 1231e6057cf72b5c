// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "SyncLedger",
    products: [
        .library(name: "Ledger", targets: ["Ledger"]),
        .library(name: "LMDB", targets: ["LMDB"]),
        .executable(name: "syncledger", targets: ["syncledger"]),
        .executable(name: "syncledger-bench", targets: ["SyncLedgerBenchmarks"]),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(name: "LMDB", dependencies: ["CLMDB"]),
        .target(name: "Ledger", dependencies: ["LMDB"]),
        .executableTarget(name: "syncledger", dependencies: ["Ledger"]),
        .executableTarget(
            name: "SyncLedgerBenchmarks",
            dependencies: ["Ledger", "LMDB", "CLMDB"],
            path: "Benchmarks/SyncLedgerBenchmarks"
        ),
        .testTarget(name: "LMDBTests", dependencies: ["LMDB", "CLMDB"]),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "LMDB"]),
        .testTarget(name: "CLITests", dependencies: ["syncledger", "Ledger"]),
    ],
    swiftLanguageModes: [.v6]
)
