import Ledger

/// The `append` case: bulk appends and a full decoding scan of a ledger, next to the same puts
/// and reads made on liblmdb directly, then durable single-event appends from many callers.
enum AppendCase {
    /// The name that selects the case on the command line.
    static let name = "append"

    /// One line saying what the case measures.
    static let summary =
        "bulk append and full scan against raw liblmdb; durable appends from 16 callers"

    /// The sizes the case runs with.
    struct Settings {
        /// Events appended in bulk (`SYNCLEDGER_BENCH_EVENTS`, default 1,000,000).
        var eventCount: Int
        /// Events per append batch and per raw write transaction.
        var batchSize = 1_000
        /// Records the events are spread over.
        var recordCount = 10_000
        /// Concurrent callers in the durable single-event measurements.
        var durableCallers = 16
        /// Events in each durable measurement (`SYNCLEDGER_BENCH_DURABLE_EVENTS`, default
        /// 2,000).
        var durableEventCount: Int
        /// The seed every event source starts from.
        var seed: UInt64 = 0x5eed_1ed9_e700_0001
        /// The map the raw baseline starts with, large enough that it never grows. The ledger
        /// starts from its default and grows its map itself, as it does for users.
        var mapSize = 8 << 30

        /// Reads the sizes from the environment.
        static func fromEnvironment() throws -> Settings {
            Settings(
                eventCount: try environmentInteger("SYNCLEDGER_BENCH_EVENTS", default: 1_000_000),
                durableEventCount: try environmentInteger(
                    "SYNCLEDGER_BENCH_DURABLE_EVENTS", default: 2_000))
        }
    }

    /// Runs the case and prints its report; the last two lines are the append and scan
    /// comparisons.
    static func run() async throws {
        let settings = try Settings.fromEnvironment()
        let memory = try MemorySampler()
        report(
            "case append: \(settings.eventCount) events in batches of \(settings.batchSize) over "
                + "\(settings.recordCount) records, raw map \(settings.mapSize >> 30) GiB; "
                + "RssAnon at start \(megabytes(memory.current())) MB")

        let ledger = try measureLedger(settings)
        report("  ledger phase peak RssAnon \(megabytes(memory.endPhase())) MB")
        let raw = try measureRawLMDB(settings)
        report("  raw lmdb phase peak RssAnon \(megabytes(memory.endPhase())) MB")
        if ledger.valueBytes != raw.valueBytes {
            report(
                "  warning: the ledger stored \(ledger.valueBytes) value bytes in events, raw "
                    + "lmdb \(raw.valueBytes); the baselines' values differ in size")
        } else {
            report(
                "  events hold \(ledger.valueBytes) value bytes in both stores, "
                    + "\(ledger.valueBytes / settings.eventCount) per event")
        }

        let groupCommit = try await measureGroupCommit(settings)
        let oneSyncPerEvent = try measureOneSyncPerEvent(settings)
        report("  durable phase peak RssAnon \(megabytes(memory.endPhase())) MB")

        let peak = try memory.stop()
        let count = settings.eventCount
        let appendLedger = eventsPerSecond(count, ledger.append)
        let appendRaw = eventsPerSecond(count, raw.append)
        let scanLedger = eventsPerSecond(count, ledger.scan)
        let scanRaw = eventsPerSecond(count, raw.scan)
        for (name, time) in [
            ("making record references", ledger.scanMakingReferences),
            ("checking every body", ledger.scanCheckingBodies),
            ("building every body", ledger.scanBuildingBodies),
        ] {
            guard let time else {
                continue
            }
            let scanned = eventsPerSecond(count, time)
            report(
                "scan \(name): \(rate(scanned)) events/s, raw lmdb \(rate(scanRaw)) "
                    + "events/s, ratio \(fixed(scanned / scanRaw, decimals: 2))")
        }
        report("memory: peak RssAnon \(megabytes(peak)) MB (limit 150 MB)")
        report(
            "durable: group commit \(rate(groupCommit)) events/s from "
                + "\(settings.durableCallers) callers, one fsync per event "
                + "\(rate(oneSyncPerEvent)) events/s, ratio "
                + fixed(groupCommit / oneSyncPerEvent, decimals: 2))
        report(
            "append: \(rate(appendLedger)) events/s, raw lmdb \(rate(appendRaw)) events/s, "
                + "ratio \(fixed(appendLedger / appendRaw, decimals: 2))")
        report(
            "scan: \(rate(scanLedger)) events/s, raw lmdb \(rate(scanRaw)) events/s, "
                + "ratio \(fixed(scanLedger / scanRaw, decimals: 2))")
    }

