import Ledger

/// The projection a sync runs on: every record's fields with their provenance, the links
/// between records, what each linked field should hold, the conflicts met, and the writes the
/// ledger has intended and how they ended.
///
/// Tables (`docs/projections.md` gives every layout):
/// - `config`: `current` → the configuration in force and the event that applied it;
/// - `records`: `connection:type/id` → whether the record lives, and every field's value and
///   provenance (``RecordEntry``);
/// - `links`: pair, NUL, `L` or `R`, reference → the counterpart's reference; pair, NUL, `C`,
///   reference → the position of a create intended for that record and not yet concluded;
/// - `pairs`: pair, NUL, left reference, NUL, left field → the field's agreement, wanted
///   values and latest conflict (``PairFieldState``);
/// - `intents`: position (8 bytes, big-endian) → the intent and its outcome (``IntentRecord``).
public struct SyncProjection: Projection {
    /// The fold's name and version.
    public let identity = "syncledger.sync/5"
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
            case .agentActed:
                try store.propose(event, configuration: configuration, in: tables)
            default:
                // Cursors, connection changes and audit findings change no projected state
                // here.
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

    // MARK: Keys

    /// `connection:type/id` as bytes, built without string interpolation: keys are made for
    /// nearly every event.
    static func key(_ record: RecordReference, extra: Int = 0) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(
            record.connection.utf8.count + record.recordType.utf8.count
                + record.remoteID.utf8.count + 2 + extra)
        bytes.append(contentsOf: record.connection.utf8)
        bytes.append(UInt8(ascii: ":"))
        bytes.append(contentsOf: record.recordType.utf8)
        bytes.append(UInt8(ascii: "/"))
        bytes.append(contentsOf: record.remoteID.utf8)
        return bytes
    }

    static func linkKey(pair: String, side: Side, _ record: RecordReference) -> [UInt8] {
        Array(pair.utf8) + [0, side == .left ? UInt8(ascii: "L") : UInt8(ascii: "R")]
            + key(record)
    }

    static func createKey(pair: String, _ source: RecordReference) -> [UInt8] {
        Array(pair.utf8) + [0, UInt8(ascii: "C")] + key(source)
    }

    static func pairPrefix(pair: String, left: RecordReference) -> [UInt8] {
        Array(pair.utf8) + [0] + key(left) + [0]
    }

    static let currentKey = Array("current".utf8)

    // MARK: Configuration

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

    // MARK: Records and fields

    /// The event that reported `record` deleted: `nil` for a record never reported, zero for a
    /// live one.
    func deletedBy(_ record: RecordReference, in tables: borrowing ProjectionTables) throws
        -> UInt64?
    {
        try entry(record, in: tables)?.deletion
    }

    /// The entry of `record`, or `nil` when no event has named it.
    func entry(_ record: RecordReference, in tables: borrowing ProjectionTables) throws
        -> RecordEntry?
    {
        try entry(key: Self.key(record), in: tables)
    }

    /// The entry stored under `key`, or `nil`.
    func entry(key: [UInt8], in tables: borrowing ProjectionTables) throws -> RecordEntry? {
        try tables.withValue(in: records, forKey: key) { try RecordEntry(stored: $0) }
    }

    /// Stores `entry` under `key`.
    func store(_ entry: RecordEntry, key: [UInt8], in tables: borrowing ProjectionTables) throws {
        try tables.put(entry.stored, forKey: key, in: records)
    }

    /// The latest upstream time of any field of `record`.
    func lastChanged(_ record: RecordReference, in tables: borrowing ProjectionTables) throws
        -> Timestamp?
    {
        var latest: Int64?
        try entry(record, in: tables)?.forEachField { _, field in
            if let time = field.upstreamAt, time > latest ?? .min {
                latest = time
            }
        }
        return latest.map(Timestamp.init(microsecondsSinceEpoch:))
    }

    /// What the ledger knows of the fields `names` of `record` (whether it is deleted, and
    /// each of those fields it holds), decoding only those fields.
    func record(
        _ record: RecordReference, fields names: [String], in tables: borrowing ProjectionTables
    ) throws -> RecordState {
        var state = RecordState()
        guard let entry = try entry(record, in: tables) else {
            return state
        }
        if let deletedBy = entry.deletion, deletedBy != 0 {
            state.deletedBy = SequenceNumber(deletedBy)
        }
        for name in names where state.fields[name] == nil {
            if let field = try entry.field(name) {
                state.fields[name] = try field.state()
            }
        }
        return state
    }

    /// What the ledger knows of `record`, or `nil` when no event has named it.
    func record(_ record: RecordReference, in tables: borrowing ProjectionTables) throws
        -> RecordState?
    {
        guard let entry = try entry(record, in: tables) else {
            return nil
        }
        var state = RecordState()
        state.deletedBy = entry.deletion.flatMap { $0 == 0 ? nil : SequenceNumber($0) }
        try entry.forEachField { name, field in
            state.fields[name] = try field.state()
        }
        return state
    }

    func observe(
        _ event: Event, configuration: SyncConfiguration?, in tables: borrowing ProjectionTables
    ) throws {
        let body = BodyReader(event)
        guard let reference = event.record else {
            throw body.damaged("record", "an observation names its record")
        }
        guard let reported = body.encodedMember("fields"), reported.isObject else {
            throw body.damaged("fields", "expected an object")
        }
        guard try body.encodedString("source") != nil else {
            throw body.damaged("source", "expected a non-empty string")
        }
        let recordKey = Self.key(reference)
        var entry = try self.entry(key: recordKey, in: tables) ?? RecordEntry(state: .unreported)
        // New, or reported again after a deletion: the record lives.
        var changed = entry.state != .live
        entry.state = .live
        entry.deletedBy = 0
        // The fields that changed, in key order, and whether each was an echo.
        var touched: [(name: String, field: FieldRecord)] = []
        _ = try reported.forEachMember { name, value in
            let settled = try entry.withStoredField(name) { stored in
                try stored.map {
                    try FieldRecord.settles(
                        stored: $0, value: value, upstreamAt: event.upstreamAt?.microseconds)
                } ?? false
            }
            if settled {
                // A late or repeated report, told from the stored bytes: the checks below
                // decide the same in full.
                return
            }
            let name = String(decoding: name, as: UTF8.self)
            let value = Array(value)
            var field = try entry.field(name) ?? FieldRecord()
            if let known = field.upstreamAt, let reported = event.upstreamAt?.microseconds,
                reported < known
            {
                // An older report than what is known: a late poll never undoes a newer webhook.
                return
            }
            if field.setBy != 0, field.value == value {
                // Nothing new: a repeated or duplicated report.
                return
            }
            if var written = field.written, written.isOpen,
                try Self.isEcho(value, of: written.value)
            {
                field.isEcho = true
                written.isOpen = false
                field.written = written
            } else {
                field.isEcho = false
                field.written?.isOpen = false
            }
            field.value = value
            field.setBy = event.sequence.rawValue
            field.upstreamAt = event.upstreamAt?.microseconds
            entry.set(field, named: name)
            touched.append((name, field))
        }
        changed = changed || !touched.isEmpty
        if changed {
            try store(entry, key: recordKey, in: tables)
        }
        guard let configuration, !touched.isEmpty else {
            return
        }
        for pair in configuration.pairs {
            guard let side = pair.side(of: reference),
                let counterpart = try self.counterpart(
                    of: reference, on: side, in: pair.name, tables: tables)
            else {
                continue
            }
            var decisions: [(mapping: FieldMapping, field: FieldRecord?)] = []
            for mapping in pair.fields {
                let name = mapping.field(on: side)
                if let field = touched.first(where: { $0.name == name })?.field {
                    decisions.append((mapping, field))
                }
            }
            try decide(
                decisions, in: pair, changedOn: side, record: reference,
                counterpart: counterpart, at: event.sequence, tables: tables)
        }
    }

    /// Whether `observed` is `written` coming back: equal bytes, or equal under the echo rule.
    static func isEcho(_ observed: [UInt8], of written: [UInt8]) throws -> Bool {
        if observed == written {
            return true
        }
        return EchoRule.matches(try Value(encoded: observed), try Value(encoded: written))
    }

    func markDeleted(_ event: Event, in tables: borrowing ProjectionTables) throws {
        guard let reference = event.record else {
            throw BodyReader(event).damaged("record", "a deletion names its record")
        }
        let key = Self.key(reference)
        var entry = try self.entry(key: key, in: tables) ?? RecordEntry(state: .unreported)
        if entry.state != .deleted {
            entry.state = .deleted
            entry.deletedBy = event.sequence.rawValue
            try store(entry, key: key, in: tables)
        }
    }

    // MARK: Links and pairs

    func counterpart(
        of record: RecordReference, on side: Side, in pair: String,
        tables: borrowing ProjectionTables
    ) throws -> RecordReference? {
        let key = Self.linkKey(pair: pair, side: side, record)
        return try tables.withValue(in: links, forKey: key) { bytes in
            guard let reference = RecordReference(utf8: bytes) else {
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
        if event.kind == .unlinked {
            try tables.delete(leftKey, in: links)
            try tables.delete(rightKey, in: links)
            var stale: [[UInt8]] = []
            try tables.forEach(
                in: pairs, withPrefix: Self.pairPrefix(pair: pair.name, left: left)
            ) { key, _ in
                stale.append(Array(key))
                return true
            }
            for key in stale {
                try tables.delete(key, in: pairs)
            }
            return
        }
        try tables.put(Self.key(change.counterpart), forKey: leftKey, in: links)
        try tables.put(Self.key(left), forKey: rightKey, in: links)
        // A new link: the sides have never agreed, so every mapped field is decided as if the
        // left had just changed it, and authority settles any difference.
        let leftEntry = try entry(left, in: tables)
        var changes: [(mapping: FieldMapping, field: FieldRecord?)] = []
        for mapping in pair.fields {
            changes.append((mapping, try leftEntry?.field(mapping.left)))
        }
        try decide(
            changes.map { mapping, field in
                // Decided as changes, never as echoes: the link itself is what is new.
                var field = field
                field?.isEcho = false
                return (mapping, field)
            }, in: pair, changedOn: .left, record: left, counterpart: change.counterpart,
            at: event.sequence, tables: tables)
    }

    func pairState(
        pair: String, left: RecordReference, in tables: borrowing ProjectionTables
    ) throws -> [String: PairFieldState] {
        let prefix = Self.pairPrefix(pair: pair, left: left)
        var states: [String: PairFieldState] = [:]
        try tables.forEach(in: pairs, withPrefix: prefix) { key, value in
            let name = String(decoding: key.dropFirst(prefix.count), as: UTF8.self)
            states[name] = try PairFieldState(stored: value)
            return true
        }
        return states
    }

    /// Runs authority over each mapped field `record` (on `side`) changed, and notes agreement
    /// where the change was the ledger's own write coming back (an echo decides nothing else).
    private func decide(
        _ changes: [(mapping: FieldMapping, field: FieldRecord?)], in pair: SyncPair,
        changedOn side: Side, record: RecordReference, counterpart: RecordReference,
        at sequence: SequenceNumber, tables: borrowing ProjectionTables
    ) throws {
        guard !changes.isEmpty else {
            return
        }
        let left = side == .left ? record : counterpart
        let prefix = Self.pairPrefix(pair: pair.name, left: left)
        let counterpartEntry = try entry(counterpart, in: tables)
        for (mapping, field) in changes {
            let key = prefix + Array(mapping.left.utf8)
            var state =
                try tables.withValue(in: pairs, forKey: key) { try PairFieldState(stored: $0) }
                ?? PairFieldState()
            let otherRecord = try counterpartEntry?.field(mapping.field(on: side.opposite))
            if let field, field.isEcho {
                // The commonest case by far: the echo is byte for byte what the other side
                // holds, with no value to translate. Then the sides agree without decoding.
                let plain = mapping.values.isEmpty
                if plain, let mine = field.value, mine == otherRecord?.value {
                    state.agreedAt = sequence
                    state.desired = [:]
                } else {
                    Authority.settle(
                        mapping, echoedOn: side, echoed: try field.state(),
                        other: try otherRecord?.state(), state: &state, at: sequence)
                }
            } else {
                Authority.decide(
                    mapping, changedOn: side,
                    changed: try field?.state()
                        ?? FieldState(value: nil, setBy: .zero, upstreamAt: nil, origin: .observed),
                    other: try otherRecord?.state(), state: &state, at: sequence)
            }
            try tables.put(state.stored, forKey: key, in: pairs)
        }
    }

    // MARK: Intents

    func intend(_ event: Event, in tables: borrowing ProjectionTables) throws {
        let body = BodyReader(event)
        guard let reference = event.record else {
            throw body.damaged("record", "an intent names its record")
        }
        let pair = try body.requiredString("pair")
        let operationName = try body.requiredString("operation")
        guard let operation = WriteIntent.Operation(rawValue: operationName) else {
            throw body.damaged("operation", "expected update or create")
        }
        guard let fieldsValue = body.encodedMember("fields"),
            let written = fieldsValue.members
        else {
            throw body.damaged("fields", "expected an object")
        }
        var target = ""
        if operation == .create {
            guard let set = body.optional("target"),
                let parsed = try? RecordSet(value: set, path: "target")
            else {
                throw body.damaged("target", "a create names where it creates")
            }
            target = parsed.description
            try tables.put(
                EventKeys.sequence(event.sequence),
                forKey: Self.createKey(pair: pair, reference), in: links)
        } else {
            let key = Self.key(reference)
            var entry = try self.entry(key: key, in: tables) ?? RecordEntry(state: .unreported)
            for (name, value) in written {
                var field = try entry.field(name) ?? FieldRecord()
                field.written = FieldRecord.Written(
                    value: value.bytes, intent: event.sequence.rawValue, isOpen: true)
                entry.set(field, named: name)
            }
            try store(entry, key: key, in: tables)
        }
        let intent = IntentRecord(
            status: .pending, operation: operation, outcome: 0, record: reference,
            idempotencyKey: try body.requiredString("idempotencyKey"), pair: pair, target: target,
            fields: fieldsValue.bytes)
        try tables.put(intent.stored, forKey: EventKeys.sequence(event.sequence), in: intents)
    }

    func intent(_ sequence: SequenceNumber, in tables: borrowing ProjectionTables) throws
        -> IntentRecord?
    {
        try tables.withValue(in: intents, forKey: EventKeys.sequence(sequence)) {
            try IntentRecord(stored: $0)
        }
    }

    func conclude(_ event: Event, in tables: borrowing ProjectionTables) throws {
        let outcome = try WriteOutcome(event)
        guard var intent = try intent(outcome.intent, in: tables) else {
            throw BodyReader(event).damaged(
                "intent", "no write was intended at \(outcome.intent)")
        }
        intent.status = outcome.succeeded ? .succeeded : .failed
        intent.outcome = event.sequence.rawValue
        try tables.put(intent.stored, forKey: EventKeys.sequence(outcome.intent), in: intents)
        switch (intent.operation, outcome.succeeded) {
        case (.create, _):
            try tables.delete(Self.createKey(pair: intent.pair, intent.record), in: links)
            if let created = outcome.created {
                try expect(
                    try intent.writtenFields(), on: created, fromIntent: outcome.intent,
                    in: tables)
            }
        case (.update, false):
            // A failed write will not come back: its values no longer count as echoes.
            let key = Self.key(intent.record)
            guard var entry = try self.entry(key: key, in: tables) else {
                break
            }
            var closed = false
            for (name, _) in try intent.writtenFields() {
                guard var field = try entry.field(name),
                    field.written?.intent == outcome.intent.rawValue
                else {
                    continue
                }
                field.written?.isOpen = false
                entry.set(field, named: name)
                closed = true
            }
            if closed {
                try store(entry, key: key, in: tables)
            }
        case (.update, true):
            break
        }
    }

    /// A record the ledger created holds what the create sent: its first observation of each
    /// field is the echo of those values.
    private func expect(
        _ written: [(key: String, value: EncodedValue)], on created: RecordReference,
        fromIntent intent: SequenceNumber, in tables: borrowing ProjectionTables
    ) throws {
        let key = Self.key(created)
        var entry = try self.entry(key: key, in: tables) ?? RecordEntry(state: .unreported)
        for (name, value) in written {
            var field = try entry.field(name) ?? FieldRecord()
            if field.setBy != 0, let observed = field.value,
                try Self.isEcho(observed, of: value.bytes)
            {
                // Already observed with the values sent: that observation was the echo.
                field.isEcho = true
                field.written = FieldRecord.Written(
                    value: value.bytes, intent: intent.rawValue, isOpen: false)
            } else {
                field.written = FieldRecord.Written(
                    value: value.bytes, intent: intent.rawValue, isOpen: field.setBy == 0)
            }
            entry.set(field, named: name)
        }
        try store(entry, key: key, in: tables)
    }
}

/// Fixed-width keys made of log positions.
enum EventKeys {
    static func sequence(_ sequence: SequenceNumber) -> [UInt8] {
        withUnsafeBytes(of: sequence.rawValue.bigEndian, Array.init)
    }
}
