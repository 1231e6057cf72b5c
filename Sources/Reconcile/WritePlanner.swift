import Ledger

/// One write that would bring a record to what its pair wants it to hold.
public struct PlannedWrite: Sendable, Hashable, CustomStringConvertible {
    /// For an update, the record to write; for a create, the source record whose counterpart
    /// is created.
    public var record: RecordReference
    /// What to write and why; its ``WriteIntent/event(_:causation:id:)`` is the intent to
    /// append before writing.
    public var intent: WriteIntent

    /// The write in a line: what, where, which fields.
    public var description: String {
        let fields = intent.fields.map { "\($0.key)=\($0.value.json)" }.joined(separator: " ")
        switch intent.operation {
        case .update: return "update \(record): \(fields)"
        case .create: return "create in \(intent.target!) for \(record): \(fields)"
        }
    }
}

/// Turns the sync projection into the writes that would bring every destination to its
/// desired state: a create for a record without a counterpart, an update of only the fields
/// that differ, or nothing.
///
/// Pure: a function of the projection's tables alone. A field already written and awaiting its
/// echo is not written again, and neither is a create already intended.
public enum WritePlanner {
    /// Every write the configuration in force calls for, pair by pair, in key order.
    public static func plan(in store: ProjectionStore) throws -> [PlannedWrite] {
        try store.read { tables in
            try plan(in: tables)
        }
    }

    /// Every write the configuration in force calls for, in `tables`.
    public static func plan(in tables: borrowing ProjectionTables) throws -> [PlannedWrite] {
        let sync = try SyncTables(tables)
        guard let configuration = try sync.configuration(in: tables)?.configuration else {
            return []
        }
        var writes: [PlannedWrite] = []
        for pair in configuration.pairs {
            // Pair keys are pair, NUL, left reference, NUL, field: one link per run of keys.
            var lefts: [RecordReference] = []
            var last: [UInt8] = []
            let prefix = Array(pair.name.utf8) + [0]
            try tables.forEach(in: sync.pairs, withPrefix: prefix) { key, _ in
                let rest = key.dropFirst(prefix.count)
                guard let end = rest.firstIndex(of: 0) else {
                    throw LedgerError(.corrupt, "a stored pair key of '\(pair.name)' is damaged")
                }
                // Each link has one key per field; its reference is read once.
                guard !last.elementsEqual(rest[..<end]) else {
                    return true
                }
                guard let left = RecordReference(utf8: rest[..<end]) else {
                    throw LedgerError(.corrupt, "a stored pair key of '\(pair.name)' is damaged")
                }
                last = Array(rest[..<end])
                lefts.append(left)
                return true
            }
            for left in lefts {
                writes += try updates(pair: pair, left: left, sync: sync, tables: tables)
            }
            for side in Side.allCases where pair.creates(from: side) {
                writes += try creates(pair: pair, from: side, sync: sync, tables: tables)
            }
        }
        return writes
    }

    /// The updates one linked pair of records needs: at most one per side.
    public static func updates(
        pair: SyncPair, left: RecordReference, in tables: borrowing ProjectionTables
    ) throws -> [PlannedWrite] {
        try updates(pair: pair, left: left, sync: try SyncTables(tables), tables: tables)
    }

    static func updates(
        pair: SyncPair, left: RecordReference, sync: SyncTables,
        tables: borrowing ProjectionTables
    ) throws -> [PlannedWrite] {
        guard
            let right = try sync.counterpart(of: left, on: .left, in: pair.name, tables: tables)
        else {
            return []
        }
        let records = [left, right]
        let deletions = try records.map { record in
            try sync.deletedBy(record, in: tables).flatMap { $0 == 0 ? nil : SequenceNumber($0) }
        }
        for (index, side) in Side.allCases.enumerated() {
            if let deletedBy = deletions[index] {
                // A link with a deleted side carries no more changes; its policy acts once.
                guard deletions[1 - index] == nil else {
                    return []
                }
                let survivor = records[1 - index]
                let state = try sync.record(survivor, fields: deletionFields, in: tables)
                return deletion(
                    pair: pair, survivor: survivor, on: side.opposite, state: state,
                    deletedBy: deletedBy
                ).map { [$0] } ?? []
            }
        }
        let fields = try sync.pairState(pair: pair.name, left: left, in: tables)
        var writes: [PlannedWrite] = []
        for (side, destination) in zip(Side.allCases, records) {
            // A pair in step desires nothing: its records' fields are not read at all.
            let wanted = pair.fields.filter { fields[$0.left]?.desired[side] != nil }
            guard !wanted.isEmpty else {
                continue
            }
            let state = try sync.record(
                destination, fields: wanted.map { $0.field(on: side) }, in: tables)
            var values = ValueObject()
            var decisions: [String: WriteIntent.Decision] = [:]
            for mapping in wanted {
                guard let desired = fields[mapping.left]?.desired[side] else {
                    continue
                }
                let name = mapping.field(on: side)
                let current = state.fields[name]
                if EchoRule.matches(current?.value, desired.value) {
                    continue
                }
                if let written = current?.written, written.isOpen,
                    EchoRule.matches(written.value, desired.value)
                {
                    continue
                }
                values[name] = desired.value
                decisions[name] = WriteIntent.Decision(rule: desired.rule, basis: desired.basis)
            }
            guard !values.isEmpty else {
                continue
            }
            let basis = decisions.values.map(\.basis).max()!
            writes.append(
                PlannedWrite(
                    record: destination,
                    intent: WriteIntent(
                        pair: pair.name, operation: .update, fields: values,
                        idempotencyKey: "syncledger:\(pair.name):\(destination):\(basis)",
                        decisions: decisions)))
        }
        return writes
    }