    /// What one store's bulk measurement found.
    struct BulkResult {
        /// Time spent in the appends (or write transactions) only.
        var append: Duration
        /// Time spent in the full scan.
        var scan: Duration
        /// Time spent in a full scan in place that also makes every event's record reference;
        /// the raw store has no such step and leaves it `nil`.
        var scanMakingReferences: Duration? = nil
        /// Time spent in a full scan that also checks and copies out every body, as reading
        /// whole ``Event`` values does; the raw store has no such step and leaves it `nil`.
        var scanCheckingBodies: Duration? = nil
        /// Time spent in a full scan that also builds every body as a `Value` tree; the raw
        /// store has no such step and leaves it `nil`.
        var scanBuildingBodies: Duration? = nil
        /// Total bytes of the stored event values, to check both stores hold the same data.
        var valueBytes: Int
    }

    /// Appends the events to a fresh ledger in batches, then scans them back, decoding each.
    static func measureLedger(_ settings: Settings) throws -> BulkResult {
        let directory = try TemporaryDirectory(prefix: "syncledger-bench-ledger")
        defer { directory.remove() }

        let log = try EventLog.open(at: directory.path)
        var source = TicketEvents(seed: settings.seed, recordCount: settings.recordCount)
        let writtenBefore = storageBytesWritten()
        var appendTime = Duration.zero
        var remaining = settings.eventCount
        while remaining > 0 {
            let batch = AppendBatch(source.next(min(settings.batchSize, remaining)))
            appendTime += try measure { try log.appendWaiting(batch) }.duration
            remaining -= batch.events.count
        }
        report(
            "  ledger append: \(fixed(appendTime.seconds, decimals: 2)) s, data file "
                + "\(megabytes(directory.diskUsage())) MB, "
                + writtenSince(writtenBefore))

        let (scanned, scanTime) = try measureBest(of: 3) { try scanDecoding(log) }
        guard scanned.events == settings.eventCount else {
            throw BenchmarkError(
                "the ledger scan read \(scanned.events) events, not \(settings.eventCount)")
        }
        report(
            "  ledger scan in place: \(fixed(scanTime.seconds, decimals: 2)) s, every envelope "
                + "decoded, \(scanned.members) body members counted from body heads, checksum "
                + "\(scanned.checksum)")

        let (referenced, referenceTime) = try measureBest(of: 3) {
            try scanMakingReferences(log)
        }
        guard referenced.events == settings.eventCount, referenced.records == settings.eventCount
        else {
            throw BenchmarkError(
                "the scan making references read \(referenced.events) events and made "
                    + "\(referenced.records) references, not \(settings.eventCount) of each")
        }
        report(
            "  ledger scan in place making every record reference: "
                + "\(fixed(referenceTime.seconds, decimals: 2)) s, "
                + "\(rate(eventsPerSecond(referenced.events, referenceTime))) events/s")

        let (checked, checkTime) = try measureBest(of: 3) { try scanCheckingBodies(log) }
        guard checked.events == settings.eventCount, checked.members == scanned.members else {
            throw BenchmarkError("the scan checking bodies read \(checked) instead of \(scanned)")
        }
        report(
            "  ledger scan of whole events, every body checked and copied: "
                + "\(fixed(checkTime.seconds, decimals: 2)) s, "
                + "\(rate(eventsPerSecond(checked.events, checkTime))) events/s")

        let (built, buildTime) = try measureBest(of: 3) { try scanBuildingBodies(log) }
        guard built.events == settings.eventCount, built.members == scanned.members else {
            throw BenchmarkError("the scan building bodies read \(built) instead of \(scanned)")
        }
        report(
            "  ledger scan building every body as a Value tree: "
                + "\(fixed(buildTime.seconds, decimals: 2)) s, "
                + "\(rate(eventsPerSecond(built.events, buildTime))) events/s")
        log.close()

        let stored = try measureBest(of: 3) {
            try RawEnvironment(directory: directory.path, mapSize: 0, create: false).scanEvents()
        }
        report(
            "  raw lmdb scan of the ledger's own file: "
                + "\(rate(eventsPerSecond(stored.result.count, stored.duration))) events/s")
        return BulkResult(
            append: appendTime, scan: scanTime, scanMakingReferences: referenceTime,
            scanCheckingBodies: checkTime, scanBuildingBodies: buildTime,
            valueBytes: stored.result.valueBytes)
    }

