import Foundation
import Ledger
import Testing

@Suite("The webhooks command")
struct WebhooksCommandTests {
    @Test("webhooks points both providers at sync --listen, and running it again is safe")
    func registersWebhooksBothProvidersDeliver() async throws {
        let setup = try SandboxLedger(
            ["--tickets", "5", "--issues", "0", "--no-rate-limits"],
            edit: {
                $0.replacingOccurrences(
                    of: "    project: SUP",
                    with: "    project: SUP\n    webhookSecret: vault:jira-webhook")
            })
        let port = try unusedLoopbackPort()
        let base = "http://127.0.0.1:\(port)"
        let register = ["webhooks", "--config", setup.file, "--url", base]

        let first = try setup.run(register)
        #expect(
            first.lines == [
                "zendesk: delivers to \(base)/webhooks/zendesk (new; signing secret kept as "
                    + "vault:zendesk-webhook)",
                "jira: delivers to \(base)/webhooks/jira (new; signing secret kept as "
                    + "vault:jira-webhook)",
            ], "\(first)")
        let again = try setup.run(register)
        #expect(again.lines.allSatisfy { $0.contains("(registered before;") }, "\(again)")
        let zendeskHooks = try await setup.zendesk("GET", "/api/v2/webhooks")
        #expect(zendeskHooks["webhooks"]?.arrayValue?.count == 1)
        let jiraHooks = try await setup.jira("GET", "/rest/webhooks/1.0/webhook")
        #expect(jiraHooks.arrayValue?.count == 1)
        #expect(
            try setup.events("connectionChanged").filter {
                $0["body"]?["change"] == "webhookRegistered"
            }.count == 4)

        let sync = try RunningProgram.syncledger(
            ["sync", "--config", setup.file, "--listen", String(port), "--ledger", setup.ledger])
        defer {
            sync.send(SIGTERM)
            _ = sync.waitForExit(timeout: 30)
        }
        let started = sync.waitForLines(2, timeout: 60)
        #expect(started.last?.contains("failed 0") == true, "\(started)")
        let (ticket, issue) = try setup.firstLink()
        _ = try await setup.zendesk(
            "PUT", "/api/v2/tickets/\(ticket).json", body: ["ticket": ["priority": "urgent"]])
        _ = try await setup.jira(
            "PUT", "/rest/api/3/issue/\(issue)", body: ["fields": ["summary": "Heard"]])

        // Both deliveries pass the signature check with the secrets the command kept (Jira
        // also announced the issues the first pass made).
        let expected: Set<String> = ["zendesk:ticket/\(ticket)", "jira:issue/\(issue)"]
        var heard: Set<String> = []
        for _ in 0..<200 where !heard.isSuperset(of: expected) {
            try await Task.sleep(for: .milliseconds(50))
            for event in try setup.events("observed") where event["body"]?["source"] == "webhook" {
                heard.insert(event["record"]?.stringValue ?? "")
            }
        }
        #expect(heard.isSuperset(of: expected), "\(heard)")
        let quarantine = setup.ledger + "/quarantine.jsonl"
        #expect(!FileManager.default.fileExists(atPath: quarantine), "nothing was refused")
    }

    @Test("reordered and duplicated webhook deliveries leave the latest edit, recorded once each")
    func reorderedAndDuplicatedDeliveries() async throws {
        let setup = try SandboxLedger(
            [
                "--tickets", "5", "--issues", "0", "--no-rate-limits", "--faults",
                #"{"webhookReorder": true, "webhookDuplicateRate": 0.5, "seed": 3}"#,
            ],
            edit: { $0.replacingOccurrences(of: "pollEvery: 30s", with: "pollEvery: 1s") })
        let port = try unusedLoopbackPort()
        try setup.run(["webhooks", "--config", setup.file, "--url", "http://127.0.0.1:\(port)"])
        let sync = try RunningProgram.syncledger(
            ["sync", "--config", setup.file, "--listen", String(port), "--ledger", setup.ledger])
        defer {
            sync.send(SIGTERM)
            _ = sync.waitForExit(timeout: 30)
        }
        _ = sync.waitForLines(2, timeout: 60)
        let (ticket, issue) = try setup.firstLink()

        // Three edits a second apart; each delivery is held back until the next one has gone,
        // and about half are sent twice. A last edit elsewhere flushes the held one.
        for subject in ["One", "Two", "Three"] {
            _ = try await setup.zendesk(
                "PUT", "/api/v2/tickets/\(ticket).json",
                body: ["ticket": ["subject": .string(subject)]])
            try await Task.sleep(for: .seconds(1.1))
        }
        let other = ticket == "1" ? "2" : "1"
        _ = try await setup.zendesk(
            "PUT", "/api/v2/tickets/\(other).json", body: ["ticket": ["subject": "Flush"]])

        var summary: Value?
        for _ in 0..<200 where summary != "Three" {
            try await Task.sleep(for: .milliseconds(50))
            summary = try await setup.jira("GET", "/rest/api/3/issue/\(issue)")["fields"]?[
                "summary"]
        }
        #expect(summary == "Three", "the latest edit wins, whatever order it came in")
        let heard = try setup.events("observed").filter {
            $0["record"] == .string("zendesk:ticket/\(ticket)")
                && $0["body"]?["source"] == "webhook"
        }
        #expect(
            heard.compactMap { $0["body"]?["fields"]?["subject"]?.stringValue }.sorted()
                == ["One", "Three", "Two"], "each delivery recorded once")
        let shown = try Value(
            json: try setup.run(["show", "zendesk:ticket/\(ticket)", "--json"]).stdout)
        #expect(shown["fields"]?["subject"]?["value"] == "Three", "\(shown)")
    }
}
