import Connectors
import Ledger
import Mapping
import Reconcile

/// Reads the live state of every linked record and compares it with what the ledger derived,
/// so that drift the log never saw (a lost webhook, an edit during an outage, a record deleted
/// by hand, a duplicate made outside the engine) is found, named and recorded.
///
/// An audit reads; it writes to the providers only through ``repair(_:)``, which records what
/// it read as observations and lets the engine converge from there. Its reads go through the
/// connections' rate budgets and guards like every other request: a paused connection is not
/// read, and a credential refused during the audit pauses its connection.
public struct Audit: Sendable {
    /// The engine whose ledger, projections and connectors are audited.
    public let engine: SyncEngine

    /// An audit of `engine`'s pairs.
    public init(engine: SyncEngine) {
        self.engine = engine
    }

    /// Reads every linked record of every pair in force and compares it with the projections;
    /// `progress` hears how many of the records to read have been read, and of how many.
    public func run(
        progress: @Sendable (_ read: Int, _ total: Int) -> Void = { _, _ in }
    ) async throws -> AuditReport {
        try engine.catchUp()
        let queries = SyncQueries(engine.store)
        guard let pairs = try queries.configuration()?.configuration.pairs else {
            throw EngineError("no configuration is in force; run syncledger apply first")
        }
        // A paused connection is not read: its credential is known to be refused.
        try engine.guards.catchUp(with: engine.log)
        var report = AuditReport()
        var linksByPair: [String: [(left: RecordReference, right: RecordReference)]] = [:]
        var toRead: [String: [RecordReference]] = [:]
        var queued: Set<RecordReference> = []
        for pair in pairs {
            let links = try queries.links(pair: pair.name)
            linksByPair[pair.name] = links
            report.links += links.count
            for link in links {
                for record in [link.left, link.right] where queued.insert(record).inserted {
                    toRead[record.connection, default: []].append(record)
                }
            }
        }
        let total = queued.count
        progress(0, total)
        for connection in toRead.keys.sorted() {
            let before = report.recordsRead
            try await read(toRead[connection]!, of: connection, into: &report) { done in
                progress(before + done, total)
            }
            report.recordsRead += toRead[connection]!.count
        }
        for pair in pairs {
            for link in linksByPair[pair.name] ?? [] {
                report.findings += try compare(link, in: pair, report: report, queries: queries)
            }
            report.findings += try await duplicates(in: pair, queries: queries)
        }
        return report
    }

    /// Appends one `auditFound` event per finding of `report`, in one batch.
    public func record(_ report: AuditReport) async throws {
        guard !report.findings.isEmpty else {
            return
        }
        _ = try await engine.log.append(AppendBatch(report.findings.map(\.event)))
    }

    /// What a repair did.
    public struct Repair: Sendable {
        /// Live states recorded as observations, one per record that changed unseen.
        public var observed = 0
        /// Records recorded as deleted, having been found gone.
        public var deleted = 0
        /// Findings left for a person: two counterparts for one source.
        public var leftForAPerson = 0
        /// The engine pass that followed.
        public var pass = SyncEngine.PassReport()
    }

    /// Records what the audit read as the ledger's knowledge (a live state as an `observed`
    /// event with source `audit`, a record found gone as `deleted`), then runs one engine
    /// pass so that the reconciler converges from the corrected state. Duplicates are not
    /// merged or deleted: which one to keep is a person's call, and the finding names them.
    public func repair(_ report: AuditReport) async throws -> Repair {
        var repair = Repair()
        var events: [NewEvent] = []
        var handled: Set<RecordReference> = []
        for finding in report.findings {
            switch finding.kind {
            case .unobservedChange:
                if handled.insert(finding.record).inserted,
                    let observed = report.live[finding.record]
                {
                    events.append(observed)
                    repair.observed += 1
                }
            case .counterpartMissing:
                if handled.insert(finding.record).inserted {
                    events.append(
                        NewEvent(
                            kind: .deleted, record: finding.record, body: ["source": "audit"]))
                    repair.deleted += 1
                }
            case .duplicateCounterparts:
                repair.leftForAPerson += 1
            case .differsFromDesired:
                break
            }
        }
        if !events.isEmpty {
            _ = try await engine.log.append(AppendBatch(events))
        }
        repair.pass = try await engine.runOnce()
        return repair
    }

    // MARK: - Reading

