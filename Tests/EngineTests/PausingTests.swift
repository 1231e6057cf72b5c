import Connectors
import Engine
import Foundation
import Ledger
import Mapping
import Reconcile
import Testing

/// A connection whose authorisation is gone pauses alone, stays paused across a restart, and
/// resumes once it is connected again.
@Suite("Pausing a connection that needs authorising again")
struct PausingTests {
    /// The `needsReauthorization` events of the log.
    func pauseEvents(_ scenario: OAuthJiraScenario) throws -> [Event] {
        try scenario.events([.connectionChanged]).filter {
            $0.body["change"] == "needsReauthorization"
        }
    }

    @Test func aRevokedJiraGrantPausesJiraAloneUntilItIsConnectedAgain() async throws {
        let scenario = try await OAuthJiraScenario()
        let engine = try scenario.engine()
        let first = try await engine.runOnce()
        #expect(first.created > 0 && first.failed == 0 && first.paused.isEmpty, "\(first)")
        let linked = try #require(try scenario.events([.linked]).first?.record)

        // An administrator revokes the grant; meanwhile Zendesk changes a linked ticket and
        // gets a new one, both of which call for writes to Jira.
        scenario.jiraEmulator.revokeAllTokens()
        let zendesk = try engine.connections.zendesk(scenario.zendesk)
        _ = try await zendesk.update(linked.remoteID, ["subject": "Renamed while Jira is paused"])
        let (created, _) = try await zendesk.create(
            [
                "subject": "New while Jira is paused", "description": "Needs an issue",
                "priority": "high", "status": "open",
            ],
            idempotencyKey: "pausing-test-new-ticket")
        scenario.zendeskClock.advance(seconds: 120)
        let intendedBefore = try scenario.events([.writeIntended]).count

        let paused = try await engine.runOnce()
        #expect(paused.polled["zendesk"] ?? 0 >= 2, "Zendesk polling went on: \(paused)")
        #expect(paused.polled["jira"] == nil, "Jira was not polled: \(paused)")
        #expect(Array(paused.paused.keys) == ["jira"])
        let pause = try #require(paused.paused["jira"])
        #expect(pause.command == "syncledger connect jira")
        #expect(pause.reason.contains("invalid_grant"), "\(pause.reason)")
        #expect(pause.event != nil && pause.since != nil)
        #expect(paused.deferred >= 2, "the update and the create wait: \(paused)")
        #expect(paused.created == 0 && paused.updated == 0 && paused.failed == 0, "\(paused)")
        #expect(try scenario.events([.writeIntended]).count == intendedBefore, "nothing intended")
        #expect(try pauseEvents(scenario).count == 1)
        let cursor = try #require(try SyncEngine.cursor(of: "zendesk", in: scenario.log))
        #expect(try scenario.events([.observed]).contains { $0.record == created })

        // The same process asks Jira nothing more: no request, no second event.
        let requests = scenario.jiraRequests.value
        let again = try await engine.runOnce()
        #expect(again.paused.keys.sorted() == ["jira"] && again.deferred >= 2)
        #expect(scenario.jiraRequests.value == requests, "Jira was called while paused")
        #expect(try pauseEvents(scenario).count == 1)

        // A new process finds the pause in the log and does not call Jira with the dead grant.
        let restarted = try scenario.engine()
        let afterRestart = try await restarted.runOnce()
        #expect(afterRestart.paused.keys.sorted() == ["jira"] && afterRestart.polled["jira"] == nil)
        #expect(scenario.jiraRequests.value == requests, "Jira was called after the restart")
        #expect(try pauseEvents(scenario).count == 1)
        #expect(try SyncEngine.cursor(of: "zendesk", in: scenario.log) == cursor)

        // Connected again, Jira's waiting work is done and the two systems converge.
        try await scenario.connect(restarted.connections)
        let resumed = try await restarted.runOnce()
        #expect(resumed.paused.isEmpty && resumed.polled["jira"] != nil, "\(resumed)")
        #expect(resumed.created == 1 && resumed.updated >= 1 && resumed.failed == 0, "\(resumed)")
        let settled = try await restarted.runOnce()
        #expect(settled.writes == 0 && settled.deferred == 0, "\(settled)")
        #expect(try restarted.plan().isEmpty)
        let renamed = try await scenario.issues(carrying: linked.remoteID)
        #expect(renamed.map(\.summary) == ["Renamed while Jira is paused"])
        #expect(try await scenario.issues(carrying: created.remoteID).count == 1)
        #expect(try pauseEvents(scenario).count == 1)
    }

