import Engine
import Ledger
import Reconcile

/// A tool's answer before it is recorded: the decision, and what the call returns or records.
struct Answer {
    var decision: Decision
    var content: Value?
    /// For an allowed proposal, the fields to set.
    var change: ValueObject?
    /// For a refusal that waiting will lift.
    var retryAfter: Duration?
}

extension AgentGateway {
    /// Decides and, when allowed, answers `request` from the projection and the log.
    func answer(_ request: ToolRequest) throws -> Answer {
        let granted = decisions.decide(principal: principal, tool: request.tool.rawValue)
        guard granted.allowed else {
            return Answer(decision: granted)
        }
        let queries = SyncQueries(store)
        switch request.tool {
        case .searchRecords:
            return Answer(decision: granted, content: try search(request, queries: queries))
        case .listConflicts:
            return Answer(decision: granted, content: try conflicts(request, queries: queries))
        case .listAuditFindings:
            return Answer(decision: granted, content: try findings(request, queries: queries))
        case .getRecord, .explainField, .proposeChange:
            break
        }
        guard let record = request.record else {
            preconditionFailure("the schema requires a record")
        }
        let state = try queries.record(record)
        let decision = see(record, state, request.tool, changing: request.fields.keys)
        guard decision.allowed else {
            return Answer(decision: decision)
        }
        guard let state else {
            return Answer(
                decision: Decision(
                    allowed: false, rule: "records",
                    reason: "the ledger knows no record \(record)"))
        }
        switch request.tool {
        case .getRecord:
            return Answer(
                decision: decision, content: try recordContent(record, state, queries: queries))
        case .explainField:
            return try explain(record, field: request.field ?? "", decision: decision)
        default:
            return try propose(request, record: record, state: state, decision: decision)
        }
    }

    /// The policy's decision on `record` for `tool`, its fields read from `state`.
    func see(
        _ record: RecordReference, _ state: RecordState?, _ tool: GatewayTool,
        changing: [String] = []
    ) -> Decision {
        decisions.decide(
            principal: principal, tool: tool.rawValue, record: record, changing: changing
        ) { state?.fields[$0]?.value }
    }

    /// A record's fields the principal may see, each with its provenance (as `show --json`
    /// gives it) when `detailed`.
    func fields(_ record: RecordReference, _ state: RecordState, detailed: Bool) -> Value {
        let masked = decisions.mask(principal: principal, record: record)
        var object = ValueObject()
        for (name, field) in state.fields where !masked.contains(name) && field.setBy != .zero {
            object[name] = detailed ? field.json : field.value ?? .null
        }
        return .object(object)
    }

    // MARK: Reading

    func search(_ request: ToolRequest, queries: SyncQueries) throws -> Value {
        var candidates: [(RecordReference, RecordState)] = []
        if let linkedTo = request.linkedTo {
            let state = try queries.record(linkedTo)
            if see(linkedTo, state, .searchRecords).allowed {
                for (_, counterpart) in try queries.counterparts(of: linkedTo) {
                    if let found = try queries.record(counterpart), !found.isDeleted {
                        candidates.append((counterpart, found))
                    }
                }
            }
        } else {
            for set in try recordSets(queries) where request.kind.map({ $0 == set }) ?? true {
                candidates += try queries.records(in: set)
            }
        }
        let words = request.text?.lowercased().split(separator: " ").map(String.init) ?? []
        var found: [Value] = []
        var more = false
        for (record, state) in candidates where see(record, state, .searchRecords).allowed {
            if let kind = request.kind, !kind.contains(record) {
                continue
            }
            let masked = decisions.mask(principal: principal, record: record)
            let matches = request.filters.allSatisfy { name, wanted in
                !masked.contains(name) && Self.sameValue(state.fields[name]?.value, wanted)
            }
            guard matches, words.allSatisfy({ Self.contains(state, $0, masked: masked) }) else {
                continue
            }
            guard found.count < request.limit else {
                more = true
                break
            }
            found.append([
                "record": .string(record.description),
                "fields": fields(record, state, detailed: false),
            ])
        }
        return ["records": .array(found), "more": .bool(more)]
    }

    /// The record sets of the pairs in force, each once.
    func recordSets(_ queries: SyncQueries) throws -> [RecordSet] {
        var sets: [RecordSet] = []
        for pair in try queries.configuration()?.configuration.pairs ?? [] {
            for set in [pair.left, pair.right] where !sets.contains(set) {
                sets.append(set)
            }
        }
        return sets
    }

    func recordContent(_ record: RecordReference, _ state: RecordState, queries: SyncQueries)
        throws -> Value
    {
        var counterparts: [Value] = []
        for (pair, counterpart) in try queries.counterparts(of: record) {
            let other = try queries.record(counterpart)
            guard let other, see(counterpart, other, .getRecord).allowed else {
                continue
            }
            counterparts.append([
                "pair": .string(pair), "record": .string(counterpart.description),
                "deleted": .bool(other.isDeleted),
                "fields": fields(counterpart, other, detailed: true),
            ])
        }
        return [
            "record": .string(record.description), "deleted": .bool(state.isDeleted),
            "fields": fields(record, state, detailed: true), "counterparts": .array(counterparts),
        ]
    }