    /// Reads the whole log in place with ``EventLog/scanInPlace(from:direction:_:)``, which
    /// decodes every event's envelope (its record reference's text checked as UTF-8 but left
    /// in place), and reads the member count at the head of each body. Every decoded field
    /// feeds a checksum, so none of the work can be left out. Returns the events, the body
    /// members counted and the checksum.
    private static func scanDecoding(_ log: EventLog) throws -> (
        events: Int, members: Int, checksum: UInt64
    ) {
        var events = 0
        var members = 0
        var checksum: UInt64 = 0
        try log.scanInPlace(from: SequenceNumber(1)) { event in
            events += 1
            members += event.bodyCount ?? 0
            checksum &+= UInt64(event.kind.code) &+ event.streamVersion &+ event.id.low
            checksum &+= UInt64(bitPattern: event.recordedAt.microseconds)
            checksum &+= UInt64(bitPattern: event.upstreamAt?.microseconds ?? 0)
            checksum &+= UInt64(event.causationCount) &+ UInt64(event.bodySize)
            return true
        }
        return (events, members, checksum)
    }

    /// Reads the whole log in place as ``scanDecoding(_:)`` does, and also makes every event's
    /// record reference, three strings copied out of the map. Returns the events and the
    /// references made.
    private static func scanMakingReferences(_ log: EventLog) throws -> (
        events: Int, records: Int
    ) {
        var events = 0
        var records = 0
        try log.scanInPlace(from: SequenceNumber(1)) { event in
            events += 1
            if let record = event.record, !record.remoteID.isEmpty {
                records += 1
            }
            return true
        }
        return (events, records)
    }

    /// Reads the whole log with ``EventLog/scan(from:direction:_:)``, which hands out whole
    /// events, each body checked against the canonical encoding and copied, and counts the
    /// members of each body.
    private static func scanCheckingBodies(_ log: EventLog) throws -> (events: Int, members: Int) {
        try scan(log) { $0.encodedBody.count ?? 0 }
    }

    /// Reads the whole log as ``scanCheckingBodies(_:)`` does, and also builds every body as a
    /// ``Value`` tree, which is what a reader that needs every field pays.
    private static func scanBuildingBodies(_ log: EventLog) throws -> (events: Int, members: Int) {
        try scan(log) { $0.body.objectValue?.count ?? 0 }
    }

    /// Scans the whole log, counting events and the body members `members` finds in each.
    private static func scan(
        _ log: EventLog, members: (Event) -> Int
    ) throws -> (events: Int, members: Int) {
        var events = 0
        var total = 0
        try log.scan(from: SequenceNumber(1)) { result in
            let event = try result.get()
            events += 1
            total += members(event)
            return true
        }
        return (events, total)
    }

    /// Makes the same puts as the ledger on liblmdb directly, then scans `events` raw.
    static func measureRawLMDB(_ settings: Settings) throws -> BulkResult {
        let directory = try TemporaryDirectory(prefix: "syncledger-bench-raw")
        defer { directory.remove() }

        let environment = try RawEnvironment(
            directory: directory.path, mapSize: settings.mapSize, create: true)
        var source = TicketEvents(seed: settings.seed, recordCount: settings.recordCount)
        var encoder = RawEventEncoder()
        let writtenBefore = storageBytesWritten()
        var appendTime = Duration.zero
        var remaining = settings.eventCount
        while remaining > 0 {
            let events = source.next(min(settings.batchSize, remaining))
            let recordedAt = SystemClock().now()
            let entries = events.map { encoder.encode($0, recordedAt: recordedAt) }
            appendTime += try measure { try environment.write(entries) }.duration
            remaining -= events.count
        }
        report(
            "  raw lmdb append: \(fixed(appendTime.seconds, decimals: 2)) s, data file "
                + "\(megabytes(directory.diskUsage())) MB, "
                + writtenSince(writtenBefore))

        let (scanned, scanTime) = try measureBest(of: 3) { try environment.scanEvents() }
        guard scanned.count == settings.eventCount else {
            throw BenchmarkError(
                "the raw scan read \(scanned.count) events, not \(settings.eventCount)")
        }
        report(
            "  raw lmdb scan: \(fixed(scanTime.seconds, decimals: 2)) s, checksum "
                + "\(scanned.checksum)")
        // Not a baseline of the figures below: it shows what reading every value byte costs
        // on this machine, which the plain cursor walk never does.
        let copying = try measureBest(of: 3) { try environment.scanEvents(copyingValues: true) }
        report(
            "  raw lmdb scan copying every value out: "
                + "\(rate(eventsPerSecond(copying.result.count, copying.duration))) events/s")
        return BulkResult(append: appendTime, scan: scanTime, valueBytes: scanned.valueBytes)
    }

    /// How much the process wrote to storage since `before` was read.
    private static func writtenSince(_ before: Int?) -> String {
        guard let before, let after = storageBytesWritten() else {
            return "bytes written to storage not available"
        }
        return "\(megabytes(after - before)) MB written to storage"
    }
}
