import Ledger

/// A record that already has its counterpart in the other system, made before the ledger knew
/// of it (by hand, by an earlier tool, or by a write whose outcome was lost): link the two
/// instead of creating a second.
public struct Adoption: Sendable, Hashable, CustomStringConvertible {
    /// The pair.
    public var pair: String
    /// The record on the left.
    public var left: RecordReference
    /// The record on the right.
    public var right: RecordReference

    /// The `linked` event that adopts the counterpart.
    public var event: NewEvent {
        LinkChange(pair: pair, counterpart: right).event(left)
    }

    /// The adoption in a line.
    public var description: String { "link \(left) and \(right) in \(pair)" }
}

extension WritePlanner {
    /// The links to make before any create, from the projection alone: for each record that
    /// would get a counterpart created, a record on the other side that already carries its
    /// source reference (the value a `{id}` template field would write on the new record),
    /// and that is linked to nothing in the pair.
    ///
    /// When several records carry one reference, the first in key order is adopted; the
    /// others stay as they are, and an audit reports them as duplicates.
    public static func adoptions(in store: ProjectionStore) throws -> [Adoption] {
        try store.read { tables in
            let sync = try SyncTables(tables)
            guard let configuration = try sync.configuration(in: tables)?.configuration else {
                return []
            }
            var found: [Adoption] = []
            for pair in configuration.pairs {
                for side in Side.allCases where pair.creates(from: side) {
                    found += try adoptions(pair: pair, from: side, sync: sync, tables: tables)
                }
            }
            return found
        }
    }

    static func adoptions(
        pair: SyncPair, from side: Side, sync: SyncTables, tables: borrowing ProjectionTables
    ) throws -> [Adoption] {
        let references = pair.derived.filter {
            guard $0.side == side.opposite, case .template(let template) = $0.source else {
                return false
            }
            return template.contains("{id}")
        }
        guard !references.isEmpty else {
            return []
        }
        // The unlinked records on the other side, by the value each reference field holds.
        var carriers: [String: [String: RecordReference]] = [:]
        for record in try live(pair.records(on: side.opposite), sync: sync, tables: tables) {
            guard
                try sync.counterpart(of: record, on: side.opposite, in: pair.name, tables: tables)
                    == nil,
                let state = try sync.record(record, in: tables)
            else {
                continue
            }
            for reference in references {
                if case .string(let value)? = state.fields[reference.field]?.value,
                    !value.isEmpty, carriers[reference.field]?[value] == nil
                {
                    carriers[reference.field, default: [:]][value] = record
                }
            }
        }
        guard !carriers.isEmpty else {
            return []
        }
        var adoptions: [Adoption] = []
        var taken: Set<RecordReference> = []
        for record in try live(pair.records(on: side), sync: sync, tables: tables) {
            guard let state = try sync.record(record, in: tables),
                pair.admits(state, on: side),
                try sync.counterpart(of: record, on: side, in: pair.name, tables: tables) == nil,
                try tables.withValue(
                    in: sync.links, forKey: SyncTables.createKey(pair: pair.name, record),
                    { _ in true }) == nil
            else {
                continue
            }
            for reference in references {
                guard case .string(let value) = reference.value(for: record, state: state),
                    let carrier = carriers[reference.field]?[value],
                    taken.insert(carrier).inserted
                else {
                    continue
                }
                adoptions.append(
                    Adoption(
                        pair: pair.name, left: side == .left ? record : carrier,
                        right: side == .left ? carrier : record))
                break
            }
        }
        return adoptions
    }

    /// The records of `set` not known to be deleted, in key order.
    private static func live(
        _ set: RecordSet, sync: SyncTables, tables: borrowing ProjectionTables
    ) throws -> [RecordReference] {
        var live: [RecordReference] = []
        try tables.forEach(in: sync.records, withPrefix: Array("\(set)/".utf8)) { key, value in
            guard let record = RecordReference(utf8: key) else {
                throw LedgerError(.corrupt, "a stored record key is not a reference")
            }
            if value.first == 0 {
                live.append(record)
            }
            return true
        }
        return live
    }
}
