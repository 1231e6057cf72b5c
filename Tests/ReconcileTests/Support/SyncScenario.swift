import Foundation
import Ledger
import Reconcile
import Testing

/// A real ledger and sync projection store in a temporary directory, with the Zendesk ↔ Jira
/// pair most tests use, and shorthands for the events a sync appends.
final class SyncScenario {
    let directory: String
    let log: EventLog
    let store: ProjectionStore
    let projector: Projector<SyncProjection>

    static let support = SyncPair(
        name: "support",
        left: RecordSet(connection: "zendesk", recordType: "ticket"),
        right: RecordSet(connection: "jira", recordType: "issue"),
        fields: [
            FieldMapping(left: "subject", right: "summary", authority: .lastWriterWins),
            FieldMapping(
                left: "priority", right: "priority", authority: .owner(.left),
                values: ValueMap([("urgent", "Highest"), ("normal", "Medium")])),
            FieldMapping(left: "tags", right: "labels", authority: .mergeSet),
            FieldMapping(left: "status", right: "status", authority: .manual),
        ])

    init(configuration: SyncConfiguration? = SyncConfiguration(pairs: [support])) throws {
        directory =
            FileManager.default.temporaryDirectory.path + "/reconcile-tests-"
            + UUID().uuidString
        log = try EventLog.open(at: directory + "/ledger")
        let projection = SyncProjection()
        store = try ProjectionStore(
            at: directory + "/projections", identity: projection.identity,
            tableNames: projection.tableNames)
        projector = Projector(log: log, store: store, projection: projection)
        if let configuration {
            try apply(configuration)
        }
    }

    deinit {
        store.close()
        log.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: Appending

    @discardableResult
    func append(_ events: NewEvent...) throws -> [SequenceNumber] {
        let appended = try log.appendWaiting(AppendBatch(events)).map(\.sequence)
        try projector.catchUp()
        return appended
    }

    @discardableResult
    func apply(_ configuration: SyncConfiguration) throws -> SequenceNumber {
        try append(
            NewEvent(
                kind: .configApplied, record: nil,
                body: ["configuration": configuration.value]))[0]
    }

    /// An observation of `fields` on `record`, reported upstream `at` seconds into the test.
    @discardableResult
    func observe(
        _ record: RecordReference, at seconds: Int64, source: String = "webhook",
        _ fields: ValueObject
    ) throws -> SequenceNumber {
        try append(
            Observation(source: source, fields: fields).event(
                record, upstreamAt: Self.time(seconds)))[0]
    }

    /// Links `left` and `right` in the support pair.
    @discardableResult
    func link(_ left: RecordReference, _ right: RecordReference, pair: String = "support") throws
        -> SequenceNumber
    {
        try append(LinkChange(pair: pair, counterpart: right).event(left))[0]
    }

    /// Records the intent of `write`, then its success; returns the intent's position.
    @discardableResult
    func perform(_ write: PlannedWrite, created: RecordReference? = nil) throws -> SequenceNumber {
        let intent = try append(write.intent.event(write.record))[0]
        var events = [WriteOutcome.succeeded(intent: intent, created: created).event(write.record)]
        if let created {
            events.append(
                LinkChange(pair: write.intent.pair, counterpart: created).event(write.record))
        }
        try log.appendWaiting(AppendBatch(events))
        try projector.catchUp()
        return intent
    }

    // MARK: Reading

    func plan() throws -> [PlannedWrite] {
        try WritePlanner.plan(in: store)
    }

    func record(_ reference: RecordReference) throws -> RecordState? {
        try SyncQueries(store).record(reference)
    }

    func field(_ reference: RecordReference, _ name: String) throws -> FieldState? {
        try record(reference)?.fields[name]
    }

    func pairField(_ left: RecordReference, _ mapping: String) throws -> PairFieldState? {
        try SyncQueries(store).pairState(pair: "support", left: left)[mapping]
    }

    /// Every entry of every table, as bytes: two stores hold the same state exactly when these
    /// are equal.
    func dump() throws -> [[UInt8]] {
        var entries: [[UInt8]] = []
        try store.forEachEntry { table, key, value in
            entries.append(Array(table.utf8) + [0] + Array(key) + [0] + Array(value))
        }
        return entries
    }

    static func time(_ seconds: Int64) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: (1_800_000_000 + seconds) * 1_000_000)
    }
}

extension RecordReference {
    static func ticket(_ id: String) -> RecordReference {
        RecordReference(connection: "zendesk", recordType: "ticket", remoteID: id)
    }

    static func issue(_ id: String) -> RecordReference {
        RecordReference(connection: "jira", recordType: "issue", remoteID: id)
    }
}