    @Test func anAPITokenTheProviderRefusesPausesItsConnection() async throws {
        let scenario = try await OAuthJiraScenario()
        let engine = try scenario.engine()
        try engine.connections.vault.store(
            .apiToken(account: "agent@example.com/token", token: "revoked-token"), for: "zendesk")

        let report = try await engine.runOnce()
        #expect(Array(report.paused.keys) == ["zendesk"], "\(report)")
        #expect(report.polled["jira"] != nil && report.polled["zendesk"] == nil)
        let pause = try #require(report.paused["zendesk"])
        #expect(pause.reason.contains("answered 401"), "\(pause.reason)")
        #expect(pause.command == "syncledger connect zendesk")
        let events = try pauseEvents(scenario)
        #expect(events.count == 1)
        #expect(events.first?.body["connection"] == "zendesk")
        #expect(events.first?.body.json.contains("revoked-token") == false, "a secret was logged")
    }

    @Test func aWriteToAPausedConnectionIsNeitherMadeNorRecorded() async throws {
        let scenario = try await OAuthJiraScenario()
        let engine = try scenario.engine()
        _ = try await engine.poll()
        let write = try #require(try engine.plan().first { $0.targetConnection == "jira" })
        scenario.jiraEmulator.revokeAllTokens()
        _ = try await engine.poll()
        #expect(engine.guards.isPaused("jira"))

        let before = try scenario.log.lastSequence()
        await #expect(throws: NeedsReauthorization.self) {
            _ = try await engine.perform(write)
        }
        #expect(try scenario.log.lastSequence() == before, "no intent was recorded")
        #expect(try engine.plan().contains(write), "the write is still planned")
    }
}

@Suite("Folding pauses from the log")
struct ConnectionPausesTests {
    func event(_ sequence: UInt64, _ body: Value) -> Event {
        Event(
            sequence: SequenceNumber(sequence), id: .generate(), kind: .connectionChanged,
            record: nil, streamVersion: 0,
            recordedAt: Timestamp(microsecondsSinceEpoch: Int64(sequence) * 1_000_000),
            upstreamAt: nil, causation: [], body: body)
    }

    let connections = [
        Connection(
            name: "tracker", provider: .jira, baseURL: "https://example.atlassian.net",
            auth: .oauth, credential: "atlassian"),
        Connection(
            name: "desk", provider: .zendesk, baseURL: "https://example.zendesk.com",
            auth: .apiToken, credential: "desk"),
    ]

    @Test func theLastChangeOfEachConnectionDecides() {
        var pauses = ConnectionPauses(connections: connections)
        pauses.apply(
            event(
                1,
                [
                    "connection": "tracker", "change": "needsReauthorization",
                    "reason": "the provider answered invalid_grant",
                    "command": "syncledger connect atlassian",
                ]))
        pauses.apply(event(2, ["connection": "desk", "change": "needsReauthorization"]))
        pauses.apply(event(3, ["connection": "tracker", "change": "refreshed"]))
        #expect(pauses.paused.keys.sorted() == ["desk", "tracker"])
        #expect(pauses.paused["tracker"]?.command == "syncledger connect atlassian")
        #expect(pauses.paused["tracker"]?.since == Timestamp(microsecondsSinceEpoch: 1_000_000))
        #expect(pauses.paused["desk"]?.reason == "no reason was recorded")

        // connect records the vault name it wrote, which is the tracker's credential.
        let resumed = pauses.apply(event(4, ["connection": "atlassian", "change": "authorised"]))
        #expect(resumed.contains("tracker"))
        #expect(pauses.paused.keys.sorted() == ["desk"])
        pauses.apply(event(5, ["connection": "desk", "change": "authorised"]))
        pauses.apply(event(6, ["connection": "desk", "change": "needsReauthorization"]))
        #expect(pauses.paused["desk"]?.event == SequenceNumber(6))
    }
}

@Suite("Auditing a paused connection")
struct PausedAuditTests {
    @Test func anAuditDoesNotReadAConnectionThatIsPaused() async throws {
        let scenario = try await OAuthJiraScenario()
        let engine = try scenario.engine()
        #expect(try await engine.runOnce().failed == 0)
        scenario.jiraEmulator.revokeAllTokens()
        #expect(try await engine.runOnce().paused.keys.sorted() == ["jira"])

        let requests = scenario.jiraRequests.value
        let audit = Audit(engine: try scenario.engine())
        await #expect(throws: NeedsReauthorization.self) {
            _ = try await audit.run()
        }
        #expect(scenario.jiraRequests.value == requests, "Jira was read while paused")
    }
}
