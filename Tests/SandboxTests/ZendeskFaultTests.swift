import Foundation
import Ledger
import Sandbox
import Testing

@Suite("Sandbox faults")
struct ZendeskFaultTests {
    func setFaults(_ sandbox: ZendeskSandbox, _ json: String) async throws -> ZendeskSandbox.Answer
    {
        try await sandbox.send("PUT", "/_sandbox/faults", json: json)
    }

    @Test func serverErrorsAreDrawnFromTheSeedAndCanBeTurnedOff() async throws {
        let sandbox = try ZendeskSandbox { $0.requestsPerMinute = 0 }
        func statuses() async throws -> [Int] {
            var statuses: [Int] = []
            for _ in 0..<30 {
                statuses.append(try await sandbox.send("GET", "/api/v2/tickets/1.json").status)
            }
            return statuses
        }
        let set = try await setFaults(sandbox, #"{"serverErrorRate":0.5,"seed":9}"#)
        #expect(set.status == 200)
        #expect(
            set.body["serverErrorRate"] == .decimal(DecimalNumber(significand: 5, exponent: -1)!))
        let first = try await statuses()
        #expect(first.contains(503))
        #expect(first.contains(200))
        #expect(Set(first) == [200, 503])

        _ = try await setFaults(sandbox, #"{"seed":9}"#)
        #expect(try await statuses() == first, "the same seed gives the same faults")

        _ = try await setFaults(sandbox, #"{"serverErrorRate":0}"#)
        #expect(try await statuses().allSatisfy { $0 == 200 })
    }

    @Test func aRateLimitStormAnswers429WithRetryAfter() async throws {
        let sandbox = try ZendeskSandbox { $0.faults.rateLimitStormRate = 1 }
        let stormed = try await sandbox.send("GET", "/api/v2/tickets/1.json")
        #expect(stormed.status == 429)
        #expect(stormed.headers["retry-after"].flatMap { Int($0) }.map { $0 >= 1 } == true)
        #expect(stormed.headers["x-rate-limit-remaining"] == "0")
    }

    @Test func latencyIsAddedToEveryAnswer() async throws {
        let sandbox = try ZendeskSandbox { $0.faults.addedLatencyMilliseconds = 150 }
        let started = ContinuousClock.now
        #expect(try await sandbox.send("GET", "/api/v2/tickets/1.json").status == 200)
        #expect(ContinuousClock.now - started >= .milliseconds(150))
    }

    @Test func schemaDriftRenamesAPriorityAndAddsAField() async throws {
        let sandbox = try ZendeskSandbox()
        _ = try await sandbox.send(
            "PUT", "/api/v2/tickets/2.json", json: #"{"ticket":{"priority":"urgent"}}"#)
        #expect(
            try await sandbox.send("GET", "/api/v2/tickets/2.json").body["ticket"]?["priority"]
                == "urgent")
        _ = try await setFaults(sandbox, #"{"schemaDrift":true}"#)
        let drifted = try await sandbox.send("GET", "/api/v2/tickets/2.json").body["ticket"]
        #expect(drifted?["priority"] == "critical")
        #expect(drifted?["sla_policy_v2"] != nil)
        let page = try await sandbox.send("GET", "/api/v2/tickets.json?page%5Bsize%5D=2")
        #expect(page.body["tickets"]?.arrayValue?.last?["priority"] == "critical")
    }

    @Test func webhookDeliveriesCanBeDroppedDuplicatedAndReordered() async throws {
        let sandbox = try ZendeskSandbox()
        let receiver = try WebhookReceiver()
        _ = try await sandbox.send(
            "POST", "/api/v2/webhooks.json",
            json: #"{"webhook":{"name":"faults","endpoint":"\#(receiver.url)"}}"#)
        func update(_ id: Int) async throws {
            _ = try await sandbox.send(
                "PUT", "/api/v2/tickets/\(id).json", json: #"{"ticket":{"status":"pending"}}"#)
        }
        func subjects(_ calls: [Value]) -> [String] {
            calls.compactMap { $0["subject"]?.stringValue }
        }

        _ = try await setFaults(sandbox, #"{"webhookDropRate":1}"#)
        try await update(1)
        _ = try await setFaults(sandbox, #"{"webhookDropRate":0,"webhookDuplicateRate":1}"#)
        try await update(2)
        var calls = try await receiver.wait(for: 2).map { try Value(jsonBytes: $0.body) }
        #expect(subjects(calls) == ["zen:ticket:2", "zen:ticket:2"])

        _ = try await setFaults(sandbox, #"{"webhookDuplicateRate":0,"webhookReorder":true}"#)
        try await update(3)
        try await update(4)
        calls = try await receiver.wait(for: 4).map { try Value(jsonBytes: $0.body) }
        #expect(subjects(Array(calls.dropFirst(2))) == ["zen:ticket:4", "zen:ticket:3"])
    }

    @Test func tokensCanBeRevokedAndBadSettingsAreRefused() async throws {
        let sandbox = try ZendeskSandbox()
        let tokens = try await sandbox.token([
            "grant_type": "client_credentials", "client_id": "syncledger-sandbox",
            "client_secret": "sandbox-client-secret",
        ])
        let access = try #require(tokens.body["access_token"]?.stringValue)
        #expect(
            try await sandbox.send(
                "GET", "/api/v2/tickets/1.json", authorization: "Bearer \(access)"
            ).status == 200)
        #expect(try await sandbox.send("POST", "/_sandbox/revoke-tokens").status == 204)
        #expect(
            try await sandbox.send(
                "GET", "/api/v2/tickets/1.json", authorization: "Bearer \(access)"
            ).status == 401)

        let bad = try await setFaults(sandbox, #"{"serverErrorRate":2}"#)
        #expect(bad.status == 400)
        #expect(bad.body["error"]?.stringValue?.contains("serverErrorRate") == true)
        let unknown = try await setFaults(sandbox, #"{"meteorStrike":true}"#)
        #expect(unknown.body["error"] == "unknown fault 'meteorStrike'")
        #expect(
            try await sandbox.send("GET", "/_sandbox/faults").body["serverErrorRate"]
                == .decimal(DecimalNumber(significand: 0, exponent: 0)!))
    }
}
