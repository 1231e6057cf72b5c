import Engine
import Ledger
import Reconcile
import Testing

/// Writes left in doubt by a process that stopped between a call and its outcome.
@Suite("Settling writes left in doubt")
struct RecoveryTests {
    /// The first create the plan calls for, recorded as intended and nothing more, as if the
    /// process had stopped right after.
    func intendFirstCreate(_ scenario: EngineScenario) async throws -> PlannedWrite {
        _ = try await scenario.engine.poll()
        let write = try #require(
            try scenario.engine.plan().first { $0.intent.operation == .create })
        _ = try await scenario.log.append([write.intent.event(write.record)])
        try scenario.engine.catchUp()
        return write
    }

    @Test func aCreateThatReachedJiraIsLinkedNotMadeAgain() async throws {
        let scenario = try await EngineScenario()
        let write = try await intendFirstCreate(scenario)
        // The call went out; the process stopped before recording what it made.
        let (made, _) = try await scenario.jira().create(write.intent.fields)

        let recovery = try await scenario.engine.recover()
        #expect(recovery == SyncEngine.Recovery(confirmed: 1, replanned: 0))
        let links = try SyncQueries(scenario.store).counterparts(of: write.record)
        #expect(links.map(\.counterpart) == [made])

        let report = try await scenario.engine.runOnce()
        #expect(report.failed == 0)
        #expect(try await scenario.issues(carrying: write.record.remoteID) == [made.remoteID])
        #expect(try scenario.engine.plan().isEmpty)
    }

    @Test func aCreateThatNeverLeftIsPlannedAgainAndMadeOnce() async throws {
        let scenario = try await EngineScenario()
        let write = try await intendFirstCreate(scenario)

        let recovery = try await scenario.engine.recover()
        #expect(recovery == SyncEngine.Recovery(confirmed: 0, replanned: 1))
        #expect(try SyncQueries(scenario.store).pendingIntents().isEmpty)
        #expect(try scenario.engine.plan().contains { $0.record == write.record })

        _ = try await scenario.engine.runOnce()
        #expect(try await scenario.issues(carrying: write.record.remoteID).count == 1)
        #expect(try scenario.engine.plan().isEmpty)
    }

    @Test func anUpdateIsSettledByReadingTheRecordAgain() async throws {
        let scenario = try await EngineScenario()
        _ = try await scenario.engine.runOnce()
        let linked = try #require(
            try scenario.log.read(from: .zero, limit: 10_000).first { $0.kind == .linked })
        let issue = try LinkChange(linked).counterpart

        // Two updates in doubt: one reached Jira, the other did not.
        let reached = WriteIntent(
            pair: "support", operation: .update, fields: ["summary": "Reached Jira"],
            idempotencyKey: "test:reached", decisions: [:])
        _ = try await scenario.log.append([reached.event(issue)])
        _ = try await scenario.jira().update(issue.remoteID, ["summary": "Reached Jira"])
        let recovered = try await scenario.engine.recover()
        #expect(recovered == SyncEngine.Recovery(confirmed: 1, replanned: 0))

        let lost = WriteIntent(
            pair: "support", operation: .update, fields: ["summary": "Never sent"],
            idempotencyKey: "test:lost", decisions: [:])
        _ = try await scenario.log.append([lost.event(issue)])
        let replanned = try await scenario.engine.recover()
        #expect(replanned == SyncEngine.Recovery(confirmed: 0, replanned: 1))
        #expect(try SyncQueries(scenario.store).pendingIntents().isEmpty)
        let outcomes = try scenario.log.read(from: .zero, limit: 10_000).filter {
            $0.kind == .writeFailed
        }
        #expect(
            outcomes.last?.body["error"]?.stringValue
                == "in doubt after an interruption: the record does not hold what was written; "
                + "planned again")
    }
}
