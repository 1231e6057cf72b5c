import Ledger

/// Why a field holds its value: the chain of events behind it, read from the projection's
/// index and the log, never by searching the log.
public struct FieldExplanation: Sendable {
    /// The record.
    public var record: RecordReference
    /// The field's name.
    public var field: String
    /// What the ledger knows of the field.
    public var state: FieldState
    /// From the value back to where it began: the observation that set it and, when it is an
    /// echo, the ledger's intent, its outcome and the change the intent carried.
    public var chain: [Step]
    /// For each pair the record is linked in: the counterpart and what the pair knows of the
    /// field (agreement, wanted values, the latest conflict).
    public var links: [Link]

    /// One event in the chain.
    public struct Step: Sendable {
        /// What the event is to this field: `observed`, `echo`, `intent`, `outcome`, `source`.
        public var role: String
        /// The event.
        public var event: Event
        /// A line about it for people.
        public var summary: String
    }

    /// The field's place in one pair.
    public struct Link: Sendable {
        /// The pair.
        public var pair: String
        /// The linked record on the other side.
        public var counterpart: RecordReference
        /// The mapped field there.
        public var counterpartField: String
        /// The rule for the field.
        public var rule: AuthorityRule
        /// The pair's state for the field.
        public var state: PairFieldState
    }
}

/// Answers `why` and `show` questions from the sync projection and the log.
public struct Provenance: Sendable {
    /// The projection read.
    public let store: ProjectionStore
    /// The log its events are read from.
    public let log: EventLog

    /// Reads `store` (a ``SyncProjection``) and `log`.
    public init(store: ProjectionStore, log: EventLog) {
        self.store = store
        self.log = log
    }

    /// The chain behind `field` of `record`; `nil` when the ledger knows no such field.
    public func explain(_ record: RecordReference, field: String) throws -> FieldExplanation? {
        let queries = SyncQueries(store)
        guard let state = try queries.record(record)?.fields[field], state.setBy != .zero else {
            return nil
        }
        var chain: [FieldExplanation.Step] = []
        let observation = try event(at: state.setBy)
        let source = (try? Observation(observation))?.source ?? observation.kind.description
        if state.origin == .echo, let written = state.written {
            chain.append(
                .init(
                    role: "echo", event: observation,
                    summary: "\(source) report of \(record) confirmed the ledger's own write"))
            chain += try intentSteps(written.intent, field: field)
        } else {
            chain.append(
                .init(
                    role: "observed", event: observation,
                    summary: "\(source) report: the value was changed in \(record.connection)"))
        }

        var links: [FieldExplanation.Link] = []
        if let configuration = try queries.configuration()?.configuration {
            for (pairName, counterpart) in try queries.counterparts(of: record) {
                guard let pair = configuration.pair(named: pairName),
                    let side = pair.side(of: record),
                    let mapping = pair.fields.first(where: { $0.field(on: side) == field })
                else {
                    continue
                }
                let left = side == .left ? record : counterpart
                let pairState =
                    try queries.pairState(pair: pairName, left: left)[mapping.left]
                    ?? PairFieldState()
                links.append(
                    .init(
                        pair: pairName, counterpart: counterpart,
                        counterpartField: mapping.field(on: side.opposite),
                        rule: mapping.authority, state: pairState))
            }
        }
        return FieldExplanation(
            record: record, field: field, state: state, chain: chain, links: links)
    }

    /// The intent at `sequence`, its outcome, and the change it carried.
    private func intentSteps(_ sequence: SequenceNumber, field: String) throws
        -> [FieldExplanation.Step]
    {
        let intentEvent = try event(at: sequence)
        let intent = try WriteIntent(intentEvent)
        let decision = intent.decisions[field]
        var steps: [FieldExplanation.Step] = [
            .init(
                role: "intent", event: intentEvent,
                summary: "pair \(intent.pair) \(intent.operation.rawValue)"
                    + (decision.map { " by rule \($0.rule)" } ?? "")
                    + ", idempotency key \(intent.idempotencyKey)")
        ]
        if let status = try SyncQueries(store).intent(at: sequence), let outcome = status.outcome {
            steps.append(
                .init(
                    role: "outcome", event: try event(at: outcome),
                    summary: "the write \(status.status)"))
        } else {
            steps.append(
                .init(
                    role: "outcome", event: intentEvent,
                    summary: "no outcome recorded yet: the write is in doubt"))
        }
        if let decision {
            let basis = try event(at: decision.basis)
            let summary: String
            if basis.kind == .observed, let record = basis.record {
                summary =
                    "the change it carried: \(record) reported by "
                    + ((try? Observation(basis))?.source ?? "an observation")
            } else if basis.kind == .deleted, let record = basis.record {
                summary =
                    "the deletion it answered: \(record) reported deleted by "
                    + (basis.body["source"]?.stringValue ?? "an event")
                    + "; the pair's onDelete policy acts on its counterpart"
            } else if basis.kind == .agentActed, let action = try? AgentAction(basis) {
                summary =
                    "the change it carried: proposed by \(action.principal)"
                    + (action.actsFor.map { " for \($0)" } ?? "")
                    + " through \(action.tool), allowed by rule \(action.rule)"
            } else {
                summary = "the \(basis.kind) event that decided it"
            }
            steps.append(.init(role: "source", event: basis, summary: summary))
        }
        return steps
    }

    private func event(at sequence: SequenceNumber) throws -> Event {
        guard let event = try log.event(at: sequence) else {
            throw LedgerError(
                .corrupt, "the projection names event \(sequence), which the log does not hold")
        }
        return event
    }
}
