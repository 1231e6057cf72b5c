import Foundation
import Ledger
import Testing

@Suite("Deletions through the sync command")
struct DeletionCommandTests {
    @Test("a ticket deleted in Zendesk reaches sync by webhook and tags its issue, once")
    func deletedTicketTagsItsIssue() async throws {
        // Passes a second apart, so the deletion is acted on while the test waits.
        let setup = try SandboxLedger(
            ["--tickets", "6", "--issues", "0", "--no-rate-limits"],
            edit: { $0.replacingOccurrences(of: "pollEvery: 30s", with: "pollEvery: 1s") },
            apply: false)
        #expect(try String(contentsOfFile: setup.file, encoding: .utf8).contains("onDelete: tag"))
        let port = try unusedLoopbackPort()
        let registered = try await setup.zendesk(
            "POST", "/api/v2/webhooks",
            body: ["webhook": ["endpoint": .string("http://127.0.0.1:\(port)/webhooks/zendesk")]])
        let hook = try #require(registered["webhook"]?["id"]?.stringValue)
        let signing = try await setup.zendesk("GET", "/api/v2/webhooks/\(hook)/signing_secret")
        let secret = try #require(signing["signing_secret"]?["secret"]?.stringValue)
        _ = try SyncLedgerCLI.run(
            ["secret", "zendesk-webhook", "--ledger", setup.ledger], stdin: secret + "\n")
        try setup.run(["apply", setup.file])

        let sync = try RunningProgram.syncledger(
            ["sync", "--config", setup.file, "--listen", String(port), "--ledger", setup.ledger])
        let first = sync.waitForLines(2, timeout: 60)
        #expect(first.last?.contains("failed 0") == true, "\(first)")
        let (ticket, issue) = try setup.firstLink()

        _ = try await setup.zendesk("DELETE", "/api/v2/tickets/\(ticket).json")
        var labels: [Value] = []
        for _ in 0..<200 where !labels.contains("syncledger-deleted") {
            try await Task.sleep(for: .milliseconds(50))
            let answer = try await setup.jira("GET", "/rest/api/3/issue/\(issue)")
            labels = answer["fields"]?["labels"]?.arrayValue ?? []
        }
        sync.send(SIGTERM)
        _ = sync.waitForExit(timeout: 30)
        #expect(labels.contains("syncledger-deleted"), "the issue is labelled")

        let deletions = try setup.events("deleted").filter {
            $0["record"] == .string("zendesk:ticket/\(ticket)")
        }
        #expect(deletions.count == 1)
        #expect(deletions.first?["body"]?["source"] == "webhook")

        // Settled: no second issue, and nothing more to write.
        let again = try setup.sync()
        #expect(again.stdout.contains("created 0, updated 0, failed 0"), "\(again)")
        let intents = try setup.events("writeIntended").filter {
            $0["record"] == .string("jira:issue/\(issue)")
                && $0["body"]?["idempotencyKey"]?.stringValue?.contains(":deleted:") == true
        }
        #expect(intents.count == 1, "one write for the deletion")
    }
}
