import Ledger

/// The projection a sync runs on: every record's fields with their provenance, the links
/// between records, what each linked record should hold, the conflicts met, and the writes the
/// ledger has intended and how they ended.
///
/// Tables (keys are UTF-8 unless said otherwise; values are canonical ``Value`` bytes):
/// - `config`: `current` → the configuration in force and the event that applied it;
/// - `records`: `connection:type/id` → ``RecordState``;
/// - `links`: pair, NUL, `L` or `R`, reference → the counterpart's reference; pair, NUL, `C`,
///   reference → the position of a create intended for that record and not yet concluded;
/// - `pairs`: pair, NUL, left reference → the state of each mapped field (``PairFieldState``);
/// - `intents`: the intent's position (8 bytes, big-endian) → the intent and its outcome.
public struct SyncProjection: Projection {
    /// The fold's name and version.
    public let identity = "syncledger.sync/1"
    /// The tables listed above.
    public let tableNames = ["config", "records", "links", "pairs", "intents"]

    /// When set, every write intent is compared with today's plan before it is applied.
    public let planCheck: PlanCheck?

    /// Creates the projection; with `planCheck`, as a replay that checks plans.
    public init(planCheck: PlanCheck? = nil) {
        self.planCheck = planCheck
    }

    /// Applies each event by kind; kinds that project nothing here are passed over.
    public func apply(_ events: [Event], to tables: borrowing ProjectionTables) throws {
        let store = try SyncTables(tables)
        var configuration = try store.configuration(in: tables)?.configuration
        for event in events {
            switch event.kind {
            case .configApplied:
                configuration = try store.applyConfiguration(event, in: tables)
            case .observed:
                try store.observe(event, configuration: configuration, in: tables)
            case .deleted:
                try store.markDeleted(event, in: tables)
            case .linked, .unlinked:
                try store.changeLink(event, configuration: configuration, in: tables)
            case .writeIntended:
                try planCheck?.check(event, configuration: configuration, tables: tables)
                try store.intend(event, in: tables)
            case .writeSucceeded, .writeFailed:
                try store.conclude(event, in: tables)
            default:
                // Cursors, connection changes, agent calls and audit findings change no
                // projected state here.
                break
            }
        }
    }
}

/// The sync projection's tables and the reads and writes on them.
struct SyncTables {
    let config: ProjectionTable
    let records: ProjectionTable
    let links: ProjectionTable
    let pairs: ProjectionTable
    let intents: ProjectionTable

    init(_ tables: borrowing ProjectionTables) throws {
        config = try tables.table("config")
        records = try tables.table("records")
        links = try tables.table("links")
        pairs = try tables.table("pairs")
        intents = try tables.table("intents")
    }

    // MARK: Configuration

    static let currentKey = Array("current".utf8)

    func configuration(in tables: borrowing ProjectionTables) throws -> (
        configuration: SyncConfiguration, appliedBy: SequenceNumber
    )? {
        guard let stored = try tables.value(in: config, forKey: Self.currentKey) else {
            return nil
        }
        let value = try Value(encoded: stored)
        let reader = StoredReader(value, what: "configuration")
        guard let body = reader.optional("configuration") else {
            throw reader.damaged("configuration")
        }
        do {
            return (try SyncConfiguration(value: body), try reader.sequence("appliedBy"))
        } catch let error as ConfigurationError {
            throw LedgerError(.corrupt, "the stored configuration does not read: \(error)")
        }
    }

    func applyConfiguration(_ event: Event, in tables: borrowing ProjectionTables) throws
        -> SyncConfiguration
    {
        let body = BodyReader(event)
        guard let content = body.optional("configuration") else {
            throw body.damaged("configuration", "missing")
        }
        let configuration: SyncConfiguration
        do {
            configuration = try SyncConfiguration(value: content)
        } catch {
            throw body.damaged("configuration", error.description)
        }
        let stored: Value = [
            "configuration": configuration.value, "appliedBy": .sequence(event.sequence),
        ]
        try tables.put(stored.encoded, forKey: Self.currentKey, in: config)
        return configuration
    }

    // MARK: Records

    static func key(_ record: RecordReference) -> [UInt8] {
        Array(record.description.utf8)
    }

    func record(_ record: RecordReference, in tables: borrowing ProjectionTables) throws
        -> RecordState?
    {
        try tables.withValue(in: records, forKey: Self.key(record)) { bytes in
            try RecordState(stored: try Value(encoded: Array(bytes)))
        }
    }

    func store(
        _ state: RecordState, for record: RecordReference, in tables: borrowing ProjectionTables
    ) throws {
        try tables.put(state.value.encoded, forKey: Self.key(record), in: records)
    }

