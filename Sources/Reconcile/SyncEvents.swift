import Ledger

/// The bodies of the events the sync projection reads, as Swift values, with builders for the
/// events that carry them. `docs/events.md` lists each body member by member.

/// An `observed` event: a system reported some fields of a record.
public struct Observation: Sendable, Hashable {
    /// Where the report came from: `poll`, `webhook`, `audit`, `writeResponse` or `agent`.
    public var source: String
    /// The fields reported. Fields not listed keep their values: a report may be partial.
    public var fields: ValueObject

    /// Creates an observation.
    public init(source: String, fields: ValueObject) {
        self.source = source
        self.fields = fields
    }

    /// The event to append for `record`, reported upstream at `upstreamAt`.
    public func event(
        _ record: RecordReference, upstreamAt: Timestamp?, id: EventID = .generate()
    ) -> NewEvent {
        NewEvent(
            id: id, kind: .observed, record: record, upstreamAt: upstreamAt,
            body: ["source": .string(source), "fields": .object(fields)])
    }

    /// Reads the body of an `observed` event.
    public init(_ event: Event) throws {
        let body = BodyReader(event)
        source = try body.string("source")
        fields = try body.object("fields")
    }
}

/// A `linked` or `unlinked` event: a record on the left of a pair is (or is no longer) the
/// counterpart of one on the right. The event's record is the left one.
public struct LinkChange: Sendable, Hashable {
    /// The pair's name.
    public var pair: String
    /// The record on the right.
    public var counterpart: RecordReference

    /// Creates a link change.
    public init(pair: String, counterpart: RecordReference) {
        self.pair = pair
        self.counterpart = counterpart
    }

    /// The `linked` (or, with `unlinking`, `unlinked`) event for `left`.
    public func event(
        _ left: RecordReference, unlinking: Bool = false, causation: [EventID] = [],
        id: EventID = .generate()
    ) -> NewEvent {
        NewEvent(
            id: id, kind: unlinking ? .unlinked : .linked, record: left, causation: causation,
            body: ["pair": .string(pair), "counterpart": .string(counterpart.description)])
    }

    /// Reads the body of a `linked` or `unlinked` event.
    public init(_ event: Event) throws {
        let body = BodyReader(event)
        pair = try body.string("pair")
        counterpart = try body.reference("counterpart")
    }
}

/// A `writeIntended` event: the ledger is about to write fields to a record, or to create one.
///
/// For an update the event's record is the record written; for a create it is the source
/// record whose counterpart is being created, and ``target`` names where.
public struct WriteIntent: Sendable, Hashable {
    /// Whether the write updates a record or creates one.
    public enum Operation: String, Sendable, Hashable {
        case update
        case create
    }

    /// The pair whose mapping decided the write.
    public var pair: String
    /// Update or create.
    public var operation: Operation
    /// The fields to write, as the destination spells them.
    public var fields: ValueObject
    /// The key the connector sends so that a retried write is applied once.
    public var idempotencyKey: String
    /// For each field, the rule that decided its value and the event behind it.
    public var decisions: [String: Decision]
    /// For a create, where the record is created.
    public var target: RecordSet?

    /// Why one field is written.
    public struct Decision: Sendable, Hashable {
        /// The rule that decided the value.
        public var rule: AuthorityRule
        /// The event whose value the write carries.
        public var basis: SequenceNumber

        /// Creates a decision.
        public init(rule: AuthorityRule, basis: SequenceNumber) {
            self.rule = rule
            self.basis = basis
        }
    }

    /// Creates an intent.
    public init(
        pair: String, operation: Operation, fields: ValueObject, idempotencyKey: String,
        decisions: [String: Decision], target: RecordSet? = nil
    ) {
        self.pair = pair
        self.operation = operation
        self.fields = fields
        self.idempotencyKey = idempotencyKey
        self.decisions = decisions
        self.target = target
    }

    /// The event to append for `record`.
    public func event(
        _ record: RecordReference, causation: [EventID] = [], id: EventID = .generate()
    ) -> NewEvent {
        var body: ValueObject = [
            "pair": .string(pair), "operation": .string(operation.rawValue),
            "fields": .object(fields), "idempotencyKey": .string(idempotencyKey),
            "decisions": .object(
                ValueObject(
                    decisions.map { name, decision in
                        (
                            name,
                            [
                                "rule": .string(decision.rule.description),
                                "basis": .sequence(decision.basis),
                            ] as Value
                        )
                    })),
        ]
        if let target {
            body["target"] = target.value
        }
        return NewEvent(
            id: id, kind: .writeIntended, record: record, causation: causation,
            body: .object(body))
    }

