import Dispatch
import LMDB
import Synchronization

/// The log's single writer: a dedicated thread that commits queued appends in groups.
///
/// Callers queue a batch and wait. The writer takes every batch waiting at that moment, applies
/// each in a nested transaction (so one batch's failure leaves the others whole), and commits
/// them all with one sync to disk. While that sync runs, new batches queue up for the next
/// group; this is what lets many concurrent callers share the cost of durability.
final class LogWriter: Sendable {
    let store: LogStore
    let commits = CommitSignal()
    private let clock: any LedgerClock
    private let queue = Mutex(Queue())
    private let wakeUp = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    /// Events in one commit group at most; the rest wait for the next group.
    static let maximumGroupEvents = 16_384

    /// Encoded events larger than this are refused, so one runaway body cannot fill the disk.
    static let maximumEventBytes = 16 << 20

    private struct Queue {
        var pending: [Request] = []
        var isClosing = false
    }

    struct Request: Sendable {
        let batch: AppendBatch
        let complete: @Sendable (Result<[AppendedEvent], any Error>) -> Void
    }

    init(store: LogStore, clock: any LedgerClock) throws {
        self.store = store
        self.clock = clock
        let last = try store.read { try store.lastSequence(in: $0) }
        let lastRecordedAt = try Self.lastRecordedTime(in: store, before: last)
        commits.publish(last)
        let start = lastRecordedAt ?? Timestamp(microsecondsSinceEpoch: 0)
        DispatchQueue(label: "syncledger.log.writer").async { [self] in
            run(WriterThread(lastRecordedAt: start))
        }
    }

    /// The recorded time of the newest event that decodes, so that a damaged event at the end
    /// of the log does not stop new appends.
    private static func lastRecordedTime(in store: LogStore, before last: SequenceNumber) throws
        -> Timestamp?
    {
        try store.read { transaction in
            var sequence = last
            while sequence > .zero {
                if let event = try? store.event(at: sequence, in: transaction) {
                    return event.recordedAt
                }
                sequence = SequenceNumber(sequence.rawValue - 1)
            }
            return nil
        }
    }

    /// Queues `request`; fails it at once when the writer is closing.
    func submit(_ request: Request) {
        let accepted = queue.withLock { queue in
            guard !queue.isClosing else { return false }
            queue.pending.append(request)
            return true
        }
        if accepted {
            wakeUp.signal()
        } else {
            request.complete(
                .failure(LedgerError(.closed, "the ledger at \(store.path) has been closed")))
        }
    }

    /// Stops taking requests, lets the queued ones commit, and waits for the thread to end.
    func close() {
        let wasClosing = queue.withLock { queue in
            defer { queue.isClosing = true }
            return queue.isClosing
        }
        guard !wasClosing else { return }
        wakeUp.signal()
        finished.wait()
    }

    // MARK: - The writer thread

    /// Stream versions the writer remembers at most; past that it starts afresh.
    static let streamCacheLimit = 100_000

    /// State only the writer thread touches.
    private final class WriterThread {
        var lastRecordedAt: Timestamp
        var buffer = ByteWriter(capacity: 4096)
        /// The committed stream version of recently appended records. Only this thread writes
        /// the ledger (the directory lock keeps other processes out), so what it committed is
        /// what the ledger holds, and a cached version saves a B-tree lookup per event.
        var streamVersions: [RecordReference: UInt64] = [:]

        init(lastRecordedAt: Timestamp) {
            self.lastRecordedAt = lastRecordedAt
        }
    }

    private func run(_ thread: WriterThread) {
        while true {
            wakeUp.wait()
            let (group, isClosing) = queue.withLock { queue in
                (Self.takeGroup(from: &queue.pending), queue.isClosing)
            }
            if !group.isEmpty {
                commit(group, thread)
            }
            if isClosing && queue.withLock({ $0.pending.isEmpty }) {
                finished.signal()
                return
            }
            if !group.isEmpty && queue.withLock({ !$0.pending.isEmpty }) {
                // More arrived than one group holds; their signals may already be consumed.
                wakeUp.signal()
            }
        }
    }

    private static func takeGroup(from pending: inout [Request]) -> [Request] {
        var events = 0
        var count = 0
        for request in pending {
            if count > 0 && events + request.batch.events.count > maximumGroupEvents {
                break
            }
            events += request.batch.events.count
            count += 1
        }
        defer { pending.removeFirst(count) }
        return Array(pending.prefix(count))
    }

