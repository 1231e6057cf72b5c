import Ledger
import Reconcile
import Testing

/// Creates, links, deletions and configuration changes over a record's life.
@Suite("Record lifecycle")
struct LifecycleTests {
    let ticket = RecordReference.ticket("42")
    let issue = RecordReference.issue("SUP-42")

    @Test func anUnlinkedTicketPlansOneCreateThenNothing() throws {
        let scenario = try SyncScenario()
        let observed = try scenario.observe(
            ticket, at: 0, ["subject": "Broken", "priority": "urgent", "via": "email"])

        let plan = try scenario.plan()
        #expect(plan.count == 1)
        let create = try #require(plan.first)
        #expect(create.intent.operation == .create)
        #expect(create.record == ticket)
        #expect(create.intent.target == RecordSet(connection: "jira", recordType: "issue"))
        #expect(create.intent.fields == ["summary": "Broken", "priority": "Highest"])
        #expect(create.intent.decisions["summary"]?.basis == observed)

        let intent = try scenario.append(create.intent.event(ticket))[0]
        #expect(try scenario.plan().isEmpty, "a create already intended is not planned again")

        try scenario.append(
            WriteOutcome.succeeded(intent: intent, created: issue).event(ticket),
            LinkChange(pair: "support", counterpart: issue).event(ticket))
        #expect(try scenario.plan().isEmpty)
        #expect(try SyncQueries(scenario.store).intent(at: intent)?.status == "succeeded")

        // The new issue's first observation is the echo of the create.
        try scenario.observe(issue, at: 5, ["summary": "Broken", "priority": "Highest"])
        #expect(try scenario.field(issue, "summary")?.origin == .echo)
        #expect(try scenario.plan().isEmpty)
    }

    @Test func aFailedCreateIsPlannedAgain() throws {
        let scenario = try SyncScenario()
        try scenario.observe(ticket, at: 0, ["subject": "Broken"])
        let create = try #require(try scenario.plan().first)
        let intent = try scenario.append(create.intent.event(ticket))[0]
        try scenario.append(WriteOutcome.failed(intent: intent, error: "HTTP 400").event(ticket))

        #expect(try scenario.plan().map(\.intent.operation) == [.create])
        #expect(try SyncQueries(scenario.store).intent(at: intent)?.status == "failed")
    }

    @Test func aDeletedRecordIsMarkedNotForgottenAndNeverWritten() throws {
        let scenario = try SyncScenario()
        try scenario.observe(ticket, at: 0, ["subject": "Old"])
        try scenario.observe(issue, at: 0, ["summary": "Old"])
        try scenario.link(ticket, issue)
        let deletion = try scenario.append(NewEvent(kind: .deleted, record: issue))[0]
        try scenario.observe(ticket, at: 10, ["subject": "New"])

        let state = try #require(try scenario.record(issue))
        #expect(state.deletedBy == deletion)
        #expect(state.fields["summary"]?.value == "Old")
        #expect(try scenario.plan().isEmpty)
    }

    @Test func aDeletedSourceGetsNoCounterpart() throws {
        let scenario = try SyncScenario()
        try scenario.observe(ticket, at: 0, ["subject": "Gone soon"])
        try scenario.append(NewEvent(kind: .deleted, record: ticket))
        #expect(try scenario.plan().isEmpty)
    }

    @Test func unlinkingStopsTheSync() throws {
        let scenario = try SyncScenario()
        try scenario.observe(ticket, at: 0, ["subject": "Same"])
        try scenario.observe(issue, at: 0, ["summary": "Same"])
        try scenario.link(ticket, issue)
        try scenario.append(
            LinkChange(pair: "support", counterpart: issue).event(ticket, unlinking: true))

        #expect(try SyncQueries(scenario.store).counterparts(of: issue).isEmpty)
        // Both records are now unlinked sources again.
        #expect(try scenario.plan().map(\.intent.operation) == [.create, .create])
    }

    @Test func aLinkAnswersFromBothSides() throws {
        let scenario = try SyncScenario()
        try scenario.link(ticket, issue)
        let queries = SyncQueries(scenario.store)
        #expect(try queries.counterparts(of: ticket).map(\.counterpart) == [issue])
        #expect(try queries.counterparts(of: issue).map(\.counterpart) == [ticket])
    }

    @Test func eachChangeIsDecidedByTheConfigurationInForceWhenItHappened() throws {
        let scenario = try SyncScenario()
        try scenario.observe(ticket, at: 0, ["priority": "normal"])
        try scenario.observe(issue, at: 0, ["priority": "Medium"])
        try scenario.link(ticket, issue)

        var pair = SyncScenario.support
        pair.fields[1].authority = .owner(.right)
        let applied = try scenario.apply(SyncConfiguration(pairs: [pair]))
        #expect(try SyncQueries(scenario.store).configuration()?.appliedBy == applied)

        // Under the new rule the issue owns the priority: a ticket change is undone.
        try scenario.observe(ticket, at: 10, ["priority": "urgent"])
        let plan = try scenario.plan()
        #expect(plan.map(\.record) == [ticket])
        #expect(plan.first?.intent.fields == ["priority": "normal"])
    }

    @Test func aLinkNamingAnUnknownPairIsRefusedNamingTheEvent() throws {
        let scenario = try SyncScenario()
        try scenario.log.appendWaiting(
            AppendBatch([LinkChange(pair: "billing", counterpart: issue).event(ticket)]))
        let error = #expect(throws: LedgerError.self) { try scenario.projector.catchUp() }
        #expect(error?.message.contains("no pair 'billing'") == true, "\(error?.message ?? "")")
        #expect(try scenario.store.checkpoint() == 1, "the store stays before the bad event")
    }
}