    func observe(
        _ event: Event, configuration: SyncConfiguration?, in tables: borrowing ProjectionTables
    ) throws {
        guard let reference = event.record else {
            throw BodyReader(event).damaged("record", "an observation names its record")
        }
        let observation = try Observation(event)
        var state = try record(reference, in: tables) ?? RecordState()
        var changed: [String] = []
        var echoed: [String] = []
        for (name, value) in observation.fields {
            var field =
                state.fields[name]
                ?? FieldState(value: nil, setBy: .zero, upstreamAt: nil, origin: .observed)
            if let known = field.upstreamAt, let reported = event.upstreamAt, reported < known {
                // An older report than what is known: a late poll never undoes a newer webhook.
                continue
            }
            if field.setBy != .zero, field.value == value {
                // Nothing new: a repeated or duplicated report.
                continue
            }
            if var written = field.written, written.isOpen, EchoRule.matches(value, written.value) {
                field.origin = .echo
                written.isOpen = false
                field.written = written
                echoed.append(name)
            } else {
                field.origin = .observed
                field.written?.isOpen = false
                changed.append(name)
            }
            field.value = value
            field.setBy = event.sequence
            field.upstreamAt = event.upstreamAt
            state.fields[name] = field
        }
        state.deletedBy = nil
        state.lastEvent = event.sequence
        try store(state, for: reference, in: tables)
        guard let configuration, !changed.isEmpty || !echoed.isEmpty else {
            return
        }
        for pair in configuration.pairs {
            guard let side = pair.side(of: reference),
                let counterpart = try self.counterpart(
                    of: reference, on: side, in: pair.name, tables: tables)
            else {
                continue
            }
            try decide(
                pair.fields.filter { changed.contains($0.field(on: side)) },
                settling: pair.fields.filter { echoed.contains($0.field(on: side)) },
                in: pair, changedOn: side, record: reference, state: state,
                counterpart: counterpart, at: event.sequence, tables: tables)
        }
    }

    func markDeleted(_ event: Event, in tables: borrowing ProjectionTables) throws {
        guard let reference = event.record else {
            throw BodyReader(event).damaged("record", "a deletion names its record")
        }
        var state = try record(reference, in: tables) ?? RecordState()
        state.deletedBy = state.deletedBy ?? event.sequence
        state.lastEvent = event.sequence
        try store(state, for: reference, in: tables)
    }

    // MARK: Links and pairs

    static func linkKey(pair: String, side: Side, _ record: RecordReference) -> [UInt8] {
        Array(pair.utf8) + [0, side == .left ? UInt8(ascii: "L") : UInt8(ascii: "R")]
            + key(record)
    }

    static func createKey(pair: String, _ source: RecordReference) -> [UInt8] {
        Array(pair.utf8) + [0, UInt8(ascii: "C")] + key(source)
    }

    static func pairKey(pair: String, left: RecordReference) -> [UInt8] {
        Array(pair.utf8) + [0] + key(left)
    }

    func counterpart(
        of record: RecordReference, on side: Side, in pair: String,
        tables: borrowing ProjectionTables
    ) throws -> RecordReference? {
        let key = Self.linkKey(pair: pair, side: side, record)
        return try tables.withValue(in: links, forKey: key) { bytes in
            guard let reference = RecordReference(String(decoding: bytes, as: UTF8.self)) else {
                throw LedgerError(.corrupt, "a stored link of \(record) is damaged")
            }
            return reference
        }
    }

    func changeLink(
        _ event: Event, configuration: SyncConfiguration?, in tables: borrowing ProjectionTables
    ) throws {
        let body = BodyReader(event)
        guard let left = event.record else {
            throw body.damaged("record", "a link names its left record")
        }
        let change = try LinkChange(event)
        guard let pair = configuration?.pair(named: change.pair) else {
            throw body.damaged("pair", "no pair '\(change.pair)' is configured at this point")
        }
        guard pair.left.contains(left), pair.right.contains(change.counterpart) else {
            throw body.damaged(
                "counterpart",
                "\(left) and \(change.counterpart) are not a \(pair.left) and a \(pair.right)")
        }
        let leftKey = Self.linkKey(pair: pair.name, side: .left, left)
        let rightKey = Self.linkKey(pair: pair.name, side: .right, change.counterpart)
        let pairKey = Self.pairKey(pair: pair.name, left: left)
        if event.kind == .unlinked {
            try tables.delete(leftKey, in: links)
            try tables.delete(rightKey, in: links)
            try tables.delete(pairKey, in: pairs)
            return
        }
        try tables.put(Self.key(change.counterpart), forKey: leftKey, in: links)
        try tables.put(Self.key(left), forKey: rightKey, in: links)
        // A new link: the sides have never agreed, so every mapped field is decided as if the
        // left had just changed it, and authority settles any difference.
        let leftState = try record(left, in: tables) ?? RecordState()
        try decide(
            pair.fields, settling: [], in: pair, changedOn: .left, record: left, state: leftState,
            counterpart: change.counterpart, at: event.sequence, tables: tables)
    }

