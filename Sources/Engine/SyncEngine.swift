import Connectors
import Foundation
import Ledger
import Mapping
import Reconcile

/// Keeps the records of a configuration's pairs in step: polls each connection into the log,
/// then turns the write plan the projections derive into writes, each recorded as an intent
/// before the call and an outcome after it.
///
/// Everything it learns goes into the log first; what it does next is decided from the
/// projections alone, so a pass can stop at any point and the next one carries on.
public struct SyncEngine: Sendable {
    /// The log everything is appended to.
    public let log: EventLog
    /// The sync projection's store.
    public let store: ProjectionStore
    /// The configuration file in force.
    public let configuration: Configuration
    /// The connectors.
    public let connections: Connections
    /// Where a first poll starts.
    public let backfillFrom: Timestamp
    /// One guard per connection, which pauses it when its authorisation is gone.
    public let guards: ConnectionGuards
    /// How a round's writes are grouped into batches and calls made at once.
    public var batching = Batching()
    /// What the Jira connectors have learnt of workflows, kept for the engine's life.
    public let workflow = JiraWorkflow()
    /// Held while a batch's task brings the projections up to date, so that the others skip.
    let catchingUp = Gate()

    /// Creates an engine over an open log and projection store.
    public init(
        log: EventLog, store: ProjectionStore, configuration: Configuration,
        connections: Connections, backfillFrom: Timestamp = Timestamp(microsecondsSinceEpoch: 0)
    ) {
        self.log = log
        self.store = store
        self.configuration = configuration
        self.connections = connections
        self.backfillFrom = backfillFrom
        guards = ConnectionGuards(configuration: configuration, log: log)
    }

    /// What one pass did.
    public struct PassReport: Sendable, Hashable {
        /// Events appended by polling, per connection.
        public var polled: [String: Int] = [:]
        /// Records created in the other system.
        public var created = 0
        /// Records updated in the other system.
        public var updated = 0
        /// Writes that failed; each is recorded as `writeFailed` and planned again later.
        public var failed = 0
        /// Creates whose call got no answer, or whose record was made but not yet brought to
        /// what was asked: their intents stay without an outcome, for the next pass's recovery
        /// to settle.
        public var leftInDoubt = 0
        /// Rounds of planning and writing until the plan was empty or the limit was reached.
        public var rounds = 0
        /// How the writes left in doubt by an earlier pass were settled.
        public var recovery = Recovery()
        /// The connections paused at the end of the pass, and why: they were not polled and
        /// nothing was written to them.
        public var paused: [String: ConnectionPauses.Pause] = [:]
        /// Writes planned for paused connections, not attempted and not recorded: they are
        /// planned again once the connection is authorised.
        public var deferred = 0

        /// Records linked to a counterpart that already carried their source reference,
        /// instead of getting a new one.
        public var adopted = 0

        /// All writes attempted.
        public var writes: Int { created + updated + failed + leftInDoubt }
    }

    /// Links every record whose counterpart already exists, found by the source reference it
    /// carries (see ``WritePlanner/adoptions(in:)``), before anything is created; returns how
    /// many were linked.
    public func adopt() async throws -> Int {
        try catchUp()
        let adoptions = try WritePlanner.adoptions(in: store)
        guard !adoptions.isEmpty else {
            return 0
        }
        _ = try await log.append(AppendBatch(adoptions.map(\.event)))
        try catchUp()
        return adoptions.count
    }

    /// One full pass: settle the writes left in doubt, poll every connection, then write
    /// until nothing is planned (at most `rounds` rounds).
    ///
    /// A round of fewer than ``Batching/minimumWrites`` writes makes them one at a time with
    /// ``perform(_:)``; a larger one goes in batches (``Batching``).
    public func runOnce(rounds: Int = 5) async throws -> PassReport {
        var report = PassReport()
        report.recovery = try await recover()
        report.polled = try await poll()
        report.adopted = try await adopt()
        // A write the provider accepted but did not take (a field it ignores) would be planned
        // again at once; within a pass each write is made once.
        var performed: Set<String> = []
        for _ in 0..<rounds {
            let plan = try plan().filter { !performed.contains($0.intent.idempotencyKey) }
            guard !plan.isEmpty else {
                break
            }
            report.rounds += 1
            guard plan.count < batching.minimumWrites else {
                performed.formUnion(plan.map(\.intent.idempotencyKey))
                let tally = try await performBatched(plan)
                report.created += tally.created
                report.updated += tally.updated
                report.failed += tally.failed
                report.leftInDoubt += tally.leftInDoubt
                report.deferred += tally.deferred
                continue
            }
            for write in plan {
                performed.insert(write.intent.idempotencyKey)
                if guards.isPaused(write.targetConnection) {
                    report.deferred += 1
                    continue
                }
                switch try await perform(write) {
                case .created: report.created += 1
                case .updated: report.updated += 1
                case .failed: report.failed += 1
                }
            }
        }
        try finish(&report)
        return report
    }

    /// The writes the projections call for now.
    public func plan() throws -> [PlannedWrite] {
        try catchUp()
        return try WritePlanner.plan(in: store)
    }

    /// Applies every event appended so far to the projections.
    public func catchUp() throws {
        try Projector(log: log, store: store, projection: SyncProjection()).catchUp()
    }

    // MARK: - Polling

