import Ledger
import Reconcile
import Testing

/// The ledger's own writes coming back, and real changes that look like them.
@Suite("Echo detection")
struct EchoTests {
    let ticket = RecordReference.ticket("1")
    let issue = RecordReference.issue("SUP-1")

    /// A ticket and issue linked with matching values, as after a first sync.
    func linkedPair() throws -> SyncScenario {
        let scenario = try SyncScenario()
        try scenario.observe(ticket, at: 0, ["subject": "Printer jams", "priority": "urgent"])
        try scenario.observe(issue, at: 1, ["summary": "Printer jams", "priority": "Highest"])
        try scenario.link(ticket, issue)
        #expect(try scenario.plan().isEmpty)
        return scenario
    }

    @Test func aWriteComingBackIsAnEchoAndPlansNothing() throws {
        let scenario = try linkedPair()
        try scenario.observe(ticket, at: 10, ["subject": "Printer jams on floor 3"])

        let plan = try scenario.plan()
        #expect(plan.map(\.record) == [issue])
        #expect(plan.first?.intent.fields == ["summary": "Printer jams on floor 3"])
        let intent = try scenario.perform(try #require(plan.first))
        #expect(try scenario.plan().isEmpty, "an intended write is not planned twice")

        let echo = try scenario.observe(issue, at: 11, ["summary": "Printer jams on floor 3"])
        let field = try #require(try scenario.field(issue, "summary"))
        #expect(field.origin == .echo)
        #expect(field.setBy == echo)
        #expect(field.written?.intent == intent)
        #expect(try scenario.plan().isEmpty, "the echo must not bounce back to the ticket")
        #expect(try scenario.pairField(ticket, "subject")?.agreedAt == echo)
    }

    @Test func pingPongSettlesAfterOneWriteEachWay() throws {
        let scenario = try linkedPair()
        var writes = 0
        // A→B: the ticket changes, the issue is written, the echo arrives.
        try scenario.observe(ticket, at: 10, ["subject": "A"])
        for write in try scenario.plan() {
            writes += 1
            try scenario.perform(write)
        }
        try scenario.observe(issue, at: 11, ["summary": "A"])
        // B→A: the issue changes, the ticket is written, the echo arrives.
        try scenario.observe(issue, at: 20, ["summary": "B"])
        for write in try scenario.plan() {
            writes += 1
            #expect(write.record == ticket)
            try scenario.perform(write)
        }
        try scenario.observe(ticket, at: 21, ["subject": "B"])
        #expect(writes == 2)
        #expect(try scenario.plan().isEmpty)
        #expect(try scenario.field(ticket, "subject")?.origin == .echo)
    }

    @Test func aValueTheProviderNormalisedIsStillAnEcho() throws {
        let scenario = try linkedPair()
        try scenario.observe(ticket, at: 10, ["subject": "  Printer jams\r\nagain  "])
        try scenario.perform(try #require(try scenario.plan().first))
        try scenario.observe(issue, at: 11, ["summary": "Printer jams\nagain"])

        #expect(try scenario.field(issue, "summary")?.origin == .echo)
        #expect(try scenario.plan().isEmpty)
    }

    @Test func anotherFieldInTheSameObservationIsAChange() throws {
        let scenario = try linkedPair()
        try scenario.observe(ticket, at: 10, ["subject": "New subject"])
        try scenario.perform(try #require(try scenario.plan().first))
        try scenario.observe(issue, at: 11, ["summary": "New subject", "labels": ["hardware"]])

        #expect(try scenario.field(issue, "summary")?.origin == .echo)
        #expect(try scenario.field(issue, "labels")?.origin == .observed)
        let plan = try scenario.plan()
        #expect(plan.map(\.record) == [ticket])
        #expect(plan.first?.intent.fields == ["tags": ["hardware"]])
    }

    @Test func aDifferentValueAfterTheWriteIsAChangeEvenIfItLaterMatches() throws {
        let scenario = try linkedPair()
        try scenario.observe(ticket, at: 10, ["subject": "Written"])
        try scenario.perform(try #require(try scenario.plan().first))
        // A person edits the issue before the echo is seen, then puts the written value back.
        try scenario.observe(issue, at: 12, ["summary": "Edited by hand"])
        try scenario.observe(issue, at: 13, ["summary": "Written"])

        let field = try #require(try scenario.field(issue, "summary"))
        #expect(field.origin == .observed)
        #expect(field.written?.isOpen == false)
    }

    @Test func aDuplicatedObservationChangesNothing() throws {
        let scenario = try linkedPair()
        let first = try scenario.observe(ticket, at: 10, ["subject": "Once"])
        try scenario.observe(ticket, at: 10, ["subject": "Once"])

        #expect(try scenario.field(ticket, "subject")?.setBy == first)
        #expect(try scenario.plan().count == 1)
    }

    @Test func aLateObservationDoesNotUndoANewerOne() throws {
        let scenario = try linkedPair()
        let webhook = try scenario.observe(ticket, at: 20, ["subject": "From the webhook"])
        try scenario.observe(ticket, at: 15, source: "poll", ["subject": "From an older poll"])

        let field = try #require(try scenario.field(ticket, "subject"))
        #expect(field.value == "From the webhook")
        #expect(field.setBy == webhook)
    }

    @Test func aFailedWriteNoLongerCountsAsAnExpectedEcho() throws {
        let scenario = try linkedPair()
        try scenario.observe(ticket, at: 10, ["subject": "Will fail"])
        let write = try #require(try scenario.plan().first)
        let intent = try scenario.append(write.intent.event(write.record))[0]
        try scenario.append(
            WriteOutcome.failed(intent: intent, error: "HTTP 500").event(write.record))

        #expect(try scenario.field(issue, "summary")?.written?.isOpen == false)
        #expect(try scenario.plan().map(\.intent.fields) == [["summary": "Will fail"]])
    }
}
