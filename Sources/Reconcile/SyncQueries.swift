import Ledger

/// Reads the sync projection: records, links, pair states, intents. Each call is one read
/// transaction, so its answer is consistent.
public struct SyncQueries: Sendable {
    /// The store read.
    public let store: ProjectionStore

    /// Reads `store`, which must hold a ``SyncProjection``.
    public init(_ store: ProjectionStore) {
        self.store = store
    }

    /// What the ledger knows of `record`; `nil` when no event has named it.
    public func record(_ record: RecordReference) throws -> RecordState? {
        try store.read { tables in
            try SyncTables(tables).record(record, in: tables)
        }
    }

    /// The configuration in force and the event that applied it.
    public func configuration() throws -> (
        configuration: SyncConfiguration, appliedBy: SequenceNumber
    )? {
        try store.read { tables in
            try SyncTables(tables).configuration(in: tables)
        }
    }

    /// The counterparts of `record` in every pair it is linked in, by pair name.
    public func counterparts(of record: RecordReference) throws -> [(
        pair: String, counterpart: RecordReference
    )] {
        try store.read { tables in
            let sync = try SyncTables(tables)
            guard let configuration = try sync.configuration(in: tables)?.configuration else {
                return []
            }
            var found: [(String, RecordReference)] = []
            for pair in configuration.pairs {
                guard let side = pair.side(of: record),
                    let counterpart = try sync.counterpart(
                        of: record, on: side, in: pair.name, tables: tables)
                else {
                    continue
                }
                found.append((pair.name, counterpart))
            }
            return found
        }
    }

    /// The state of each mapped field of the link whose left record is `left`, by the
    /// mapping's left field name.
    public func pairState(pair: String, left: RecordReference) throws -> [String: PairFieldState] {
        try store.read { tables in
            try SyncTables(tables).pairState(pair: pair, left: left, in: tables)
        }
    }

    /// What became of the write intended at `intent`.
    public func intent(at intent: SequenceNumber) throws -> IntentStatus? {
        try store.read { tables in
            try SyncTables(tables).intent(intent, in: tables).map {
                IntentStatus(
                    intent: intent, record: $0.record, status: $0.status.name,
                    outcome: $0.outcome == 0 ? nil : SequenceNumber($0.outcome),
                    idempotencyKey: $0.idempotencyKey)
            }
        }
    }
}

/// A write the ledger intended, and how it ended so far.
public struct IntentStatus: Sendable, Hashable {
    /// The `writeIntended` event.
    public var intent: SequenceNumber
    /// The record written (or, for a create, its source).
    public var record: RecordReference
    /// `pending`, `succeeded` or `failed`.
    public var status: String
    /// The `writeSucceeded` or `writeFailed` event, once there is one.
    public var outcome: SequenceNumber?
    /// The key sent with the write.
    public var idempotencyKey: String
}