    /// Reads the body of a `writeIntended` event.
    public init(_ event: Event) throws {
        let body = BodyReader(event)
        pair = try body.string("pair")
        guard let operation = Operation(rawValue: try body.string("operation")) else {
            throw body.damaged("operation", "expected update or create")
        }
        self.operation = operation
        fields = try body.object("fields")
        idempotencyKey = try body.string("idempotencyKey")
        var decisions: [String: Decision] = [:]
        for (name, decision) in try body.object("decisions") {
            guard case .string(let ruleName)? = decision["rule"],
                let rule = AuthorityRule(ruleName),
                case .integer(let basis)? = decision["basis"]
            else {
                throw body.damaged("decisions.\(name)", "expected a rule and a basis")
            }
            decisions[name] = Decision(rule: rule, basis: SequenceNumber(UInt64(basis)))
        }
        self.decisions = decisions
        if let target = body.optional("target") {
            do {
                self.target = try RecordSet(value: target, path: "target")
            } catch {
                throw body.damaged("target", error.reason)
            }
        } else if operation == .create {
            throw body.damaged("target", "a create names where it creates")
        }
    }
}

/// A `writeSucceeded` or `writeFailed` event: how a write intended earlier ended.
public struct WriteOutcome: Sendable, Hashable {
    /// The position of the `writeIntended` event.
    public var intent: SequenceNumber
    /// For a create that succeeded, the record created.
    public var created: RecordReference?
    /// For a failure, what went wrong.
    public var error: String?

    /// A success.
    public static func succeeded(intent: SequenceNumber, created: RecordReference? = nil)
        -> WriteOutcome
    {
        WriteOutcome(intent: intent, created: created, error: nil)
    }

    /// A failure.
    public static func failed(intent: SequenceNumber, error: String) -> WriteOutcome {
        WriteOutcome(intent: intent, created: nil, error: error)
    }

    /// Whether the write succeeded.
    public var succeeded: Bool { error == nil }

    /// The event to append for `record` (the intent's record).
    public func event(
        _ record: RecordReference, causation: [EventID] = [], id: EventID = .generate()
    ) -> NewEvent {
        var body: ValueObject = ["intent": .sequence(intent)]
        body["created"] = created.map { .string($0.description) }
        body["error"] = error.map { .string($0) }
        return NewEvent(
            id: id, kind: succeeded ? .writeSucceeded : .writeFailed, record: record,
            causation: causation, body: .object(body))
    }

    /// Reads the body of a `writeSucceeded` or `writeFailed` event.
    public init(_ event: Event) throws {
        let body = BodyReader(event)
        intent = try body.sequence("intent")
        created = body.optional("created") == nil ? nil : try body.reference("created")
        error = event.kind == .writeFailed ? try body.string("error") : nil
    }

    private init(intent: SequenceNumber, created: RecordReference?, error: String?) {
        self.intent = intent
        self.created = created
        self.error = error
    }
}

/// Reads an event's body member by member, naming the event and member in every error.
///
/// Members stay encoded until asked for, so reading two members of a large body decodes only
/// those two.
struct BodyReader {
    let members: [(key: String, value: EncodedValue)]
    let event: Event

    init(_ event: Event) {
        self.event = event
        self.members = event.encodedBody.members ?? []
    }

    func damaged(_ member: String, _ reason: String) -> LedgerError {
        LedgerError(
            .invalidEvent,
            "\(event.kind) event \(event.sequence): body member '\(member)': \(reason)")
    }

    func encodedMember(_ name: String) -> EncodedValue? {
        members.first { $0.key == name }?.value
    }

    func optional(_ name: String) -> Value? {
        encodedMember(name)?.value
    }

    /// The members of the object `name`, still encoded.
    func encodedObject(_ name: String) throws -> [(key: String, value: EncodedValue)] {
        guard let members = encodedMember(name)?.members else {
            throw damaged(name, "expected an object")
        }
        return members
    }

    /// The string `name`, or `nil` when it is missing or not a non-empty string.
    func encodedString(_ name: String) throws -> String? {
        guard case .string(let text)? = optional(name), !text.isEmpty else {
            return nil
        }
        return text
    }

    func requiredString(_ name: String) throws -> String {
        try string(name)
    }

    func string(_ name: String) throws -> String {
        guard let text = try encodedString(name) else {
            throw damaged(name, "expected a non-empty string")
        }
        return text
    }

    func object(_ name: String) throws -> ValueObject {
        guard case .object(let members)? = optional(name) else {
            throw damaged(name, "expected an object")
        }
        return members
    }

    func sequence(_ name: String) throws -> SequenceNumber {
        guard case .integer(let number)? = optional(name), number > 0 else {
            throw damaged(name, "expected a positive log position")
        }
        return SequenceNumber(UInt64(number))
    }

    func reference(_ name: String) throws -> RecordReference {
        guard let reference = RecordReference(try string(name)) else {
            throw damaged(name, "expected a record reference connection:type/id")
        }
        return reference
    }
}