    func pairState(
        pair: String, left: RecordReference, in tables: borrowing ProjectionTables
    ) throws -> [String: PairFieldState] {
        try tables.withValue(in: pairs, forKey: Self.pairKey(pair: pair, left: left)) { bytes in
            try PairFieldState.decodeAll(try Value(encoded: Array(bytes)))
        } ?? [:]
    }

    /// Runs authority over `mappings` after `record` (on `side`) changed them, and notes
    /// agreement on the fields of `settling`, where the ledger's own writes came back.
    private func decide(
        _ mappings: [FieldMapping], settling: [FieldMapping], in pair: SyncPair,
        changedOn side: Side, record: RecordReference, state: RecordState,
        counterpart: RecordReference, at sequence: SequenceNumber,
        tables: borrowing ProjectionTables
    ) throws {
        guard !mappings.isEmpty || !settling.isEmpty else {
            return
        }
        let left = side == .left ? record : counterpart
        let otherState = try self.record(counterpart, in: tables) ?? RecordState()
        var fields = try pairState(pair: pair.name, left: left, in: tables)
        for mapping in mappings {
            let changed =
                state.fields[mapping.field(on: side)]
                ?? FieldState(value: nil, setBy: .zero, upstreamAt: nil, origin: .observed)
            var fieldState = fields[mapping.left] ?? PairFieldState()
            Authority.decide(
                mapping, changedOn: side, changed: changed,
                other: otherState.fields[mapping.field(on: side.opposite)], state: &fieldState,
                at: sequence)
            fields[mapping.left] = fieldState
        }
        for mapping in settling {
            var fieldState = fields[mapping.left] ?? PairFieldState()
            Authority.settle(
                mapping, echoedOn: side, echoed: state.fields[mapping.field(on: side)],
                other: otherState.fields[mapping.field(on: side.opposite)], state: &fieldState,
                at: sequence)
            fields[mapping.left] = fieldState
        }
        try tables.put(
            PairFieldState.encodeAll(fields).encoded,
            forKey: Self.pairKey(pair: pair.name, left: left), in: pairs)
    }

    // MARK: Intents

    func intend(_ event: Event, in tables: borrowing ProjectionTables) throws {
        let body = BodyReader(event)
        guard let reference = event.record else {
            throw body.damaged("record", "an intent names its record")
        }
        let intent = try WriteIntent(event)
        if intent.operation == .update {
            var state = try record(reference, in: tables) ?? RecordState()
            for (name, value) in intent.fields {
                var field =
                    state.fields[name]
                    ?? FieldState(value: nil, setBy: .zero, upstreamAt: nil, origin: .observed)
                field.written = FieldState.Written(
                    value: value, intent: event.sequence, isOpen: true)
                state.fields[name] = field
            }
            state.lastEvent = event.sequence
            try store(state, for: reference, in: tables)
        }
        if intent.operation == .create {
            try tables.put(
                EventKeys.sequence(event.sequence),
                forKey: Self.createKey(pair: intent.pair, reference), in: links)
        }
        var stored: ValueObject = [
            "record": .string(reference.description), "status": "pending",
            "idempotencyKey": .string(intent.idempotencyKey), "pair": .string(intent.pair),
            "operation": .string(intent.operation.rawValue),
        ]
        stored["target"] = intent.target.map { .string($0.description) }
        if intent.operation == .create {
            stored["fields"] = .object(intent.fields)
        }
        try tables.put(
            Value.object(stored).encoded, forKey: EventKeys.sequence(event.sequence),
            in: intents)
    }

    /// A record the ledger created holds what the create sent: its first observation is the
    /// echo of those values.
    private func expectCreated(
        _ created: RecordReference, fromIntent intentSequence: SequenceNumber,
        in tables: borrowing ProjectionTables
    ) throws {
        // The intent's fields are in the log, not in the table; the outcome names the intent,
        // and the create's fields were recorded on the source record's intent entry.
        guard
            let stored = try tables.value(
                in: intents, forKey: EventKeys.sequence(intentSequence)
            ).map(Value.init(encoded:)), case .object(let fields)? = stored["fields"]
        else {
            return
        }
        var state = try record(created, in: tables) ?? RecordState()
        for (name, value) in fields {
            var field =
                state.fields[name]
                ?? FieldState(value: nil, setBy: .zero, upstreamAt: nil, origin: .observed)
            if field.setBy == .zero || !EchoRule.matches(field.value, value) {
                field.written = FieldState.Written(
                    value: value, intent: intentSequence, isOpen: field.setBy == .zero)
            } else {
                // Already observed with the values sent: that observation was the echo.
                field.origin = .echo
                field.written = FieldState.Written(
                    value: value, intent: intentSequence, isOpen: false)
            }
            state.fields[name] = field
        }
        try store(state, for: created, in: tables)
    }