    /// The fields a deletion policy reads and writes, whichever the system.
    static let deletionFields = ["status", "labels", "tags"]

    /// The write `pair`'s deletion policy makes to `survivor` (on `side`) once its
    /// counterpart was deleted by the event `deletedBy`: at most one, and only while nothing
    /// newer than the deletion is known of the field it writes, so that a person who reopens
    /// or untags the record afterwards is not overruled.
    static func deletion(
        pair: SyncPair, survivor: RecordReference, on side: Side, state: RecordState,
        deletedBy: SequenceNumber
    ) -> PlannedWrite? {
        let isIssue = survivor.recordType == "issue"
        let name: String
        let value: Value
        switch pair.onDelete {
        case .ignore:
            return nil
        case .close:
            guard isIssue || survivor.recordType == "ticket" else {
                return nil
            }
            name = "status"
            let current = state.fields[name]?.value?.stringValue
            if isIssue ? current == "Done" : ["solved", "closed"].contains(current) {
                return nil
            }
            value = .string(isIssue ? "Done" : "solved")
        case .tag:
            name = isIssue ? "labels" : "tags"
            let current = state.fields[name]?.value?.arrayValue ?? []
            let tag = Value.string(SyncPair.deletedTag)
            if current.contains(tag) {
                return nil
            }
            value = .array(current + [tag])
        }
        if let field = state.fields[name], field.setBy > deletedBy {
            return nil
        }
        if let written = state.fields[name]?.written, written.isOpen,
            EchoRule.matches(written.value, value)
        {
            return nil
        }
        return PlannedWrite(
            record: survivor,
            intent: WriteIntent(
                pair: pair.name, operation: .update, fields: [name: value],
                idempotencyKey: "syncledger:\(pair.name):\(survivor):deleted:\(deletedBy)",
                decisions: [
                    name: WriteIntent.Decision(rule: .owner(side.opposite), basis: deletedBy)
                ]))
    }

    /// The creates the records of `side` need: one per live record that the pair's filter
    /// admits, without a counterpart and without a create already intended.
    static func creates(
        pair: SyncPair, from side: Side, sync: SyncTables, tables: borrowing ProjectionTables
    ) throws -> [PlannedWrite] {
        let source = pair.records(on: side)
        var live: [RecordReference] = []
        try tables.forEach(in: sync.records, withPrefix: Array("\(source)/".utf8)) { key, value in
            guard let record = RecordReference(utf8: key) else {
                throw LedgerError(.corrupt, "a stored record key is not a reference")
            }
            if value.first == 0 {
                live.append(record)
            }
            return true
        }
        var writes: [PlannedWrite] = []
        for record in live where try !isLinkedOrPending(record, on: side, in: pair, sync, tables) {
            // A linked record, the most of them once a pair is in step, is passed over without
            // reading its fields.
            if let state = try sync.record(record, in: tables),
                state.fields.values.contains(where: { $0.setBy != .zero }),
                pair.admits(state, on: side)
            {
                writes.append(create(pair: pair, from: side, for: record, state: state))
            }
        }
        return writes
    }

    /// Whether `record` has a counterpart in `pair`, or a create of one intended.
    private static func isLinkedOrPending(
        _ record: RecordReference, on side: Side, in pair: SyncPair, _ sync: SyncTables,
        _ tables: borrowing ProjectionTables
    ) throws -> Bool {
        if try sync.counterpart(of: record, on: side, in: pair.name, tables: tables) != nil {
            return true
        }
        return try tables.withValue(
            in: sync.links, forKey: SyncTables.createKey(pair: pair.name, record)
        ) { _ in true } ?? false
    }

    /// The create `record` (on `side`) needs, if any: none when it is deleted, outside the
    /// pair's filter, linked, or has a create intended already.
    public static func create(
        pair: SyncPair, for record: RecordReference, in tables: borrowing ProjectionTables
    ) throws -> PlannedWrite? {
        let sync = try SyncTables(tables)
        guard let side = pair.side(of: record), pair.creates(from: side),
            try !isLinkedOrPending(record, on: side, in: pair, sync, tables),
            let state = try sync.record(record, in: tables), !state.isDeleted,
            pair.admits(state, on: side)
        else {
            return nil
        }
        return create(pair: pair, from: side, for: record, state: state)
    }

    /// The create of `record`, known to be unlinked with no create intended, from its `state`.
    static func create(
        pair: SyncPair, from side: Side, for record: RecordReference, state: RecordState
    ) -> PlannedWrite {
        var values = ValueObject()
        var decisions: [String: WriteIntent.Decision] = [:]
        for mapping in pair.fields {
            guard let field = state.fields[mapping.field(on: side)], let value = field.value else {
                continue
            }
            let name = mapping.field(on: side.opposite)
            guard let carried = try? mapping.carry(value, from: side) else {
                // A value without a counterpart is left out of the new record, as it is left
                // out of updates; the pair's field state records why.
                continue
            }
            values[name] = carried
            decisions[name] = WriteIntent.Decision(rule: mapping.authority, basis: field.setBy)
        }
        for derived in pair.derived where derived.side == side.opposite {
            values[derived.field] = derived.value(for: record, state: state)
            decisions[derived.field] = WriteIntent.Decision(rule: .owner(side), basis: .zero)
        }
        return PlannedWrite(
            record: record,
            intent: WriteIntent(
                pair: pair.name, operation: .create, fields: values,
                idempotencyKey: "syncledger:\(pair.name):create:\(record)",
                decisions: decisions, target: pair.records(on: side.opposite)))
    }
}
