import Ledger

// The JSON forms `show --json`, `why --json` and the agent gateway answer with.

extension FieldState {
    /// The field as JSON: `value`, `setBy`, `origin`, `upstreamAt` when known, and `written`
    /// while the ledger's own write is the newest thing known of it.
    public var json: Value {
        var object: ValueObject = [
            "setBy": .integer(Int64(setBy.rawValue)), "origin": .string(origin.rawValue),
        ]
        object["value"] = value ?? .null
        object["upstreamAt"] = upstreamAt.map { .string($0.description) }
        if let written {
            object["written"] = [
                "value": written.value, "intent": .integer(Int64(written.intent.rawValue)),
                "awaitingEcho": .bool(written.isOpen),
            ]
        }
        return .object(object)
    }
}

extension PairFieldState.Conflict {
    /// The conflict as JSON: both values with the events that set them, the rule and how it
    /// resolved them.
    public var json: Value {
        [
            "at": .integer(Int64(at.rawValue)), "left": left ?? .null,
            "leftSetBy": .integer(Int64(leftSetBy.rawValue)), "right": right ?? .null,
            "rightSetBy": .integer(Int64(rightSetBy.rawValue)), "rule": .string(rule.description),
            "resolution": .string(resolution),
        ]
    }
}

extension FieldExplanation {
    /// The explanation as JSON: the record, the field, its state, the chain and the links.
    public var json: Value {
        [
            "record": .string(record.description), "field": .string(field), "state": state.json,
            "chain": .array(chain.map(\.json)), "links": .array(links.map(\.json)),
        ]
    }
}

extension FieldExplanation.Step {
    /// The step as JSON: its role, the event's position, kind, record and times, and the
    /// summary.
    public var json: Value {
        [
            "role": .string(role), "event": .integer(Int64(event.sequence.rawValue)),
            "kind": .string(event.kind.description),
            "record": event.record.map { .string($0.description) } ?? .null,
            "recordedAt": .string(event.recordedAt.description),
            "upstreamAt": event.upstreamAt.map { .string($0.description) } ?? .null,
            "summary": .string(summary),
        ]
    }
}

extension FieldExplanation.Link {
    /// The link as JSON: the counterpart and its field, the rule, the last agreement, what is
    /// still to be written on each side, and the latest conflict.
    public var json: Value {
        var object: ValueObject = [
            "pair": .string(pair), "counterpart": .string(counterpart.description),
            "counterpartField": .string(counterpartField), "rule": .string(rule.description),
            "agreedAt": .integer(Int64(state.agreedAt.rawValue)),
            "toWrite": .object(
                ValueObject(
                    state.desired.map { side, desired in
                        (
                            side.rawValue,
                            [
                                "value": desired.value, "rule": .string(desired.rule.description),
                                "basis": .integer(Int64(desired.basis.rawValue)),
                            ] as Value
                        )
                    })),
        ]
        object["conflict"] = state.conflict?.json
        return .object(object)
    }
}