    private func read(
        _ records: [RecordReference], of name: String, into report: inout AuditReport,
        progress: (Int) -> Void
    ) async throws {
        guard let connection = engine.configuration.connection(named: name) else {
            throw EngineError("a linked record names the connection '\(name)', not configured")
        }
        let ids = records.map(\.remoteID)
        var done = 0
        for start in stride(from: 0, to: ids.count, by: 100) {
            let chunk = Array(ids[start..<min(start + 100, ids.count)])
            let connections = engine.connections
            let found = try await engine.guarded(name) {
                switch connection.provider {
                case .zendesk:
                    try await connections.zendesk(connection).tickets(chunk)
                case .jira:
                    try await connections.jira(connection).issues(chunk).found
                }
            }
            for event in found where event.kind == .observed {
                var observed = event
                observed.body = Self.retagged(event.body, source: "audit")
                report.live[event.record!] = observed
            }
            done += chunk.count
            progress(done)
        }
    }

    private static func retagged(_ body: Value, source: String) -> Value {
        guard case .object(var object) = body else {
            return body
        }
        object["source"] = .string(source)
        return .object(object)
    }

    // MARK: - Comparing

    private func compare(
        _ link: (left: RecordReference, right: RecordReference), in pair: SyncPair,
        report: AuditReport, queries: SyncQueries
    ) throws -> [AuditFinding] {
        let fieldStates = try queries.pairState(pair: pair.name, left: link.left)
        var findings: [AuditFinding] = []
        for side in Side.allCases {
            let record = side == .left ? link.left : link.right
            let counterpart = side == .left ? link.right : link.left
            let state = try queries.record(record) ?? RecordState()
            guard let live = report.live[record] else {
                if !state.isDeleted {
                    findings.append(
                        AuditFinding(
                            kind: .counterpartMissing, pair: pair.name, record: record,
                            counterpart: counterpart,
                            detail: "the provider has no such record; the ledger holds it live"))
                }
                continue
            }
            let fields = live.body["fields"]?.objectValue ?? ValueObject()
            for mapping in pair.fields {
                let name = mapping.field(on: side)
                let held = state.fields[name]?.value
                let current = fields[name]
                if !EchoRule.matches(current, held) {
                    findings.append(
                        AuditFinding(
                            kind: .unobservedChange, pair: pair.name, record: record,
                            counterpart: counterpart, field: name, ledger: held, live: current,
                            detail: "changed upstream without the ledger observing it"))
                    continue
                }
                guard let desired = fieldStates[mapping.left]?.desired[side],
                    !EchoRule.matches(current, desired.value)
                else {
                    continue
                }
                if let written = state.fields[name]?.written, written.isOpen,
                    EchoRule.matches(written.value, desired.value)
                {
                    // Written and awaiting its echo: in flight, not drift.
                    continue
                }
                findings.append(
                    AuditFinding(
                        kind: .differsFromDesired, pair: pair.name, record: record,
                        counterpart: counterpart, field: name, live: current,
                        desired: desired.value,
                        detail: "the \(desired.rule) rule wants the value of event "
                            + "\(desired.basis.rawValue); no write has brought it"))
            }
        }
        return findings
    }

    /// Records on a destination side that carry the same source reference: the field a
    /// template with `{id}` fills when the engine creates a counterpart. Jira is searched
    /// live, so duplicates the ledger never saw are found too; other providers are checked
    /// against the records the ledger knows.
    private func duplicates(in pair: SyncPair, queries: SyncQueries) async throws
        -> [AuditFinding]
    {
        var findings: [AuditFinding] = []
        for derived in pair.derived {
            guard case .template(let template) = derived.source, template.contains("{id}"),
                pair.creates(from: derived.side.opposite)
            else {
                continue
            }
            let destination = pair.records(on: derived.side)
            guard let connection = engine.configuration.connection(named: destination.connection)
            else {
                continue
            }
            var holders: [String: [RecordReference]] = [:]
            switch connection.provider {
            case .jira:
                let jira = try engine.connections.jira(connection)
                let field = derived.field
                let carrying = try await engine.guarded(connection.name) {
                    try await jira.issues(withField: field)
                }
                for (key, value) in carrying {
                    holders[value, default: []].append(
                        RecordReference(
                            connection: destination.connection,
                            recordType: destination.recordType, remoteID: key))
                }
            case .zendesk:
                for (record, state) in try queries.records(in: destination) {
                    if case .string(let value)? = state.fields[derived.field]?.value {
                        holders[value, default: []].append(record)
                    }
                }
            }
            let sources = pair.records(on: derived.side.opposite)
            for (value, records) in holders.sorted(by: { $0.key < $1.key }) where records.count > 1
            {
                // With the plain `{id}` template the value is the source's id.
                let source = RecordReference(
                    connection: sources.connection, recordType: sources.recordType,
                    remoteID: value)
                let linked = try records.lazy.compactMap { record in
                    try queries.counterparts(of: record).first { $0.pair == pair.name }
                }.first
                findings.append(
                    AuditFinding(
                        kind: .duplicateCounterparts, pair: pair.name,
                        record: template == "{id}" ? source : records[0],
                        counterpart: linked?.counterpart, duplicates: records,
                        detail: "\(records.count) records carry '\(value)' in \(derived.field)"))
            }
        }
        return findings
    }
}

