import Engine
import Ledger
import Reconcile

extension AgentGateway {
    /// Checks a proposed change against the pairs and their authority, and against the
    /// connection's share of quota for agents; allowed, the answer carries the change to
    /// record.
    func propose(
        _ request: ToolRequest, record: RecordReference, state: RecordState, decision: Decision
    ) throws -> Answer {
        if state.isDeleted {
            return Answer(
                decision: Decision(
                    allowed: false, rule: "records",
                    reason: "\(record) is deleted in \(record.connection)"))
        }
        let queries = SyncQueries(store)
        let configuration = try queries.configuration()?.configuration
        let linked = try queries.counterparts(of: record)
        for (name, value) in request.fields {
            var carried = false
            for (pairName, _) in linked {
                guard let pair = configuration?.pair(named: pairName),
                    let side = pair.side(of: record),
                    let mapping = pair.fields.first(where: { $0.field(on: side) == name })
                else {
                    continue
                }
                if case .owner(let owner) = mapping.authority, owner != side {
                    return Answer(
                        decision: Decision(
                            allowed: false, rule: "authority",
                            reason: "pair \(pairName) gives \(name) to its \(owner.rawValue) side "
                                + "(rule \(mapping.authority)); change it there"))
                }
                do {
                    _ = try mapping.carry(value, from: side)
                } catch {
                    return Answer(
                        decision: Decision(
                            allowed: false, rule: "mapping",
                            reason: "pair \(pairName) cannot carry that value of \(name): \(error)"
                        ))
                }
                carried = true
            }
            guard carried else {
                return Answer(
                    decision: Decision(
                        allowed: false, rule: "pairs",
                        reason: "\(name) of \(record) is not synced by a pair it is linked in; "
                            + "changes reach the systems through pairs"))
            }
        }
        if let refusal = try connectionAllowance(record.connection) {
            return refusal
        }
        return Answer(decision: decision, change: request.fields)
    }

    /// What a recorded proposal led to: the writes the next sync will make for it.
    func proposalResult(_ request: ToolRequest, at event: SequenceNumber) throws -> Value {
        guard let record = request.record else {
            return .null
        }
        let queries = SyncQueries(store)
        let configuration = try queries.configuration()?.configuration
        var writes: [Value] = []
        for (pairName, counterpart) in try queries.counterparts(of: record) {
            guard let pair = configuration?.pair(named: pairName),
                let side = pair.side(of: record)
            else {
                continue
            }
            let left = side == .left ? record : counterpart
            let planned = try store.read { tables in
                try WritePlanner.updates(pair: pair, left: left, in: tables)
            }
            for write in planned
            where write.intent.decisions.values.contains(where: {
                $0.basis == event
            }) {
                writes.append(.string(write.description))
            }
        }
        return [
            "event": .integer(Int64(event.rawValue)), "status": "recorded",
            "plannedWrites": .array(writes),
            "note": "the next sync writes these; syncledger why shows the change's chain",
        ]
    }

    /// A refusal when agents have spent their share of `connection`'s remaining quota in the
    /// provider's current window, as the sync last read it; `nil` when there is room, or no
    /// reading to go by.
    func connectionAllowance(_ connection: String) throws -> Answer? {
        let share = decisions.policy.agentShare
        guard let reading = BudgetSnapshot.read(ledger: ledger)?.readings[connection],
            let resetsAt = reading.resetsAt
        else {
            return nil
        }
        let time = now()
        guard resetsAt > time else {
            return nil
        }
        let allowance = Int((Double(reading.remaining) * share).rounded(.down))
        var spent = 0
        let start = try log.lastSequence(recordedAtOrBefore: reading.observedAt)
        try log.scanInPlace(from: start.next) { view in
            if view.kind == .agentActed, view.record?.connection == connection,
                try view.event().body["change"] != nil
            {
                spent += 1
            }
            return true
        }
        guard spent >= allowance else {
            return nil
        }
        let wait = Duration.microseconds(resetsAt.microseconds - time.microseconds)
        return Answer(
            decision: Decision(
                allowed: false, rule: "agentShare",
                reason: "agents have used their share (\(share)) of \(connection)'s quota: "
                    + "\(spent) of \(allowance) changes in this window; try again in "
                    + wait.compactDescription),
            retryAfter: wait)
    }
}