    func explain(_ record: RecordReference, field: String, decision: Decision) throws -> Answer {
        if decisions.mask(principal: principal, record: record).contains(field) {
            return Answer(
                decision: Decision(
                    allowed: false, rule: "mask",
                    reason: "the field \(field) of \(record) is not shown to \(principal)"))
        }
        let provenance = Provenance(store: store, log: log)
        guard let explanation = try provenance.explain(record, field: field) else {
            return Answer(
                decision: Decision(
                    allowed: false, rule: "records",
                    reason: "the ledger knows no field \(field) of \(record)"))
        }
        // What `why --json` prints, less the records and fields the principal may not see.
        let queries = SyncQueries(store)
        var chain: [Value] = []
        for step in explanation.chain {
            var json = step.json.objectValue ?? ValueObject()
            if let named = step.event.record,
                !see(named, try queries.record(named), .explainField).allowed
            {
                json["record"] = .null
                json["summary"] = .string("a change in a record not shown to \(principal)")
            }
            chain.append(.object(json))
        }
        let links = try explanation.links.filter { link in
            try see(link.counterpart, queries.record(link.counterpart), .explainField).allowed
                && !decisions.mask(principal: principal, record: link.counterpart).contains(
                    link.counterpartField)
        }
        var content = explanation.json.objectValue ?? ValueObject()
        content["chain"] = .array(chain)
        content["links"] = .array(links.map(\.json))
        return Answer(decision: decision, content: .object(content))
    }

    func conflicts(_ request: ToolRequest, queries: SyncQueries) throws -> Value {
        var found: [Value] = []
        for item in try queries.conflicts() {
            let left = try queries.record(item.left)
            let right = try queries.record(item.right)
            guard see(item.left, left, .listConflicts).allowed,
                see(item.right, right, .listConflicts).allowed,
                !decisions.mask(principal: principal, record: item.left).contains(item.leftField),
                !decisions.mask(principal: principal, record: item.right).contains(item.rightField)
            else {
                continue
            }
            found.append([
                "pair": .string(item.pair), "left": .string(item.left.description),
                "right": .string(item.right.description), "leftField": .string(item.leftField),
                "rightField": .string(item.rightField), "conflict": item.conflict.json,
            ])
            if found.count == request.limit {
                break
            }
        }
        return ["conflicts": .array(found)]
    }

    /// The latest audit findings on records the principal may see, newest first; values of
    /// masked fields are left out.
    func findings(_ request: ToolRequest, queries: SyncQueries) throws -> Value {
        var found: [Value] = []
        var visible: [RecordReference: Bool] = [:]
        var candidates: [Event] = []
        // Envelopes only, read in place: the body is taken out of a finding alone.
        try log.scanInPlace(from: SequenceNumber(UInt64.max), direction: .backward) { view in
            if view.kind == .auditFound {
                candidates.append(try view.event())
            }
            return candidates.count < 10 * request.limit
        }
        for event in candidates {
            guard let record = event.record, case .object(var body) = event.body else {
                continue
            }
            if visible[record] == nil {
                visible[record] =
                    see(record, try queries.record(record), .listAuditFindings).allowed
            }
            guard visible[record] == true else {
                continue
            }
            if let field = body["field"]?.stringValue,
                decisions.mask(principal: principal, record: record).contains(field)
            {
                for member in ["ledger", "live", "desired", "detail"] {
                    body[member] = nil
                }
            }
            body["event"] = .integer(Int64(event.sequence.rawValue))
            body["recordedAt"] = .string(event.recordedAt.description)
            found.append(.object(body))
            if found.count == request.limit {
                break
            }
        }
        return ["findings": .array(found)]
    }

    /// Whether two values are the same, a number and its digits counting as one.
    static func sameValue(_ held: Value?, _ wanted: Value) -> Bool {
        guard let held else {
            return wanted == .null
        }
        if held == wanted {
            return true
        }
        switch (held, wanted) {
        case (.integer(let number), .string(let text)), (.string(let text), .integer(let number)):
            return String(number) == text
        case (.array(let elements), _):
            return elements.contains { sameValue($0, wanted) }
        default:
            return false
        }
    }

    /// Whether a field the principal may see holds `word` in its text, ignoring case.
    static func contains(_ state: RecordState, _ word: String, masked: Set<String>) -> Bool {
        func holds(_ value: Value) -> Bool {
            switch value {
            case .string(let text): text.lowercased().contains(word)
            case .array(let elements): elements.contains(where: holds)
            case .integer(let number): String(number) == word
            default: false
            }
        }
        return state.fields.contains { name, field in
            !masked.contains(name) && field.value.map(holds) == true
        }
    }
}