    /// Polls every connection once, all at the same time, appending each one's changes and the
    /// cursor to resume from in one batch; returns the events appended per connection. A paused
    /// connection is not polled, and one whose credential is refused is paused (see
    /// ``guards``); the others go on.
    public func poll() async throws -> [String: Int] {
        try guards.catchUp(with: log)
        // Each poll runs to its end even when another fails, and what it found is kept.
        let counts = try await Self.concurrently(
            configuration.connections, width: configuration.connections.count
        ) { connection in
            try await self.poll(connection)
        }
        try catchUp()
        var polled: [String: Int] = [:]
        for (connection, count) in zip(configuration.connections, counts) {
            polled[connection.name] = count
        }
        return polled
    }

    /// Polls `connection` and appends what it found; returns how many changes, or `nil` when
    /// the connection is paused.
    private func poll(_ connection: Connection) async throws -> Int? {
        let cursor = try Self.cursor(of: connection.name, in: log)
        let result: PollResult
        do {
            result = try await guarded(connection.name) {
                switch connection.provider {
                case .zendesk:
                    return try await connections.zendesk(connection).poll(
                        after: cursor, startTime: backfillFrom)
                case .jira:
                    let since = cursor.flatMap { Timestamp(rfc3339: $0) } ?? backfillFrom
                    let queries = SyncQueries(store)
                    return try await connections.jira(connection).poll(since: since) { keys in
                        let records = keys.map {
                            RecordReference(
                                connection: connection.name, recordType: "issue", remoteID: $0)
                        }
                        var times: [String: Timestamp] = [:]
                        for (record, time) in try queries.lastChanged(records) {
                            times[record.remoteID] = time
                        }
                        return times
                    }
                }
            }
        } catch is NeedsReauthorization {
            return nil
        }
        var events = result.events
        if let next = result.cursor, next != cursor {
            events.append(
                NewEvent(
                    kind: .cursorAdvanced, record: nil,
                    body: ["connection": .string(connection.name), "cursor": .string(next)]))
        }
        if !events.isEmpty {
            _ = try await log.append(AppendBatch(events))
        }
        return result.events.count
    }

    /// The last cursor recorded for `connection`, if any.
    public static func cursor(of connection: String, in log: EventLog) throws -> String? {
        var found: String?
        try log.scan(from: SequenceNumber(UInt64.max), direction: .backward) { result in
            guard let event = try? result.get(), event.kind == .cursorAdvanced,
                event.body["connection"]?.stringValue == connection
            else {
                return true
            }
            found = event.body["cursor"]?.stringValue
            return false
        }
        return found
    }

    // MARK: - Writing

    /// How one write ended.
    public enum WriteResult: Sendable, Hashable {
        /// A counterpart was created.
        case created(RecordReference)
        /// A record was updated.
        case updated
        /// The call failed; the reason is in the log.
        case failed
    }

    /// Records the intent of `write`, makes the call, and records the outcome with what the
    /// provider answered: for a create, the link to the new record in the same batch.
    ///
    /// Throws ``NeedsReauthorization``, recording nothing, when the target connection is
    /// paused; a call that finds the authorisation gone is recorded as failed.
    public func perform(_ write: PlannedWrite) async throws -> WriteResult {
        try refuseWhilePaused(write.targetConnection)
        let intent = try await log.append(AppendBatch([write.intent.event(write.record)]))[0]
            .sequence
        do {
            let result: WriteResult
            var events: [NewEvent]
            switch write.intent.operation {
            case .create:
                let (created, answered) = try await guarded(write.targetConnection) {
                    try await create(write)
                }
                events = [
                    WriteOutcome.succeeded(intent: intent, created: created).event(write.record),
                    LinkChange(pair: write.intent.pair, counterpart: created).event(write.record),
                ]
                events += answered
                result = .created(created)
            case .update:
                events = [WriteOutcome.succeeded(intent: intent).event(write.record)]
                events += try await guarded(write.targetConnection) { try await update(write) }
                result = .updated
            }
            _ = try await log.append(AppendBatch(events))
            try catchUp()
            return result
        } catch let failure as any Error & CustomStringConvertible
            where failure is ConnectorError || failure is ConcurrentChange
            || failure is ConcurrentEdit || failure is NeedsReauthorization
        {
            // The call failed, or was not made for a reason the log should keep: recorded as
            // failed (with the record as read again, after a concurrent edit) and planned
            // again from what the log then holds.
            var events = [
                WriteOutcome.failed(intent: intent, error: failure.description).event(
                    write.record)
            ]
            if let edit = failure as? ConcurrentEdit {
                events.append(edit.observation)
            }
            _ = try await log.append(AppendBatch(events))
            try catchUp()
            return .failed
        }
    }

    private func create(_ write: PlannedWrite) async throws -> (RecordReference, [NewEvent]) {
        guard let target = write.intent.target,
            let connection = configuration.connection(named: target.connection)
        else {
            throw EngineError("a create for \(write.record) names no configured connection")
        }
        switch connection.provider {
        case .zendesk:
            let (record, events) = try await connections.zendesk(connection).create(
                write.intent.fields, idempotencyKey: write.intent.idempotencyKey)
            return (record, events)
        case .jira:
            let (record, event) = try await connections.jira(connection).create(
                write.intent.fields)
            return (record, event.map { [$0] } ?? [])
        }
    }

    private func update(_ write: PlannedWrite) async throws -> [NewEvent] {
        guard let connection = configuration.connection(named: write.record.connection) else {
            throw EngineError("an update for \(write.record) names no configured connection")
        }
        switch connection.provider {
        case .zendesk:
            return try await guardedUpdate(
                write, in: try connections.zendesk(connection))
        case .jira:
            return [
                try await connections.jira(connection).update(
                    write.record.remoteID, write.intent.fields)
            ]
        }
    }
}
