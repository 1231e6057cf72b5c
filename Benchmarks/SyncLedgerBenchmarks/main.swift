import Glibc

/// A benchmark that can be run by name.
struct BenchmarkCase: Sendable {
    /// The name that selects it on the command line.
    let name: String
    /// One line saying what it measures.
    let summary: String
    /// Runs it and prints its report.
    let run: @Sendable () async throws -> Void
}

/// Every case, in the order they run when none is named.
let benchmarkCases = [
    BenchmarkCase(name: AppendCase.name, summary: AppendCase.summary, run: AppendCase.run),
    BenchmarkCase(name: ReplayCase.name, summary: ReplayCase.summary, run: ReplayCase.run),
    BenchmarkCase(name: SandboxCase.name, summary: SandboxCase.summary, run: SandboxCase.run),
    BenchmarkCase(
        name: ConnectorCase.name, summary: ConnectorCase.summary, run: ConnectorCase.run),
    BenchmarkCase(name: ConvertCase.name, summary: ConvertCase.summary, run: ConvertCase.run),
    BenchmarkCase(name: SyncCase.name, summary: SyncCase.summary, run: SyncCase.run),
    BenchmarkCase(name: PolicyCase.name, summary: PolicyCase.summary, run: PolicyCase.run),
]

/// The usage text, listing the cases.
func usage() -> String {
    var text = "usage: syncledger-bench [<case>]\n\nRuns every case, or the one named.\n\ncases:\n"
    for benchmark in benchmarkCases {
        text += "  \(benchmark.name)  \(benchmark.summary)\n"
    }
    text += "\nSYNCLEDGER_BENCH_EVENTS sets the bulk event count (default 1000000),\n"
    text += "SYNCLEDGER_BENCH_DURABLE_EVENTS the durable single-event count (default 2000),\n"
    text += "SYNCLEDGER_BENCH_DOCUMENTS the convert case's description count (default 10000),\n"
    text += "SYNCLEDGER_BENCH_SYNC_RECORDS the sync case's ticket and change count (default\n"
    text += "10000), SYNCLEDGER_BENCH_SYNC_WINDOW its rate-limit window in seconds, and\n"
    text += "SYNCLEDGER_BENCH_DECISIONS the policy case's decision count (default 1000000).\n"
    return text
}

let arguments = CommandLine.arguments.dropFirst()
let selected: [BenchmarkCase]
switch arguments.first {
case nil:
    selected = benchmarkCases
case "-h", "--help":
    print(usage(), terminator: "")
    exit(0)
case _ where arguments.count > 1:
    printError("syncledger-bench: expected at most one case name\n\n" + usage())
    exit(64)
case let name?:
    guard let found = benchmarkCases.first(where: { $0.name == name }) else {
        printError("syncledger-bench: unknown case \"\(name)\"\n\n" + usage())
        exit(64)
    }
    selected = [found]
}

for benchmark in selected {
    do {
        try await benchmark.run()
    } catch {
        printError("syncledger-bench: \(benchmark.name) failed: \(error)\n")
        exit(1)
    }
}
