import Connectors
import Engine
import Foundation
import HTTPServer
import Ledger
import Reconcile
import Testing

/// What `syncledger status` reports, read from a ledger a real sync built against the sandbox.
@Suite("The status of a ledger's connections")
struct StatusTests {
    let signingSecret = "status-signing-secret"

    /// A Zendesk webhook delivery for `ticket`, signed now with `secret`.
    func delivery(ticket: String, id: String, secret: String) -> (HTTPHeaders, [UInt8]) {
        let body = Array(
            Value.object([
                "id": .string(id), "type": "zen:event-type:ticket.updated",
                "detail": [
                    "id": .integer(Int64(ticket)!), "subject": "Changed in a webhook",
                    "status": "open", "priority": "high", "tags": [],
                    "updated_at": .string(SystemClock().now().description),
                ],
            ]).json.utf8)
        let now = SystemClock().now()
        let timestamp = Timestamp(secondsSinceEpoch: now.microseconds / 1_000_000).description
        let code = HMACSHA256.authenticate(
            Array(timestamp.utf8) + body, key: Array(secret.utf8))
        return (
            [
                "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
                "X-Zendesk-Webhook-Signature": Data(code).base64EncodedString(),
            ], body
        )
    }

    /// Sets the Jira sandbox's share of requests answered 503.
    func setJiraServerErrors(_ scenario: OAuthJiraScenario, rate: Int) async throws {
        let response = try await URLSessionTransport().send(
            ConnectorRequest(
                method: "PUT", url: scenario.jiraServer.baseURL + "/_sandbox/faults",
                headers: [("Content-Type", "application/json")],
                body: Array(#"{"serverErrorRate": \#(rate)}"#.utf8)))
        try #require(response.status == 200)
    }

    func status(_ scenario: OAuthJiraScenario) throws -> LedgerStatus {
        try LedgerStatus(
            log: scenario.log, quarantine: Quarantine(ledger: scenario.ledger),
            budget: BudgetSnapshot.read(ledger: scenario.ledger), now: SystemClock().now())
    }

    @Test func eachConnectionsPollsWebhooksIntentsFailuresBudgetAndPause() async throws {
        let scenario = try await OAuthJiraScenario()
        let engine = try scenario.engine()
        let synced = try await engine.runOnce()
        #expect(synced.created > 0 && synced.failed == 0, "\(synced)")
        let linked = try #require(try scenario.events([.linked]).first?.record)

        // One delivery recorded, one refused for its signature.
        try engine.connections.vault.store(.secret(signingSecret), for: "zendesk-webhook")
        let intake = WebhookIntake(
            log: scenario.log, configuration: scenario.file.configuration,
            connections: engine.connections, quarantine: Quarantine(ledger: scenario.ledger))
        let (headers, body) = delivery(ticket: linked.remoteID, id: "d-1", secret: signingSecret)
        #expect(intake.receive(connection: "zendesk", headers: headers, body: body).status == 200)
        let (forged, forgedBody) = delivery(ticket: linked.remoteID, id: "d-2", secret: "guess")
        #expect(
            intake.receive(connection: "zendesk", headers: forged, body: forgedBody).status == 401)

        // Two new tickets call for two issues: one create fails at Jira, the other is left in
        // doubt, as if the process had stopped after recording its intent.
        let zendesk = try engine.connections.zendesk(scenario.zendesk)
        for number in 1...2 {
            _ = try await zendesk.create(
                [
                    "subject": .string("Status ticket \(number)"), "description": "Needs an issue",
                    "priority": "normal", "status": "open",
                ], idempotencyKey: "status-test-\(number)")
        }
        scenario.zendeskClock.advance(seconds: 120)
        _ = try await engine.poll()
        let creates = try engine.plan().filter { $0.intent.operation == .create }
        try #require(creates.count == 2, "\(creates)")
        try await setJiraServerErrors(scenario, rate: 1)
        #expect(try await engine.perform(creates[0]) == .failed)
        try await setJiraServerErrors(scenario, rate: 0)
        _ = try await scenario.log.append([creates[1].intent.event(creates[1].record)])

        let before = try status(scenario)
        #expect(before.connections.map(\.name) == ["zendesk", "jira"])
        #expect(before.configuration?.digest == scenario.file.digest)
        #expect(before.lastPass != nil)
        #expect(before.lastSequence == (try scenario.log.lastSequence()))
        let zendeskStatus = before.connections[0]
        let jiraStatus = before.connections[1]
        let advances = try scenario.events([.cursorAdvanced])
        let lastZendeskAdvance = try #require(
            advances.last { $0.body["connection"] == "zendesk" })
        #expect(zendeskStatus.provider == "zendesk")
        #expect(zendeskStatus.lastPoll == lastZendeskAdvance.recordedAt)
        #expect(zendeskStatus.cursor == (try SyncEngine.cursor(of: "zendesk", in: scenario.log)))
        #expect(jiraStatus.cursor == (try SyncEngine.cursor(of: "jira", in: scenario.log)))
        #expect(zendeskStatus.webhookEvents == 1 && jiraStatus.webhookEvents == 0)
        #expect(zendeskStatus.quarantined == 1 && jiraStatus.quarantined == 0)
        #expect(zendeskStatus.lastQuarantined?.reason == "the signature does not match")
        #expect(jiraStatus.failures == 1 && zendeskStatus.failures == 0)
        #expect(jiraStatus.lastFailure?.error.contains("last answer 503") == true)
        #expect(jiraStatus.pendingIntents == 1 && zendeskStatus.pendingIntents == 0)
        #expect(jiraStatus.oldestPending != nil)
        for connection in before.connections {
            let budget = try #require(connection.budget, "\(connection.name) has no budget")
            #expect(budget.limit != nil && budget.remaining < budget.limit!)
            #expect(budget.observedAt <= before.lastPass!)
            #expect(connection.pause == nil)
        }
        #expect(before.quarantinedElsewhere == 0)

        // Jira's grant revoked: the pass pauses it, and the status says why and what to run.
        let lastJiraReading = engine.connections.rateLimits.readings["jira"]
        scenario.jiraEmulator.revokeAllTokens()
        let paused = try await engine.runOnce()
        #expect(paused.paused.keys.sorted() == ["jira"] && paused.recovery.waiting == 1)
        let after = try status(scenario)
        let pause = try #require(after.connections[1].pause)
        #expect(pause.command == "syncledger connect jira")
        #expect(pause.reason.contains("invalid_grant"))
        #expect(pause.since != nil && pause.since! <= after.takenAt)
        #expect(after.connections[0].pause == nil)
        #expect(after.connections[1].pendingIntents == 1, "still in doubt while paused")
        #expect(after.lastPass! > before.lastPass!)
        #expect(after.connections[1].budget == lastJiraReading, "kept from before the pause")
    }

    @Test func withoutAConfigurationTheConnectionsTheLogNamesAreShown() throws {
        let directory =
            FileManager.default.temporaryDirectory.path + "/status-bare-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try EventLog.open(at: directory)
        defer { log.close() }
        _ = try log.appendWaiting(
            AppendBatch([
                NewEvent(
                    kind: .cursorAdvanced, record: nil,
                    body: ["connection": "desk", "cursor": "abc"]),
                NewEvent(
                    kind: .connectionChanged, record: nil,
                    body: [
                        "connection": "tracker", "change": "needsReauthorization",
                        "reason": "gone", "command": "syncledger connect tracker",
                    ]),
            ]))
        let status = try LedgerStatus(
            log: log, quarantine: Quarantine(ledger: directory), budget: nil,
            now: SystemClock().now())
        #expect(status.configuration == nil && status.lastPass == nil)
        #expect(status.connections.map(\.name) == ["desk", "tracker"])
        #expect(status.connections[0].cursor == "abc" && status.connections[0].pause == nil)
        #expect(status.connections[1].pause?.reason == "gone")
        #expect(status.connections[1].budget == nil && status.connections[1].lastPoll == nil)
    }
}
