import Engine
import Foundation
import Ledger
import Reconcile

extension DemoCommand.Run {
    /// The ticket the story follows, as a record.
    var ticketRecord: RecordReference {
        RecordReference(connection: "zendesk", recordType: "ticket", remoteID: ticket)
    }

    /// Its issue, as a record.
    var issueRecord: RecordReference {
        RecordReference(connection: "jira", recordType: "issue", remoteID: issue)
    }

    /// The followed issue's fields, as Jira shows them now.
    func issueFields() async throws -> Value {
        try await sandbox.call(
            .jira, "GET", "/rest/api/3/issue/\(issue)?fields=summary,status,priority")["fields"]
            ?? .null
    }

    /// The followed ticket, as Zendesk shows it now.
    func ticketFields() async throws -> Value {
        try await sandbox.call(.zendesk, "GET", "/api/v2/tickets/\(ticket).json")["ticket"]
            ?? .null
    }

    /// Linked tickets that are new or open and whose priority is below urgent, in id order.
    func openTickets(_ wanted: Int, besides skipped: Set<String> = []) throws -> [(
        ticket: String, issue: String
    )] {
        let session = try engine
        try session.engine.catchUp()
        let queries = SyncQueries(session.store)
        var found: [(String, String)] = []
        for id in ticketIDs where !skipped.contains(id) {
            let record = RecordReference(connection: "zendesk", recordType: "ticket", remoteID: id)
            guard let fields = try queries.record(record)?.fields,
                ["new", "open"].contains(fields["status"]?.value?.stringValue ?? ""),
                ["low", "normal", "high"].contains(fields["priority"]?.value?.stringValue ?? ""),
                let counterpart = try queries.counterparts(of: record).first?.counterpart
            else {
                continue
            }
            found.append((id, counterpart.remoteID))
            if found.count == wanted {
                break
            }
        }
        return found
    }

    /// Waits for the webhook observation of `record` after `mark` whose `field` holds
    /// `value`; says when it came, or that it did not.
    func awaitWebhook(
        _ record: RecordReference, _ field: String, _ value: Value, after mark: SequenceNumber,
        since edited: ContinuousClock.Instant
    ) async throws -> Event? {
        let event = try await engine.waitForEvent(after: mark) {
            $0.isWebhookObservation(of: record) && $0.body["fields"]?[field] == value
        }
        if let event {
            say(
                "  webhook: delivery signed and checked, recorded as event \(event.sequence) "
                    + "\(Self.seconds(ContinuousClock.now - edited)) after the edit")
        }
        check(event != nil, "the webhook for \(record)'s \(field) arrived within 10 s")
        return event
    }

    /// Runs one pass and says what it did and how long it took.
    @discardableResult
    func pass() async throws -> SyncEngine.PassReport {
        let started = ContinuousClock.now
        let report = try await engine.engine.runOnce()
        say("  next pass, \(Self.seconds(ContinuousClock.now - started)): \(Self.describe(report))")
        return report
    }

    /// Step 3: a priority changed in Zendesk reaches Jira.
    func carryPriority() async throws {
        heading("3. An agent raises a ticket's priority in Zendesk")
        guard let chosen = try openTickets(1).first else {
            throw DemoError("no open ticket with an issue to follow")
        }
        (ticket, issue) = chosen
        let before = try await issueFields()["priority"]?["name"]
        let mark = try engine.log.lastSequence()
        let edited = ContinuousClock.now
        try await sandbox.call(
            .zendesk, "PUT", "/api/v2/tickets/\(ticket).json", ["ticket": ["priority": "urgent"]])
        say("The agent sets ticket \(ticket) to urgent (PUT /api/v2/tickets/\(ticket).json).")
        _ = try await awaitWebhook(ticketRecord, "priority", "urgent", after: mark, since: edited)
        try await pass()
        let after = try await issueFields()["priority"]?["name"]
        say(
            "  Jira \(issue) priority: \(Value.show(before)) -> \(Value.show(after)), "
                + "\(Self.seconds(ContinuousClock.now - edited)) after the agent's edit")
        check(after == "Highest", "Jira \(issue) has priority Highest")
    }

    /// Step 4: a status changed in Jira reaches Zendesk through the reverse value map.
    func carryStatus() async throws {
        heading("4. An engineer starts work on the issue in Jira")
        let before = try await ticketFields()["status"]
        let mark = try engine.log.lastSequence()
        let edited = ContinuousClock.now
        try await sandbox.call(
            .jira, "POST", "/rest/api/3/issue/\(issue)/transitions", ["transition": ["id": "21"]])
        say(
            "The engineer moves \(issue) to In Progress (POST /rest/api/3/issue/\(issue)/transitions)."
        )
        _ = try await awaitWebhook(issueRecord, "status", "In Progress", after: mark, since: edited)
        try await pass()
        let after = try await ticketFields()["status"]
        say(
            "  Zendesk ticket \(ticket) status: \(Value.show(before)) -> \(Value.show(after)) "
                + "(In Progress maps back to pending), "
                + "\(Self.seconds(ContinuousClock.now - edited)) after the engineer's edit")
        check(after == "pending", "ticket \(ticket) is pending")
    }

    /// Step 5: both sides change the priority at once; the rule decides, and provenance
    /// says so.
    func decideConflict() async throws {
        heading("5. Both change the priority at once: the configured authority decides")
        let session = try engine
        let mark = try session.log.lastSequence()
        let edited = ContinuousClock.now
        let (sandbox, ticket, issue) = (self.sandbox, self.ticket, self.issue)
        async let agent = sandbox.call(
            .zendesk, "PUT", "/api/v2/tickets/\(ticket).json", ["ticket": ["priority": "low"]])
        async let engineer = sandbox.call(
            .jira, "PUT", "/rest/api/3/issue/\(issue)", ["fields": ["priority": ["name": "High"]]])
        _ = try await (agent, engineer)
        say(
            "The agent sets ticket \(ticket) to low while the engineer sets \(issue) to High.")
        _ = try await awaitWebhook(ticketRecord, "priority", "low", after: mark, since: edited)
        _ = try await awaitWebhook(issueRecord, "priority", "High", after: mark, since: edited)
        try await pass()
        let jira = try await issueFields()["priority"]?["name"]
        let zendesk = try await ticketFields()["priority"]
        say(
            "  now: Zendesk \(Value.show(zendesk)), Jira \(Value.show(jira)): the configuration "
                + "makes Zendesk the owner of priority, so its value wins both ways")
        check(jira == "Low" && zendesk == "low", "the owner's value, low, is on both sides")

        let provenance = Provenance(store: session.store, log: session.log)
        guard let explanation = try provenance.explain(issueRecord, field: "priority") else {
            check(false, "the ledger explains \(issue)'s priority")
            return
        }
        if let conflict = explanation.links.first?.state.conflict {
            let winner = ["left": "Zendesk", "right": "Jira"][conflict.resolution]
            say(
                "  the conflict, as the ledger recorded it at event \(conflict.at): Zendesk "
                    + "\(Value.show(conflict.left)) (event \(conflict.leftSetBy)) against Jira "
                    + "\(Value.show(conflict.right)) (event \(conflict.rightSetBy)); rule "
                    + "\(conflict.rule) (the left side, Zendesk, owns the field): "
                    + (winner.map { "\($0) won" } ?? conflict.resolution))
        }
        check(
            explanation.links.first?.state.conflict?.resolution == "left",
            "the conflict is recorded as decided for Zendesk")
        say("Provenance of \(issue)'s priority (what syncledger why prints):")
        WhyCommand.print(explanation)
        Output.flush()
    }
}