/// What an audit read and found.
public struct AuditReport: Sendable {
    /// Links compared.
    public var links = 0
    /// Records read from the providers.
    public var recordsRead = 0
    /// The drift found, link by link.
    public var findings: [AuditFinding] = []
    /// The live state of every record read that exists, as an observation.
    public var live: [RecordReference: NewEvent] = [:]

    /// Creates an empty report.
    public init() {}

    /// Whether the providers hold what the ledger derived.
    public var isClean: Bool { findings.isEmpty }

    /// The findings of each kind.
    public func count(of kind: AuditFinding.Kind) -> Int {
        findings.count { $0.kind == kind }
    }
}

/// One difference between a provider and the ledger.
public struct AuditFinding: Sendable, Hashable, CustomStringConvertible {
    /// The classes of drift.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A field holds a value the ledger never observed.
        case unobservedChange
        /// A linked record no longer exists, and the ledger does not know.
        case counterpartMissing
        /// Two or more records on one side were made for the same source.
        case duplicateCounterparts
        /// A field differs from what its pair's rules want it to hold, and no write is on its
        /// way.
        case differsFromDesired
    }

    /// The class.
    public var kind: Kind
    /// The pair the link belongs to.
    public var pair: String
    /// The record that drifted; for duplicates, their source.
    public var record: RecordReference
    /// The record linked to it, when there is one.
    public var counterpart: RecordReference?
    /// The field, for a field's drift.
    public var field: String?
    /// What the ledger holds for the field.
    public var ledger: Value?
    /// What the provider holds.
    public var live: Value?
    /// What the pair's rules want the field to hold.
    public var desired: Value?
    /// The records that carry one source, for duplicates.
    public var duplicates: [RecordReference] = []
    /// What was found, in words.
    public var detail: String

    /// Creates a finding.
    public init(
        kind: Kind, pair: String, record: RecordReference, counterpart: RecordReference? = nil,
        field: String? = nil, ledger: Value? = nil, live: Value? = nil, desired: Value? = nil,
        duplicates: [RecordReference] = [], detail: String
    ) {
        self.kind = kind
        self.pair = pair
        self.record = record
        self.counterpart = counterpart
        self.field = field
        self.ledger = ledger
        self.live = live
        self.desired = desired
        self.duplicates = duplicates
        self.detail = detail
    }

    /// The finding as a JSON object: the body of its `auditFound` event.
    public var value: Value {
        var body: ValueObject = [
            "finding": .string(kind.rawValue), "pair": .string(pair),
            "record": .string(record.description), "detail": .string(detail),
        ]
        body["counterpart"] = counterpart.map { .string($0.description) }
        body["field"] = field.map(Value.string)
        if field != nil {
            switch kind {
            case .unobservedChange:
                body["ledger"] = ledger ?? .null
                body["live"] = live ?? .null
            case .differsFromDesired:
                body["live"] = live ?? .null
                body["desired"] = desired ?? .null
            case .counterpartMissing, .duplicateCounterparts:
                break
            }
        }
        if !duplicates.isEmpty {
            body["duplicates"] = .array(duplicates.map { .string($0.description) })
        }
        return .object(body)
    }

    /// The `auditFound` event that records the finding.
    public var event: NewEvent {
        NewEvent(kind: .auditFound, record: record, body: value)
    }

    /// The finding in a line.
    public var description: String {
        let subject = field.map { "\(record) \($0)" } ?? record.description
        switch kind {
        case .unobservedChange:
            return
                "\(kind.rawValue) \(subject): ledger \(Self.show(ledger)), live \(Self.show(live))"
        case .differsFromDesired:
            return
                "\(kind.rawValue) \(subject): live \(Self.show(live)), desired \(Self.show(desired))"
        case .counterpartMissing:
            let linked = counterpart.map { " (linked to \($0))" } ?? ""
            return "\(kind.rawValue) \(subject)\(linked): \(detail)"
        case .duplicateCounterparts:
            let names = duplicates.map(\.description).joined(separator: ", ")
            return "\(kind.rawValue) \(subject): \(names)"
        }
    }

    private static func show(_ value: Value?) -> String {
        let json = (value ?? .null).json
        return json.count > 60 ? json.prefix(57) + "..." : json
    }
}
