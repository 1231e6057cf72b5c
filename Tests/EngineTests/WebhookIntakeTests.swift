import Connectors
import Engine
import Foundation
import HTTPServer
import Ledger
import Testing

/// Webhook deliveries: verified, recorded once, refused with a reason and kept aside.
@Suite("Webhook intake")
struct WebhookIntakeTests {
    let zendeskSecret = "zendesk-signing-secret"

    func intake(_ scenario: EngineScenario, now: Timestamp? = nil) throws -> WebhookIntake {
        try scenario.connections.vault.store(.secret(zendeskSecret), for: "zendesk-webhook")
        try scenario.connections.vault.store(.secret("jira-signing-secret"), for: "jira-webhook")
        let clock = now
        return WebhookIntake(
            log: scenario.log, configuration: scenario.file.configuration,
            connections: scenario.connections, quarantine: Quarantine(ledger: scenario.ledger),
            now: { clock ?? SystemClock().now() })
    }

    /// A Zendesk delivery for ticket 3 signed with `secret` at `time`.
    func zendeskDelivery(
        id: String = "evt-1", secret: String? = nil, time: Timestamp = SystemClock().now(),
        body: [UInt8]? = nil
    ) -> (HTTPHeaders, [UInt8]) {
        let payload: Value = [
            "id": .string(id), "type": "zen:event-type:ticket.updated", "subject": "zen:ticket:3",
            "detail": [
                "id": 3, "subject": "From a webhook", "status": "open", "priority": "high",
                "updated_at": "2026-12-03T10:00:00Z", "tags": [],
            ],
        ]
        let bytes = body ?? Array(payload.json.utf8)
        let timestamp = Timestamp(secondsSinceEpoch: time.microseconds / 1_000_000).description
        let code = HMACSHA256.authenticate(
            Array(timestamp.utf8) + bytes, key: Array((secret ?? zendeskSecret).utf8))
        let headers: HTTPHeaders = [
            "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
            "X-Zendesk-Webhook-Signature": Data(code).base64EncodedString(),
        ]
        return (headers, bytes)
    }

    func events(_ scenario: EngineScenario) throws -> [Event] {
        try scenario.log.read(from: .zero, limit: 100_000).filter { $0.kind != .configApplied }
    }

    @Test func aSignedDeliveryIsRecordedOnceHoweverOftenItComes() async throws {
        let scenario = try await EngineScenario()
        let intake = try intake(scenario)
        let (headers, body) = zendeskDelivery()
        for _ in 0..<3 {
            let answer = intake.receive(connection: "zendesk", headers: headers, body: body)
            #expect(answer.status == 200, "\(answer)")
        }
        let recorded = try events(scenario)
        #expect(recorded.count == 1)
        #expect(recorded.first?.record?.description == "zendesk:ticket/3")
        #expect(recorded.first?.body["source"] == "webhook")
        #expect(recorded.first?.body["fields"]?["subject"] == "From a webhook")
    }

    @Test(
        "a refused delivery is answered with its reason, kept aside, and never applied",
        arguments: [
            ("bad signature", 401, "the signature does not match"),
            ("stale", 401, "the delivery is stale"),
            ("not JSON", 400, "the body is not JSON"),
            ("unsigned", 401, "the delivery is not signed"),
            ("unknown connection", 404, "no connection is named 'github'"),
        ])
    func refusals(kind: String, status: Int, reason: String) async throws {
        let scenario = try await EngineScenario()
        let intake = try intake(scenario)
        var connection = "zendesk"
        var (headers, body) = zendeskDelivery()
        switch kind {
        case "bad signature": (headers, body) = zendeskDelivery(secret: "guessed")
        case "stale":
            (headers, body) = zendeskDelivery(
                time: Timestamp(
                    microsecondsSinceEpoch: SystemClock().now().microseconds - 600_000_000))
        case "not JSON": (headers, body) = zendeskDelivery(body: Array("{not json".utf8))
        case "unsigned": headers = HTTPHeaders()
        default: connection = "github"
        }
        let answer = intake.receive(connection: connection, headers: headers, body: body)
        #expect(answer.status == status)
        #expect(answer.reason.hasPrefix(reason), "\(answer)")
        #expect(try events(scenario).isEmpty)
        let kept = try intake.quarantine.entries()
        #expect(kept.count == 1)
        #expect(kept.first?["reason"]?.stringValue?.hasPrefix(reason) == true)
        #expect(kept.first?["connection"]?.stringValue == connection)
    }

    @Test func theSandboxesDeliveriesArriveOverHTTP() async throws {
        let scenario = try await EngineScenario()
        let intake = try intake(scenario)
        let receiver = try HTTPServer(router: intake.router)
        defer { receiver.stop() }

        // Zendesk makes its own secret; the vault keeps it under the configured name.
        let zendesk = try scenario.engine.connections.zendesk(
            scenario.file.configuration.connection(named: "zendesk")!)
        let registered = try await SyncCommandlessHTTP.call(
            "POST", scenario.zendeskServer.baseURL + "/api/v2/webhooks",
            user: "agent@example.com/token",
            body: ["webhook": ["endpoint": .string(receiver.baseURL + "/webhooks/zendesk")]])
        let hook = try #require(registered["webhook"]?["id"]?.stringValue)
        let secret = try await SyncCommandlessHTTP.call(
            "GET", scenario.zendeskServer.baseURL + "/api/v2/webhooks/\(hook)/signing_secret",
            user: "agent@example.com/token")
        try scenario.connections.vault.store(
            .secret(try #require(secret["signing_secret"]?["secret"]?.stringValue)),
            for: "zendesk-webhook")
        _ = try await SyncCommandlessHTTP.call(
            "POST", scenario.jiraServer.baseURL + "/rest/webhooks/1.0/webhook",
            user: "agent@example.com",
            body: [
                "name": "syncledger", "url": .string(receiver.baseURL + "/webhooks/jira"),
                "events": ["jira:issue_created"], "secret": "jira-signing-secret",
            ])

        _ = try await zendesk.update("2", ["subject": "Changed with a webhook watching"])
        let (issue, _) = try await scenario.jira().create(["summary": "Announced"])
        var seen: [Event] = []
        for _ in 0..<400 where seen.count < 2 {
            try await Task.sleep(for: .milliseconds(25))
            seen = try events(scenario).filter { $0.body["source"] == "webhook" }
        }
        #expect(
            seen.map { $0.record?.description ?? "" }.sorted() == [
                "jira:issue/\(issue.remoteID)", "zendesk:ticket/2",
            ])
        #expect(try intake.quarantine.entries().isEmpty)
    }
}

/// Plain HTTP calls to the sandbox with its API token.
enum SyncCommandlessHTTP {
    static func call(
        _ method: String, _ url: String, user: String, body: Value? = nil
    ) async throws -> Value {
        let client = ConnectorClient()
        var headers = [
            (
                "Authorization",
                "Basic " + Data("\(user):sandbox-token".utf8).base64EncodedString()
            )
        ]
        if body != nil {
            headers.append(("Content-Type", "application/json"))
        }
        let response = try await client.send(
            ConnectorRequest(
                method: method, url: url, headers: headers, body: body.map { Array($0.json.utf8) }))
        return response.body.isEmpty ? .null : try Value(jsonBytes: response.body)
    }
}
