import Ledger
import Reconcile
import Testing

/// Who wins when the two sides of a linked field differ.
@Suite("Authority rules")
struct AuthorityTests {
    let ticket = RecordReference.ticket("7")
    let issue = RecordReference.issue("SUP-7")

    func linkedPair() throws -> SyncScenario {
        let scenario = try SyncScenario()
        try scenario.observe(
            ticket, at: 0,
            ["subject": "Start", "priority": "normal", "tags": ["a"], "status": "open"])
        try scenario.observe(
            issue, at: 1,
            ["summary": "Start", "priority": "Medium", "labels": ["a"], "status": "open"])
        try scenario.link(ticket, issue)
        #expect(try scenario.plan().isEmpty)
        return scenario
    }

    @Test func lastWriterWinsTakesTheLaterUpstreamTime() throws {
        let scenario = try linkedPair()
        // Both sides change the subject; the issue's change happened later upstream, but the
        // ledger hears of it first.
        try scenario.observe(issue, at: 30, ["summary": "From Jira"])
        let ticketChange = try scenario.observe(ticket, at: 20, ["subject": "From Zendesk"])

        let plan = try scenario.plan()
        #expect(plan.map(\.record) == [ticket])
        #expect(plan.first?.intent.fields == ["subject": "From Jira"])
        #expect(plan.first?.intent.decisions["subject"]?.rule == .lastWriterWins)
        let conflict = try #require(try scenario.pairField(ticket, "subject")?.conflict)
        #expect(conflict.left == "From Zendesk")
        #expect(conflict.right == "From Jira")
        #expect(conflict.resolution == "right")
        #expect(conflict.at == ticketChange)
    }

    @Test func lastWriterWinsBreaksATieForTheLeft() throws {
        let scenario = try linkedPair()
        try scenario.observe(issue, at: 30, ["summary": "Right"])
        try scenario.observe(ticket, at: 30, ["subject": "Left"])

        let plan = try scenario.plan()
        #expect(plan.map(\.record) == [issue])
        #expect(plan.first?.intent.fields == ["summary": "Left"])
        #expect(try scenario.pairField(ticket, "subject")?.conflict?.resolution == "left")
    }

    @Test func anOwnedFieldFlowsOneWayAndIsRestoredWhenTheOtherSideChangesIt() throws {
        let scenario = try linkedPair()
        try scenario.observe(ticket, at: 10, ["priority": "urgent"])
        let forward = try scenario.plan()
        #expect(forward.first?.intent.fields == ["priority": "Highest"], "value map applied")
        try scenario.perform(try #require(forward.first))
        try scenario.observe(issue, at: 11, ["priority": "Highest"])
        #expect(try scenario.plan().isEmpty)

        try scenario.observe(issue, at: 20, ["priority": "Medium"])
        let back = try scenario.plan()
        #expect(back.map(\.record) == [issue])
        #expect(back.first?.intent.fields == ["priority": "Highest"])
        #expect(back.first?.intent.decisions["priority"]?.rule == .owner(.left))
    }

    @Test func mergeSetGivesBothSidesTheUnion() throws {
        let scenario = try linkedPair()
        try scenario.observe(ticket, at: 10, ["tags": ["a", "b"]])
        try scenario.observe(issue, at: 11, ["labels": ["a", "c"]])

        let plan = try scenario.plan()
        #expect(Set(plan.map(\.record)) == [ticket, issue])
        let union = Value.array(["a", "c", "b"])
        #expect(plan.first { $0.record == issue }?.intent.fields["labels"] == union)
        #expect(plan.first { $0.record == ticket }?.intent.fields["tags"] == union)
        #expect(try scenario.pairField(ticket, "tags")?.conflict?.resolution == "merged")
    }

    @Test func manualRecordsTheConflictAndWritesNothing() throws {
        let scenario = try linkedPair()
        let right = try scenario.observe(issue, at: 10, ["status": "in progress"])
        let left = try scenario.observe(ticket, at: 11, ["status": "solved"])

        #expect(try scenario.plan().isEmpty)
        let conflict = try #require(try scenario.pairField(ticket, "status")?.conflict)
        #expect(conflict.resolution == "unresolved")
        #expect(conflict.rule == .manual)
        #expect(conflict.leftSetBy == left)
        #expect(conflict.rightSetBy == right)
    }

    @Test func manualCarriesAChangeMadeOnOneSideOnly() throws {
        let scenario = try linkedPair()
        try scenario.observe(ticket, at: 10, ["status": "solved"])

        #expect(try scenario.plan().map(\.intent.fields) == [["status": "solved"]])
        #expect(try scenario.pairField(ticket, "status")?.conflict == nil)
    }

    @Test func sidesThatReachTheSameValueAgreeWithoutAWrite() throws {
        let scenario = try linkedPair()
        try scenario.observe(ticket, at: 10, ["subject": "Same"])
        let second = try scenario.observe(issue, at: 11, ["summary": "Same "])

        #expect(try scenario.plan().isEmpty)
        #expect(try scenario.pairField(ticket, "subject")?.agreedAt == second)
    }
}