    private func commit(_ group: [Request], _ thread: WriterThread) {
        // Recorded times never go backwards in the log, even when the system clock does.
        let recordedAt = max(clock.now(), thread.lastRecordedAt)
        let outcomes: [Result<[AppendedEvent], any Error>]
        let last: SequenceNumber
        let versions: [RecordReference: UInt64]
        do {
            (outcomes, last, versions) = try store.environment.write { transaction in
                var appender = try GroupAppender(
                    store: store, transaction: transaction, recordedAt: recordedAt,
                    knownVersions: thread.streamVersions)
                var outcomes: [Result<[AppendedEvent], any Error>] = []
                outcomes.reserveCapacity(group.count)
                for request in group {
                    outcomes.append(
                        try appender.append(request.batch, in: transaction, buffer: &thread.buffer))
                }
                try appender.finish(in: transaction)
                return (outcomes, appender.lastSequence, appender.groupVersions)
            }
        } catch {
            let failure =
                (error as? LMDBError).map { LedgerError.storage($0, path: store.path) } ?? error
            for request in group {
                request.complete(.failure(failure))
            }
            return
        }
        thread.lastRecordedAt = recordedAt
        if thread.streamVersions.count + versions.count > Self.streamCacheLimit {
            thread.streamVersions.removeAll(keepingCapacity: true)
        }
        thread.streamVersions.merge(versions) { _, committed in committed }
        commits.publish(last)
        for (request, outcome) in zip(group, outcomes) {
            request.complete(outcome)
        }
    }
}

/// Applies the batches of one commit group inside its write transaction.
///
/// Each batch runs in a nested transaction: a batch that fails (a version conflict, an invalid
/// event) leaves no trace, and the batches around it commit. Storage errors such as a full map
/// are not caught here: they abort the whole group, which the environment then retries.
private struct GroupAppender {
    let store: LogStore
    let recordedAt: Timestamp
    private(set) var lastSequence: SequenceNumber
    /// Stream versions committed before this group.
    private let knownVersions: [RecordReference: UInt64]
    /// Stream versions this group's successful batches reached.
    private(set) var groupVersions: [RecordReference: UInt64] = [:]
    private var kindCounts: [UInt8: UInt64] = [:]
    private var newRecords: UInt64 = 0

    init(
        store: LogStore, transaction: borrowing Transaction, recordedAt: Timestamp,
        knownVersions: [RecordReference: UInt64]
    ) throws {
        self.store = store
        self.recordedAt = recordedAt
        self.knownVersions = knownVersions
        self.lastSequence = try store.lastSequence(in: transaction)
    }

    /// Appends one batch. A batch's own failure is returned; a storage failure is thrown, to
    /// abort the group.
    mutating func append(
        _ batch: AppendBatch, in transaction: borrowing Transaction, buffer: inout ByteWriter
    ) throws -> Result<[AppendedEvent], any Error> {
        do {
            let (appended, last, counts, records, versions) = try transaction.nested { child in
                try apply(batch, in: child, buffer: &buffer)
            }
            lastSequence = last
            groupVersions.merge(versions) { _, later in later }
            for (kind, count) in counts {
                kindCounts[kind, default: 0] += count
            }
            newRecords += records
            return .success(appended)
        } catch let error as LedgerError {
            return .failure(error)
        } catch let error as LMDBError where error.code == LMDBError.badValueSize {
            return .failure(LedgerError(.invalidEvent, "an event is too large to store: \(error)"))
        }
    }

    /// Writes the counters the group changed. Must run after the last batch.
    func finish(in transaction: borrowing Transaction) throws {
        for (kind, added) in kindCounts {
            let key = LogStore.kindCountKey(EventKind(code: kind))
            let total = try store.counter(key, in: transaction) + added
            try transaction.put(Self.bigEndian(total), forKey: key, in: store.meta)
        }
        if newRecords > 0 {
            let total = try store.counter(LogStore.recordCountKey, in: transaction) + newRecords
            try transaction.put(
                Self.bigEndian(total), forKey: LogStore.recordCountKey, in: store.meta)
        }
    }