    func conclude(_ event: Event, in tables: borrowing ProjectionTables) throws {
        let outcome = try WriteOutcome(event)
        let key = EventKeys.sequence(outcome.intent)
        guard var stored = try tables.value(in: intents, forKey: key).map(Value.init(encoded:)),
            case .object(var intent) = stored
        else {
            throw BodyReader(event).damaged(
                "intent", "no write was intended at \(outcome.intent)")
        }
        intent["status"] = outcome.succeeded ? "succeeded" : "failed"
        intent["outcome"] = .sequence(event.sequence)
        stored = .object(intent)
        try tables.put(stored.encoded, forKey: key, in: intents)
        if case .string("create")? = intent["operation"], case .string(let pair)? = intent["pair"],
            case .string(let source)? = intent["record"], let source = RecordReference(source)
        {
            try tables.delete(Self.createKey(pair: pair, source), in: links)
            if let created = outcome.created {
                try expectCreated(created, fromIntent: outcome.intent, in: tables)
            }
        }
        guard !outcome.succeeded, case .string(let text)? = intent["record"],
            let reference = RecordReference(text),
            var state = try record(reference, in: tables)
        else {
            return
        }
        // A failed write will not come back: its values no longer count as echoes.
        for (name, field) in state.fields where field.written?.intent == outcome.intent {
            state.fields[name]?.written?.isOpen = false
        }
        state.lastEvent = event.sequence
        try store(state, for: reference, in: tables)
    }
}

/// Fixed-width keys made of log positions.
enum EventKeys {
    static func sequence(_ sequence: SequenceNumber) -> [UInt8] {
        withUnsafeBytes(of: sequence.rawValue.bigEndian, Array.init)
    }
}

extension PairFieldState {
    static func encodeAll(_ fields: [String: PairFieldState]) -> Value {
        .object(ValueObject(fields.map { ($0.key, $0.value.stored) }))
    }

    static func decodeAll(_ value: Value) throws -> [String: PairFieldState] {
        guard case .object(let object) = value else {
            throw LedgerError(.corrupt, "a stored pair state is not an object")
        }
        var fields: [String: PairFieldState] = [:]
        for (name, field) in object {
            fields[name] = try PairFieldState(stored: field)
        }
        return fields
    }

    var stored: Value {
        var object: ValueObject = ["agreedAt": .sequence(agreedAt)]
        if !desired.isEmpty {
            object["desired"] = .object(
                ValueObject(
                    desired.map { side, desired in
                        (
                            side.rawValue,
                            [
                                "value": desired.value, "rule": .string(desired.rule.description),
                                "basis": .sequence(desired.basis),
                            ] as Value
                        )
                    }))
        }
        if let conflict {
            var members: ValueObject = [
                "leftSetBy": .sequence(conflict.leftSetBy),
                "rightSetBy": .sequence(conflict.rightSetBy),
                "rule": .string(conflict.rule.description),
                "resolution": .string(conflict.resolution), "at": .sequence(conflict.at),
            ]
            members["left"] = conflict.left
            members["right"] = conflict.right
            object["conflict"] = .object(members)
        }
        return .object(object)
    }

    init(stored: Value) throws {
        let reader = StoredReader(stored, what: "pair field state")
        agreedAt = try reader.sequence("agreedAt")
        if let desired = reader.optional("desired") {
            for (sideName, entry) in try StoredReader(desired, what: "desired").objectItself() {
                let inner = StoredReader(entry, what: "desired value")
                guard let side = Side(rawValue: sideName), let value = inner.optional("value"),
                    let rule = AuthorityRule(try inner.string("rule"))
                else {
                    throw inner.damaged(sideName)
                }
                self.desired[side] = Desired(
                    value: value, rule: rule, basis: try inner.sequence("basis"))
            }
        }
        if let conflict = reader.optional("conflict") {
            let inner = StoredReader(conflict, what: "conflict")
            guard let rule = AuthorityRule(try inner.string("rule")) else {
                throw inner.damaged("rule")
            }
            self.conflict = Conflict(
                left: inner.optional("left"), leftSetBy: try inner.sequence("leftSetBy"),
                right: inner.optional("right"), rightSetBy: try inner.sequence("rightSetBy"),
                rule: rule, resolution: try inner.string("resolution"),
                at: try inner.sequence("at"))
        }
    }
}

extension StoredReader {
    func objectItself() throws -> ValueObject {
        guard let object else {
            throw LedgerError(.corrupt, "a stored \(what) is not an object")
        }
        return object
    }
}
