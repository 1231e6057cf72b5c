import Connectors
import Engine
import Foundation
import Ledger
import Reconcile
import Testing

/// What each pair's `onDelete` policy does to the counterpart of a deleted record, through the
/// engine and the sandbox.
@Suite("Deletion policies")
struct DeletionTests {
    /// A scenario synced once with `policy`, and its first linked ticket and issue.
    func synced(_ policy: String) async throws -> (
        EngineScenario, ticket: RecordReference, issue: RecordReference
    ) {
        let scenario = try await EngineScenario(onDelete: policy)
        #expect(try await scenario.engine.runOnce().failed == 0)
        let link = try #require(try SyncQueries(scenario.store).links(pair: "support").first)
        return (scenario, link.left, link.right)
    }

    /// Deletes `ticket` in the sandbox and records the deletion as its webhook would.
    func deleteTicket(_ ticket: RecordReference, in scenario: EngineScenario) async throws {
        let status = try await scenario.send(
            "DELETE", "/api/v2/tickets/\(ticket.remoteID).json", to: "zendesk")
        #expect(status == 204)
        _ = try await scenario.log.append([
            NewEvent(kind: .deleted, record: ticket, body: ["source": "webhook"])
        ])
    }

    @Test func tagLabelsTheIssueOnceAndNeverRecreatesIt() async throws {
        let (scenario, ticket, issue) = try await synced("tag")
        try await deleteTicket(ticket, in: scenario)

        let pass = try await scenario.engine.runOnce()
        #expect(pass.updated == 1)
        #expect(pass.created == 0)
        let labelled = try await scenario.jira().issue(issue.remoteID)
        let labels = labelled.body["fields"]?["labels"]?.arrayValue ?? []
        #expect(labels.contains("syncledger-deleted"))
        #expect(try await scenario.issues(carrying: ticket.remoteID) == [issue.remoteID])
        let why = try #require(
            try Provenance(store: scenario.store, log: scenario.log).explain(issue, field: "labels")
        )
        #expect(why.chain.map(\.role) == ["echo", "intent", "outcome", "source"])
        #expect(why.chain.last?.event.kind == .deleted)
        #expect(why.chain.last?.summary.contains("onDelete policy") == true)

        // Settled: nothing more is written, and a person removing the label is not overruled.
        #expect(try await scenario.engine.runOnce().writes == 0)
        _ = try await scenario.jira().update(issue.remoteID, ["labels": []])
        let after = try await scenario.engine.runOnce()
        #expect(after.writes == 0)
        let relabelled = try await scenario.jira().issue(issue.remoteID)
        #expect(relabelled.body["fields"]?["labels"] == [])
        #expect(try await scenario.issues(carrying: ticket.remoteID) == [issue.remoteID])
    }

    @Test func closeMovesTheIssueToDone() async throws {
        let (scenario, ticket, issue) = try await synced("close")
        try await deleteTicket(ticket, in: scenario)

        let pass = try await scenario.engine.runOnce()
        #expect(pass.updated == 1)
        let closed = try await scenario.jira().issue(issue.remoteID)
        #expect(closed.body["fields"]?["status"] == "Done")
        #expect(try await scenario.engine.runOnce().writes == 0)
        let intent = try #require(
            try scenario.log.read(from: .zero, limit: 100_000).last { $0.kind == .writeIntended })
        #expect(intent.record == issue)
        #expect(intent.body["fields"] == ["status": "Done"])
    }

    @Test func closeSolvesTheTicketOfAnIssueTheAuditFoundGone() async throws {
        let (scenario, ticket, issue) = try await synced("close")
        let status = try await scenario.send(
            "DELETE", "/rest/api/3/issue/\(issue.remoteID)", to: "jira")
        #expect(status == 204)

        let audit = Audit(engine: scenario.engine)
        let repair = try await audit.repair(try await audit.run())
        #expect(repair.deleted == 1)
        #expect(repair.pass.updated == 1)
        #expect(repair.pass.created == 0, "the ticket keeps its link; no second issue is made")
        let solved = try #require(try await scenario.zendesk().ticket(ticket.remoteID))
        #expect(solved.body["fields"]?["status"] == "solved")
        #expect(try await audit.run().isClean)
    }

    @Test func ignoreWritesNothing() async throws {
        let (scenario, ticket, issue) = try await synced("ignore")
        let before = try await scenario.jira().issue(issue.remoteID)
        try await deleteTicket(ticket, in: scenario)

        #expect(try await scenario.engine.runOnce().writes == 0)
        let after = try await scenario.jira().issue(issue.remoteID)
        #expect(after.body["fields"]?["status"] == before.body["fields"]?["status"])
        #expect(after.body["fields"]?["labels"] == before.body["fields"]?["labels"])
    }

    @Test func aTicketDeletedBeforeItsIssueWasMadeGetsNone() async throws {
        let scenario = try await EngineScenario(onDelete: "close")
        _ = try await scenario.engine.poll()
        let write = try #require(
            try scenario.engine.plan().first { $0.intent.operation == .create })
        try await deleteTicket(write.record, in: scenario)

        let pass = try await scenario.engine.runOnce()
        #expect(pass.failed == 0)
        #expect(try await scenario.issues(carrying: write.record.remoteID).isEmpty)
        #expect(try SyncQueries(scenario.store).counterparts(of: write.record).isEmpty)
    }
}
