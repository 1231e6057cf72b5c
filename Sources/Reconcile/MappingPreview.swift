import Ledger

/// What a pair's mapping would write to the other side for one record, field by field: the
/// answer to "what will this ticket become in Jira?" before anything is written.
public struct MappingPreview: Sendable, Hashable {
    /// The pair.
    public var pair: String
    /// The side the record is on.
    public var side: Side
    /// The records it would be written to.
    public var target: RecordSet
    /// Whether the pair's filter admits the record.
    public var admitted: Bool
    /// Whether records on this side get counterparts created.
    public var creates: Bool
    /// One row per mapped field the record holds, then one per constant or template.
    public var rows: [Row]

    /// One field's way across.
    public struct Row: Sendable, Hashable {
        /// The field on the record's side, or `constant` / `template` for a derived field.
        public var from: String
        /// Its value there; `nil` for a derived field.
        public var value: Value?
        /// The field on the other side.
        public var to: String
        /// What would be written, or why nothing would.
        public var outcome: Outcome
        /// The rule that decides the field.
        public var rule: AuthorityRule
    }

    /// What the mapping does with one field.
    public enum Outcome: Sendable, Hashable {
        /// This value would be written.
        case writes(Value)
        /// The value cannot be carried; the reason says why.
        case fails(String)
        /// The rule lets only the other side decide this field.
        case ownedByOtherSide
    }

    /// The preview of `record` (in state `state`) through `pair`; `nil` when the record is on
    /// neither side of the pair.
    public init?(pair: SyncPair, record: RecordReference, state: RecordState) {
        guard let side = pair.side(of: record) else {
            return nil
        }
        self.pair = pair.name
        self.side = side
        target = pair.records(on: side.opposite)
        admitted = pair.admits(state, on: side)
        creates = pair.creates(from: side)
        var rows: [Row] = []
        for mapping in pair.fields {
            guard let field = state.fields[mapping.field(on: side)], let value = field.value else {
                continue
            }
            let outcome: Outcome
            if mapping.authority == .owner(side.opposite) {
                outcome = .ownedByOtherSide
            } else {
                do {
                    outcome = .writes(try mapping.carry(value, from: side))
                } catch {
                    outcome = .fails(error.reason)
                }
            }
            rows.append(
                Row(
                    from: mapping.field(on: side), value: value,
                    to: mapping.field(on: side.opposite), outcome: outcome,
                    rule: mapping.authority))
        }
        for derived in pair.derived where derived.side == side.opposite {
            let kind =
                switch derived.source {
                case .constant: "constant"
                case .template: "template"
                }
            rows.append(
                Row(
                    from: kind, value: nil, to: derived.field,
                    outcome: .writes(derived.value(for: record, state: state)),
                    rule: .owner(side)))
        }
        self.rows = rows
    }
}
