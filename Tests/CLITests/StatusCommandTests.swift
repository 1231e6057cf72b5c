import Foundation
import Ledger
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite("The status command")
struct StatusCommandTests {
    /// `syncledger status --json` for the ledger, parsed.
    func status(_ setup: OAuthSandboxLedger) throws -> Value {
        let result = try SyncLedgerCLI.run(["status", "--json", "--ledger", setup.ledger])
        try #require(result.status == 0, "\(result)")
        return try Value(json: result.stdout)
    }

    /// The connection called `name` in a status.
    func connection(_ status: Value, _ name: String) throws -> Value {
        try #require(status["connections"]?.arrayValue?.first { $0["name"] == .string(name) })
    }

    @Test("status shows polls, webhooks, budget and a pause, as text and as JSON")
    func showsEachConnection() async throws {
        let setup = try OAuthSandboxLedger(tickets: 4, rateLimits: true)
        defer { setup.stop() }
        let port = try unusedLoopbackPort()
        let registered = try await SyncCommandTests.call(
            "POST", setup.zendesk + "/api/v2/webhooks", user: "agent@example.com/token",
            body: ["webhook": ["endpoint": .string("http://127.0.0.1:\(port)/webhooks/zendesk")]])
        let hook = try #require(registered["webhook"]?["id"]?.stringValue)
        let signing = try await SyncCommandTests.call(
            "GET", setup.zendesk + "/api/v2/webhooks/\(hook)/signing_secret",
            user: "agent@example.com/token")
        let secret = try #require(signing["signing_secret"]?["secret"]?.stringValue)
        let stored = try SyncLedgerCLI.run(
            ["secret", "zendesk-webhook", "--ledger", setup.ledger], stdin: secret + "\n")
        try #require(stored.status == 0, "\(stored)")

        // sync keeps running and receiving webhooks; status reads the ledger beside it.
        let sync = try RunningProgram.syncledger(
            ["sync", "--config", setup.file, "--listen", String(port), "--ledger", setup.ledger])
        defer {
            sync.send(SIGTERM)
            _ = sync.waitForExit(timeout: 30)
        }
        let passed = sync.waitForLines(2, timeout: 60)
        try #require(passed.count == 2 && passed[1].hasPrefix("polled"), "\(passed)")
        _ = try await SyncCommandTests.call(
            "PUT", setup.zendesk + "/api/v2/tickets/2.json", user: "agent@example.com/token",
            body: ["ticket": ["subject": "Heard by webhook"]])
        var forged = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/webhooks/zendesk")!)
        forged.httpMethod = "POST"
        forged.setValue(
            "2026-12-03T10:00:00Z", forHTTPHeaderField: "X-Zendesk-Webhook-Signature-Timestamp")
        forged.setValue("bm90IGEgc2lnbmF0dXJl", forHTTPHeaderField: "X-Zendesk-Webhook-Signature")
        forged.httpBody = Data(#"{"id":"evt-x","detail":{"id":2,"subject":"forged"}}"#.utf8)
        let (_, answer) = try await URLSession.shared.data(for: forged)
        try #require((answer as? HTTPURLResponse)?.statusCode == 401)

        var live = try status(setup)
        for _ in 0..<200 where try connection(live, "zendesk")["webhookEvents"] == 0 {
            try await Task.sleep(for: .milliseconds(50))
            live = try status(setup)
        }
        let zendesk = try connection(live, "zendesk")
        let jira = try connection(live, "jira")
        #expect(zendesk["webhookEvents"] == 1, "\(zendesk)")
        #expect(zendesk["quarantined"] == 1 && jira["quarantined"] == 0, "\(zendesk)")
        #expect(zendesk["lastRefusal"]?["reason"] == "the signature does not match")
        #expect(live["configuration"]?["file"] == .string(setup.file))
        #expect(live["lastPass"]?.stringValue != nil)

        let advances = try SyncLedgerCLI.logJSON(
            setup.directory.ledger, ["--kind", "cursorAdvanced"]
        ).lines.map { try Value(json: $0) }
        for (name, state) in [("zendesk", zendesk), ("jira", jira)] {
            let advance = try #require(advances.last { $0["body"]?["connection"] == .string(name) })
            #expect(state["state"] == "active" && state["pause"] == .null)
            #expect(state["cursor"] == advance["body"]?["cursor"], "\(name)")
            #expect(state["lastPoll"] == advance["recordedAt"], "\(name)")
            #expect(state["pendingIntents"] == 0 && state["failures"] == 0, "\(name)")
            let budget = try #require(state["budget"]?.objectValue, "\(name) has a budget")
            let remaining = try #require(budget["remaining"]?.integerValue)
            let limit = try #require(budget["limit"]?.integerValue)
            #expect(remaining < limit, "\(name): \(budget)")
        }
        sync.send(SIGTERM)
        _ = sync.waitForExit(timeout: 30)

        // Jira's grant revoked: the next pass pauses it, and status says what to run.
        try await setup.revokeJira()
        let paused = try setup.sync()
        try #require(paused.status == 0, "\(paused)")
        let text = try SyncLedgerCLI.run(["status", "--ledger", setup.ledger])
        #expect(text.status == 0, "\(text)")
        #expect(text.stdout.contains("zendesk (zendesk)\n  state       active"), "\(text)")
        #expect(text.stdout.contains("jira (jira)\n  state       paused since "), "\(text)")
        #expect(text.stdout.contains("run: syncledger connect jira"), "\(text)")
        #expect(text.stdout.contains("1 delivery refused (last: the signature does not match)"))
        let after = try connection(try status(setup), "jira")
        #expect(after["state"] == "paused")
        #expect(after["pause"]?["command"] == "syncledger connect jira")
        #expect(after["pause"]?["reason"]?.stringValue?.contains("invalid_grant") == true)

        // Against another file, status reports that file's connections.
        let other = setup.directory.url.appendingPathComponent("other.yaml").path
        try String(contentsOfFile: setup.file, encoding: .utf8)
            .replacingOccurrences(of: "  jira:\n", with: "  tracker:\n")
            .replacingOccurrences(of: "right: jira:issue", with: "right: tracker:issue")
            .write(toFile: other, atomically: true, encoding: .utf8)
        let configured = try SyncLedgerCLI.run(
            ["status", "--json", "--config", other, "--ledger", setup.ledger])
        #expect(configured.status == 0, "\(configured)")
        let names = try Value(json: configured.stdout)["connections"]?.arrayValue?.map {
            $0["name"]?.stringValue ?? ""
        }
        #expect(names == ["zendesk", "tracker"], "\(configured)")
    }

    @Test("status of a ledger that does not exist fails and says so")
    func missingLedger() throws {
        try withTemporaryDirectory { directory in
            let result = try SyncLedgerCLI.run([
                "status", "--ledger", directory.url.appendingPathComponent("none").path,
            ])
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("there is no ledger"), "\(result)")
        }
    }
}
