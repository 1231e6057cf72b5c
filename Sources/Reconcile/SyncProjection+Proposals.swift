import Ledger

extension SyncTables {
    /// Folds an agent's allowed proposal: for each pair the record is linked in, each proposed
    /// field is decided by authority as a change made on the record's side, and the record
    /// itself is wanted to hold the value too, so the planner writes both systems. Calls that
    /// carry no change (reads, denials) project nothing.
    ///
    /// A field whose authority gives it to the other side is overruled here as it would be for
    /// any change; the gateway refuses such proposals before they are recorded.
    func propose(
        _ event: Event, configuration: SyncConfiguration?, in tables: borrowing ProjectionTables
    ) throws {
        let action = try AgentAction(event)
        guard let change = action.change, let record = event.record, let configuration else {
            return
        }
        let entry = try self.entry(record, in: tables)
        for pair in configuration.pairs {
            guard let side = pair.side(of: record),
                let counterpart = try self.counterpart(
                    of: record, on: side, in: pair.name, tables: tables)
            else {
                continue
            }
            let left = side == .left ? record : counterpart
            let prefix = Self.pairPrefix(pair: pair.name, left: left)
            let counterpartEntry = try self.entry(counterpart, in: tables)
            for mapping in pair.fields {
                let name = mapping.field(on: side)
                guard let value = change[name] else {
                    continue
                }
                let key = prefix + Array(mapping.left.utf8)
                var state =
                    try tables.withValue(in: pairs, forKey: key) { try PairFieldState(stored: $0) }
                    ?? PairFieldState()
                let proposed = FieldState(
                    value: value, setBy: event.sequence, upstreamAt: event.recordedAt,
                    origin: .observed)
                Authority.decide(
                    mapping, changedOn: side, changed: proposed,
                    other: try counterpartEntry?.field(mapping.field(on: side.opposite))?.state(),
                    state: &state, at: event.sequence)
                let holds = try entry?.field(name)?.state().value
                if state.desired[side] == nil, !EchoRule.matches(holds, value) {
                    state.desired[side] = PairFieldState.Desired(
                        value: value, rule: mapping.authority, basis: event.sequence)
                }
                try tables.put(state.stored, forKey: key, in: pairs)
            }
        }
    }
}
