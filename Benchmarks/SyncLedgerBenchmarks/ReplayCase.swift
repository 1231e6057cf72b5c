import Ledger
import Reconcile

/// The `replay` case: the sync projection rebuilt from scratch from a realistic sync log, next
/// to a raw LMDB cursor scan of the same log, then provenance queries on the result.
enum ReplayCase {
    /// The name that selects the case on the command line.
    static let name = "replay"

    /// One line saying what the case measures.
    static let summary =
        "sync projection rebuilt from a 2-system log against a raw scan; why-query latency"

    /// The sizes the case runs with.
    struct Settings {
        /// Events in the log (`SYNCLEDGER_BENCH_EVENTS`, default 1,000,000).
        var eventCount: Int
        /// Linked pairs of records: tickets, and as many issues.
        var ticketCount: Int
        /// Provenance queries timed.
        var queryCount = 10_000
        /// The seed every event source starts from.
        var seed: UInt64 = 0x5eed_1ed9_e700_0002

        static func fromEnvironment() throws -> Settings {
            let events = try environmentInteger("SYNCLEDGER_BENCH_EVENTS", default: 1_000_000)
            return Settings(eventCount: events, ticketCount: max(events / 20, 10))
        }
    }

    /// Runs the case and prints its report; the last two lines are the replay comparison and
    /// the query latencies.
    static func run() async throws {
        let settings = try Settings.fromEnvironment()
        let memory = try MemorySampler()
        let directory = try TemporaryDirectory(prefix: "syncledger-bench-replay")
        defer { directory.remove() }
        let ledgerPath = directory.path + "/ledger"
        report(
            "case replay: \(settings.eventCount) events over \(settings.ticketCount * 2) records "
                + "in two linked systems; RssAnon at start \(megabytes(memory.current())) MB")

        let log = try EventLog.open(at: ledgerPath)
        defer { log.close() }
        let generated = try measure { try generate(settings, into: log) }
        report(
            "  log written in \(fixed(generated.duration.seconds, decimals: 1)) s: "
                + "\(generated.result)")
        report("  generation phase peak RssAnon \(megabytes(memory.endPhase())) MB")

        let projection = SyncProjection()
        // As `syncledger replay` rebuilds: into a scratch store, synced once at the end.
        let store = try ProjectionStore(
            at: directory.path + "/projection", identity: projection.identity,
            tableNames: projection.tableNames, scratch: true)
        defer { store.close() }
        let replay = try measure {
            let last = try Projector(
                log: log, store: store, projection: projection, batchSize: 4_096
            ).catchUp()
            try store.sync()
            return last
        }
        let replayPeak = memory.endPhase()
        let replayed = Int(replay.result.rawValue)
        report(
            "  replay: \(fixed(replay.duration.seconds, decimals: 2)) s, store "
                + "\(megabytes(store.fileBytes)) MB, "
                + "digest \(try store.digest())")
        report("  replay phase peak RssAnon \(megabytes(replayPeak)) MB")

        let raw = try measureBest(of: 3) {
            try RawEnvironment(directory: ledgerPath, mapSize: 0, create: false).scanEvents()
        }
        report(
            "  raw lmdb scan of the ledger's events: "
                + "\(fixed(raw.duration.seconds, decimals: 2)) s")

        let latencies = try queryLatencies(settings, store: store, log: log)
        let queryPeak = memory.endPhase()
        report("  query phase peak RssAnon \(megabytes(queryPeak)) MB")

        let replayRate = eventsPerSecond(replayed, replay.duration)
        let rawRate = eventsPerSecond(raw.result.count, raw.duration)
        report(
            "memory: peak RssAnon during replay \(megabytes(replayPeak)) MB (limit 300 MB)")
        report(
            "replay: \(rate(replayRate)) events/s, raw lmdb scan \(rate(rawRate)) events/s, "
                + "ratio \(fixed(replayRate / rawRate, decimals: 2))")
        report(
            "why: p50 \(fixed(latencies.p50, decimals: 1)) µs, p99 "
                + "\(fixed(latencies.p99, decimals: 1)) µs over \(latencies.count) queries")
    }

    /// Appends the workload's events in batches of a thousand.
    private static func generate(_ settings: Settings, into log: EventLog) throws -> String {
        var workload = SyncWorkload(
            seed: settings.seed, ticketCount: settings.ticketCount,
            eventCount: settings.eventCount)
        var appended = 0
        while !workload.isFinished {
            let batch = workload.next(1_000)
            appended += try log.appendWaiting(AppendBatch(batch)).count
        }
        return "\(appended) events, \(workload.echoes) echoes, \(workload.conflicts) conflicts, "
            + "\(workload.failures) failed writes"
    }

    /// Times `why` on random fields of random linked records, answered from the projection
    /// and the log.
    private static func queryLatencies(
        _ settings: Settings, store: ProjectionStore, log: EventLog
    ) throws -> (p50: Double, p99: Double, count: Int) {
        let provenance = Provenance(store: store, log: log)
        var generator = SeededGenerator(seed: settings.seed ^ 0xabc)
        let fields = SyncWorkload.pair.fields
        var latencies: [Double] = []
        latencies.reserveCapacity(settings.queryCount)
        var answered = 0
        for _ in 0..<settings.queryCount {
            let number = Int(generator.next(upperBound: UInt64(settings.ticketCount))) + 1
            let onLeft = generator.next(upperBound: 2 as UInt64) == 0
            let mapping = fields[Int(generator.next(upperBound: UInt64(fields.count)))]
            let record = onLeft ? SyncWorkload.ticket(number) : SyncWorkload.issue(number)
            let field = onLeft ? mapping.left : mapping.right
            let timed = try measure { try provenance.explain(record, field: field) }
            if let explanation = timed.result, !explanation.chain.isEmpty {
                answered += 1
            }
            latencies.append(timed.duration.seconds * 1_000_000)
        }
        guard answered == settings.queryCount else {
            throw BenchmarkError(
                "only \(answered) of \(settings.queryCount) why queries found their field")
        }
        latencies.sort()
        let p50 = latencies[latencies.count / 2]
        let p99 = latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
        return (p50, p99, latencies.count)
    }
}
