import Engine
import Foundation
import Ledger
import Reconcile
import Testing

/// A write to Zendesk is a safe update: a person's edit made after the state it was planned
/// from is never overwritten unseen.
@Suite("Guarded updates")
struct GuardedUpdateTests {
    /// A synced scenario and its first link.
    func synced() async throws -> (EngineScenario, ticket: RecordReference, issue: RecordReference)
    {
        let scenario = try await EngineScenario()
        #expect(try await scenario.engine.runOnce().failed == 0)
        let link = try #require(try SyncQueries(scenario.store).links(pair: "support").first)
        return (scenario, link.left, link.right)
    }

    @Test func aConcurrentEditIsReadAndDecidedNotOverwritten() async throws {
        let (scenario, ticket, issue) = try await synced()
        // Jira's summary changes, which calls for a write to the ticket's subject...
        _ = try await scenario.jira().update(issue.remoteID, ["summary": "From Jira"])
        // ...while an agent renames the ticket, a change no poll has brought in yet (Zendesk's
        // export leaves out the last minute).
        try await Task.sleep(for: .seconds(1.1))
        _ = try await scenario.zendesk().update(ticket.remoteID, ["subject": "From the agent"])

        let pass = try await scenario.engine.runOnce()
        let failure = try #require(
            try scenario.log.read(from: .zero, limit: 100_000).last { $0.kind == .writeFailed })
        #expect(failure.record == ticket)
        #expect(failure.body["error"]?.stringValue?.contains("changed after the state") == true)
        let read = try scenario.log.read(from: .zero, limit: 100_000).filter {
            $0.record == ticket && $0.body["source"] == "guardedUpdate"
        }
        #expect(read.count == 1)
        #expect(read.first?.body["fields"]?["subject"] == "From the agent")

        // The agent's edit is the later one: last writer wins puts it on both sides.
        let zendeskTicket = try #require(try await scenario.zendesk().ticket(ticket.remoteID))
        #expect(zendeskTicket.body["fields"]?["subject"] == "From the agent")
        let jiraIssue = try await scenario.jira().issue(issue.remoteID)
        #expect(jiraIssue.body["fields"]?["summary"] == "From the agent", "\(pass)")
        #expect(try await scenario.engine.runOnce().writes == 0)
    }

    @Test func aChangeTheLedgerDoesNotTrackLetsTheWriteThrough() async throws {
        let (scenario, ticket, issue) = try await synced()
        _ = try await scenario.jira().update(issue.remoteID, ["summary": "From Jira"])
        try await Task.sleep(for: .seconds(1.1))
        // A comment moves the ticket's updated_at but no field the ledger keeps.
        try await scenario.zendesk().addComment(
            to: ticket.remoteID, body: "Looking into it", isPublic: false)

        // So the stamp the ledger holds is stale and Zendesk refuses the first attempt.
        let known = try #require(try SyncQueries(scenario.store).record(ticket))
        let stamp = try #require(known.fields.values.compactMap(\.upstreamAt).max())
        let commented = try #require(try await scenario.zendesk().ticket(ticket.remoteID))
        #expect(try #require(commented.upstreamAt) > stamp)

        let pass = try await scenario.engine.runOnce()
        #expect(pass.failed == 0 && pass.updated == 1, "\(pass)")
        let zendeskTicket = try #require(try await scenario.zendesk().ticket(ticket.remoteID))
        #expect(zendeskTicket.body["fields"]?["subject"] == "From Jira")
    }
}
