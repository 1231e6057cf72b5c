import Connectors
import Ledger
import Reconcile

extension SyncEngine {
    /// How the writes left in doubt were settled.
    public struct Recovery: Sendable, Hashable {
        /// Writes found to have happened, now recorded as succeeded.
        public var confirmed = 0
        /// Writes found not to have happened (or that could not be confirmed), recorded as
        /// failed so that they are planned again.
        public var replanned = 0
        /// Writes to paused connections, left in doubt until they are authorised again.
        public var waiting = 0

        /// Creates a count of settled writes.
        public init(confirmed: Int = 0, replanned: Int = 0, waiting: Int = 0) {
            self.confirmed = confirmed
            self.replanned = replanned
            self.waiting = waiting
        }
    }

    /// Settles every write intended and not concluded, before any new work: a process that
    /// stopped between a call and its outcome left the ledger not knowing whether the call
    /// reached the provider.
    ///
    /// - A Zendesk create is sent again with the same `Idempotency-Key`, which gives back the
    ///   ticket the first call made, or makes it once.
    /// - A Jira create is looked up by the source reference the pair writes on new issues (a
    ///   template field holding `{id}`); found, it is linked; not found, it is planned again.
    /// - An update reads the record again: holding every written value, it succeeded;
    ///   otherwise it is planned again from the fresh state.
    ///
    /// A write to a paused connection stays in doubt until the connection is authorised again;
    /// nothing new is written to it before then.
    @discardableResult
    public func recover() async throws -> Recovery {
        try catchUp()
        try guards.catchUp(with: log)
        // Records are settled several at a time (a crash in a large round leaves hundreds in
        // doubt); the intents of one record in the order they were made.
        var byRecord: [RecordReference: [PendingIntent]] = [:]
        var order: [RecordReference] = []
        for pending in try SyncQueries(store).pendingIntents() {
            if byRecord[pending.record] == nil {
                order.append(pending.record)
            }
            byRecord[pending.record, default: []].append(pending)
        }
        let settled = try await Self.concurrently(
            order.map { byRecord[$0] ?? [] }, width: batching.requestsInFlight * 2
        ) { intents in
            var recovery = Recovery()
            for pending in intents {
                try await self.settle(pending, into: &recovery)
            }
            return recovery
        }
        try catchUp()
        return settled.reduce(into: Recovery()) { total, recovery in
            total.confirmed += recovery.confirmed
            total.replanned += recovery.replanned
            total.waiting += recovery.waiting
        }
    }

    /// Settles one write in doubt, records how, and counts it in `recovery`.
    private func settle(_ pending: PendingIntent, into recovery: inout Recovery) async throws {
        let events: [NewEvent]
        do {
            events = try await guarded(pending.targetConnection) {
                switch pending.operation {
                case .create: try await settleCreate(pending)
                case .update: try await settleUpdate(pending)
                }
            }
        } catch is NeedsReauthorization {
            recovery.waiting += 1
            return
        }
        let succeeded = events.contains {
            $0.kind == .writeSucceeded || $0.kind == .linked
        }
        if succeeded {
            recovery.confirmed += 1
        } else {
            recovery.replanned += 1
        }
        _ = try await log.append(AppendBatch(events))
    }

    private func settleCreate(_ pending: PendingIntent) async throws -> [NewEvent] {
        guard let target = pending.target,
            let connection = configuration.connection(named: target.connection)
        else {
            return [
                Self.inDoubt(pending, "its target is no longer configured; planned again")
            ]
        }
        let found: (RecordReference, [NewEvent])?
        switch connection.provider {
        case .zendesk:
            found = try await connections.zendesk(connection).create(
                pending.fields, idempotencyKey: pending.idempotencyKey)
        case .jira:
            guard let (field, value) = try sourceReference(of: pending) else {
                return [
                    Self.inDoubt(
                        pending,
                        "no field of the new issue holds the source's {id}, so it cannot be "
                            + "looked up; planned again")
                ]
            }
            let jira = try connections.jira(connection)
            if let key = try await jira.findIssue(whereField: field, equals: value) {
                try await finishMove(of: key, pending, jira)
                var event = try await jira.issue(key)
                event.body = Self.source(event.body, "recovery")
                found = (event.record!, [event])
            } else {
                found = nil
            }
        }
        guard let (created, answered) = found else {
            return [
                Self.inDoubt(pending, "no record carries the source reference; planned again")
            ]
        }
        return [
            WriteOutcome.succeeded(intent: pending.intent, created: created).event(
                pending.record),
            LinkChange(pair: pending.pair, counterpart: created).event(pending.record),
        ] + answered
    }

    /// Moves a found issue on to the status its create asked for: the process may have
    /// stopped between making the issue and moving it. An issue that cannot be moved is left
    /// where it is; it is linked all the same, and its observation then counts as Jira's.
    private func finishMove(of key: String, _ pending: PendingIntent, _ jira: JiraConnector)
        async throws
    {
        guard case .string(let status)? = pending.fields["status"] else {
            return
        }
        do {
            try await jira.move(
                key, type: pending.fields["issuetype"]?.stringValue ?? "Task", from: nil,
                to: status, workflow: workflow)
        } catch is ConnectorError {
            return
        }
    }

    private func settleUpdate(_ pending: PendingIntent) async throws -> [NewEvent] {
        guard let connection = configuration.connection(named: pending.record.connection) else {
            return [Self.inDoubt(pending, "its connection is no longer configured")]
        }
        let observed: NewEvent?
        switch connection.provider {
        case .zendesk:
            observed = try await connections.zendesk(connection).ticket(pending.record.remoteID)
        case .jira:
            observed = try await connections.jira(connection).issue(pending.record.remoteID)
        }
        guard var observed else {
            return [Self.inDoubt(pending, "the record no longer exists")]
        }
        observed.body = Self.source(observed.body, "recovery")
        let fields = observed.body["fields"]?.objectValue ?? ValueObject()
        let held = pending.fields.allSatisfy { name, value in
            EchoRule.matches(fields[name], value)
        }
        let outcome =
            held
            ? WriteOutcome.succeeded(intent: pending.intent).event(pending.record)
            : Self.inDoubt(pending, "the record does not hold what was written; planned again")
        return [outcome, observed]
    }

    /// The field of a new record that holds its source's id, and that id, from the pair's
    /// template fields.
    private func sourceReference(of pending: PendingIntent) throws -> (String, String)? {
        guard
            let pair = try SyncQueries(store).configuration()?.configuration.pair(
                named: pending.pair)
        else {
            return nil
        }
        for derived in pair.derived {
            guard case .template(let template) = derived.source, template.contains("{id}"),
                case .string(let value)? = pending.fields[derived.field]
            else {
                continue
            }
            return (derived.field, value)
        }
        return nil
    }

    private static func inDoubt(_ pending: PendingIntent, _ reason: String) -> NewEvent {
        WriteOutcome.failed(
            intent: pending.intent, error: "in doubt after an interruption: \(reason)"
        ).event(pending.record)
    }

    private static func source(_ body: Value, _ source: String) -> Value {
        guard case .object(var object) = body else {
            return body
        }
        object["source"] = .string(source)
        return .object(object)
    }
}
