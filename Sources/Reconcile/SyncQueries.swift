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

    /// The upstream time of the newest observation that changed a field of `record`: the
    /// provider's state of that time is on record. `nil` when no observation of it gave one.
    public func lastChanged(_ record: RecordReference) throws -> Timestamp? {
        try lastChanged([record])[record]
    }

    /// ``lastChanged(_:)-(RecordReference)`` of each of `records` that has a time, read in one
    /// transaction.
    public func lastChanged(_ records: [RecordReference]) throws -> [RecordReference: Timestamp] {
        try store.read { tables in
            let sync = try SyncTables(tables)
            var times: [RecordReference: Timestamp] = [:]
            for record in records {
                if let time = try sync.lastChanged(record, in: tables) {
                    times[record] = time
                }
            }
            return times
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

    /// Every link of `pair`, in key order of the left record: what an audit reads back.
    public func links(pair: String) throws -> [(left: RecordReference, right: RecordReference)] {
        try store.read { tables in
            let sync = try SyncTables(tables)
            // Pair keys are pair, NUL, left reference, NUL, field: one link per run of keys.
            var lefts: [RecordReference] = []
            let prefix = Array(pair.utf8) + [0]
            try tables.forEach(in: sync.pairs, withPrefix: prefix) { key, _ in
                let rest = key.dropFirst(prefix.count)
                guard let end = rest.firstIndex(of: 0),
                    let left = RecordReference(utf8: rest[..<end])
                else {
                    throw LedgerError(.corrupt, "a stored pair key of '\(pair)' is damaged")
                }
                if lefts.last != left {
                    lefts.append(left)
                }
                return true
            }
            return try lefts.compactMap { left in
                try sync.counterpart(of: left, on: .left, in: pair, tables: tables).map {
                    (left, $0)
                }
            }
        }
    }

    /// The live records of `set` the ledger knows, with their state, in key order.
    public func records(in set: RecordSet) throws -> [(RecordReference, RecordState)] {
        try store.read { tables in
            let sync = try SyncTables(tables)
            var references: [RecordReference] = []
            try tables.forEach(in: sync.records, withPrefix: Array("\(set)/".utf8)) { key, _ in
                guard let record = RecordReference(utf8: key) else {
                    throw LedgerError(.corrupt, "a stored record key is not a reference")
                }
                references.append(record)
                return true
            }
            var found: [(RecordReference, RecordState)] = []
            for record in references {
                if let state = try sync.record(record, in: tables), !state.isDeleted {
                    found.append((record, state))
                }
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

    /// The writes intended and not concluded, oldest first: after a crash, the calls that may
    /// or may not have reached the provider.
    public func pendingIntents() throws -> [PendingIntent] {
        try store.read { tables in
            let sync = try SyncTables(tables)
            var pending: [PendingIntent] = []
            try tables.forEach(in: sync.intents, withPrefix: []) { key, value in
                let intent = try IntentRecord(stored: value)
                guard intent.status == .pending, key.count == 8 else {
                    return true
                }
                let position = key.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                var fields = ValueObject()
                for (name, encoded) in try intent.writtenFields() {
                    fields[name] = encoded.value
                }
                let target = intent.target.split(separator: ":", maxSplits: 1).map(String.init)
                pending.append(
                    PendingIntent(
                        intent: SequenceNumber(position), record: intent.record,
                        operation: intent.operation, pair: intent.pair,
                        target: target.count == 2
                            ? RecordSet(connection: target[0], recordType: target[1]) : nil,
                        fields: fields, idempotencyKey: intent.idempotencyKey))
                return true
            }
            return pending
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

/// A write intended and not concluded.
public struct PendingIntent: Sendable, Hashable {
    /// The `writeIntended` event.
    public var intent: SequenceNumber
    /// The record written, or for a create its source.
    public var record: RecordReference
    /// Create or update.
    public var operation: WriteIntent.Operation
    /// The pair it was for.
    public var pair: String
    /// For a create, the records the new one was to join.
    public var target: RecordSet?
    /// The fields it wrote.
    public var fields: ValueObject
    /// The key sent with it.
    public var idempotencyKey: String
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

/// A conflict the ledger met on a linked field, and how its rule resolved it.
public struct FieldConflict: Sendable, Hashable {
    /// The pair.
    public var pair: String
    /// The record on the left, and its counterpart on the right.
    public var left: RecordReference
    /// The counterpart on the right.
    public var right: RecordReference
    /// The mapping's field names, left and right.
    public var leftField: String
    /// The right side's field name.
    public var rightField: String
    /// The conflict.
    public var conflict: PairFieldState.Conflict
}

extension SyncQueries {
    /// The latest conflict of every linked field that met one, pair by pair in key order.
    public func conflicts() throws -> [FieldConflict] {
        guard let configuration = try configuration()?.configuration else {
            return []
        }
        var found: [FieldConflict] = []
        for pair in configuration.pairs {
            for (left, right) in try links(pair: pair.name) {
                let states = try pairState(pair: pair.name, left: left)
                for mapping in pair.fields {
                    if let conflict = states[mapping.left]?.conflict {
                        found.append(
                            FieldConflict(
                                pair: pair.name, left: left, right: right, leftField: mapping.left,
                                rightField: mapping.right, conflict: conflict))
                    }
                }
            }
        }
        return found
    }
}