    private func apply(
        _ batch: AppendBatch, in transaction: borrowing Transaction, buffer: inout ByteWriter
    ) throws -> (
        [AppendedEvent], SequenceNumber, [UInt8: UInt64], UInt64, [RecordReference: UInt64]
    ) {
        for event in batch.events {
            try event.record?.validate()
            if event.body.nestingDepth > Value.maximumDepth {
                throw LedgerError(
                    .invalidEvent,
                    "event \(event.id): its body nests deeper than \(Value.maximumDepth) levels")
            }
        }
        if !batch.expectedVersions.isEmpty {
            if let originals = try originalsIfAllPresent(batch, in: transaction) {
                return (originals, lastSequence, [:], 0, [:])
            }
            try checkExpectedVersions(batch, in: transaction)
        }

        var next = lastSequence
        var versions: [RecordReference: (prefix: [UInt8], version: UInt64)] = [:]
        versions.reserveCapacity(batch.events.count)
        var counts: [UInt8: UInt64] = [:]
        var records: UInt64 = 0
        var appended: [AppendedEvent] = []
        appended.reserveCapacity(batch.events.count)

        for event in batch.events {
            let candidate = next.next
            let sequenceKey = EventCodec.key(candidate)
            let idKey = event.id.bytes
            if case .keyExists(let existing) = try transaction.put(
                sequenceKey, forKey: idKey, in: store.ids, flags: .noOverwrite)
            {
                appended.append(try original(existing, id: event.id, in: transaction))
                continue
            }

            var streamVersion: UInt64 = 0
            if let record = event.record {
                var stream: (prefix: [UInt8], version: UInt64)
                if let known = versions[record] {
                    stream = known
                } else {
                    let prefix = EventCodec.streamPrefix(record)
                    let version =
                        try groupVersions[record] ?? knownVersions[record]
                        ?? store.streamVersion(prefix: prefix, in: transaction)
                    stream = (prefix, version)
                }
                if stream.version == 0 {
                    records += 1
                }
                stream.version += 1
                streamVersion = stream.version
                versions[record] = stream
                let streamKey = EventCodec.streamKey(prefix: stream.prefix, version: streamVersion)
                try transaction.put(sequenceKey, forKey: streamKey, in: store.streams)
            }

            buffer.reset()
            EventCodec.encode(
                event, streamVersion: streamVersion, recordedAt: recordedAt, into: &buffer)
            guard buffer.bytes.count <= LogWriter.maximumEventBytes else {
                throw LedgerError(
                    .invalidEvent,
                    "event \(event.id) encodes to \(buffer.bytes.count) bytes, more than the "
                        + "\(LogWriter.maximumEventBytes) allowed")
            }
            _ = try buffer.bytes.withUnsafeBytes { value in
                try sequenceKey.withUnsafeBytes { key in
                    try transaction.put(value, forKey: key, in: store.events, flags: .append)
                }
            }
            counts[event.kind.code, default: 0] += 1
            appended.append(
                AppendedEvent(
                    id: event.id, sequence: candidate, streamVersion: streamVersion, isNew: true))
            next = candidate
        }
        return (appended, next, counts, records, versions.mapValues(\.version))
    }

    /// When every event of the batch is already in the log, the batch is a retry of one that
    /// succeeded: it answers with the original positions instead of failing its expectations.
    private func originalsIfAllPresent(
        _ batch: AppendBatch, in transaction: borrowing Transaction
    ) throws -> [AppendedEvent]? {
        var originals: [AppendedEvent] = []
        for event in batch.events {
            guard let sequence = try store.sequence(ofEventID: event.id, in: transaction),
                let stored = try store.event(at: sequence, in: transaction)
            else {
                return nil
            }
            originals.append(
                AppendedEvent(
                    id: event.id, sequence: sequence, streamVersion: stored.streamVersion,
                    isNew: false))
        }
        return batch.events.isEmpty ? nil : originals
    }

    private func checkExpectedVersions(
        _ batch: AppendBatch, in transaction: borrowing Transaction
    ) throws {
        for (record, expected) in batch.expectedVersions.sorted(by: { $0.key < $1.key }) {
            try record.validate()
            let actual = try store.streamVersion(
                prefix: EventCodec.streamPrefix(record), in: transaction)
            if actual != expected {
                throw LedgerError(
                    .versionConflict,
                    "\(record) is at version \(actual), but the append expected version "
                        + "\(expected); read the record again and retry")
            }
        }
    }

    private func original(
        _ storedSequence: [UInt8], id: EventID, in transaction: borrowing Transaction
    ) throws -> AppendedEvent {
        let sequence = storedSequence.withUnsafeBytes { EventCodec.sequence(fromKey: $0) }
        guard let sequence, let stored = try store.event(at: sequence, in: transaction) else {
            throw LedgerError(
                .corrupt, "the id index names a missing event for \(id) in \(store.path)")
        }
        return AppendedEvent(
            id: id, sequence: sequence, streamVersion: stored.streamVersion, isNew: false)
    }

    private static func bigEndian(_ value: UInt64) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian, Array.init)
    }
}
