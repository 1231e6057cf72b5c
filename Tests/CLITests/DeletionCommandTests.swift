import Foundation
import Ledger
import Testing

@Suite("Deletions through the sync command")
struct DeletionCommandTests {
    @Test("a ticket deleted in Zendesk reaches sync by webhook and tags its issue, once")
    func deletedTicketTagsItsIssue() async throws {
        let sandbox = try RunningProgram.syncledger(
            ["sandbox", "--json", "--tickets", "6", "--issues", "0", "--no-rate-limits"])
        defer {
            sandbox.send(SIGTERM)
            _ = sandbox.waitForExit(timeout: 30)
        }
        let description = try Value(json: try #require(sandbox.waitForLines(1, timeout: 30).first))
        let zendesk = try #require(description["zendesk"]?["baseURL"]?.stringValue)
        let jira = try #require(description["jira"]?["baseURL"]?.stringValue)

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ledger = directory.ledger.path
        let file = directory.url.appendingPathComponent("syncledger.yaml").path
        let port = Int.random(in: 42_000...52_000)
        let registered = try await SyncCommandTests.call(
            "POST", zendesk + "/api/v2/webhooks", user: "agent@example.com/token",
            body: ["webhook": ["endpoint": .string("http://127.0.0.1:\(port)/webhooks/zendesk")]])
        let hook = try #require(registered["webhook"]?["id"]?.stringValue)
        let signing = try await SyncCommandTests.call(
            "GET", zendesk + "/api/v2/webhooks/\(hook)/signing_secret",
            user: "agent@example.com/token")
        let secret = try #require(signing["signing_secret"]?["secret"]?.stringValue)
        _ = try SyncLedgerCLI.run(
            ["secret", "zendesk-webhook", "--ledger", ledger], stdin: secret + "\n")
        let created = try SyncLedgerCLI.run([
            "init", file, "--sandbox", "--zendesk-url", zendesk, "--jira-url", jira,
            "--ledger", ledger,
        ])
        try #require(created.status == 0, "\(created)")
        // Passes a second apart, so the deletion is acted on while the test waits.
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("onDelete: tag"))
        try text.replacingOccurrences(of: "pollEvery: 30s", with: "pollEvery: 1s")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let applied = try SyncLedgerCLI.run(["apply", file, "--ledger", ledger])
        try #require(applied.status == 0, "\(applied)")

        let sync = try RunningProgram.syncledger(
            ["sync", "--config", file, "--listen", String(port), "--ledger", ledger])
        let first = sync.waitForLines(2, timeout: 60)
        #expect(first.last?.contains("failed 0") == true, "\(first)")
        let link = try Value(
            json: try #require(
                try SyncLedgerCLI.logJSON(directory.ledger, ["--kind", "linked"]).lines.first))
        let ticket = try #require(link["record"]?.stringValue?.split(separator: "/").last)
        let issue = try #require(
            link["body"]?["counterpart"]?.stringValue?.split(separator: "/").last)

        _ = try await SyncCommandTests.call(
            "DELETE", zendesk + "/api/v2/tickets/\(ticket).json", user: "agent@example.com/token")
        var labels: [Value] = []
        for _ in 0..<200 where !labels.contains("syncledger-deleted") {
            try await Task.sleep(for: .milliseconds(50))
            let answer = try await SyncCommandTests.call(
                "GET", jira + "/rest/api/3/issue/\(issue)", user: "agent@example.com")
            labels = answer["fields"]?["labels"]?.arrayValue ?? []
        }
        sync.send(SIGTERM)
        _ = sync.waitForExit(timeout: 30)
        #expect(labels.contains("syncledger-deleted"), "the issue is labelled")

        let deletions = try SyncLedgerCLI.logJSON(
            directory.ledger, ["--kind", "deleted", "--record", "zendesk:ticket/\(ticket)"])
        #expect(deletions.lines.count == 1, "\(deletions)")
        #expect(try Value(json: deletions.lines[0])["body"]?["source"] == "webhook")

        // Settled: no second issue, and nothing more to write.
        let again = try SyncLedgerCLI.run(["sync", "--config", file, "--once", "--ledger", ledger])
        #expect(again.stdout.contains("created 0, updated 0, failed 0"), "\(again)")
        let intents = try SyncLedgerCLI.logJSON(
            directory.ledger, ["--kind", "writeIntended", "--record", "jira:issue/\(issue)"])
        #expect(
            intents.lines.filter { $0.contains(":deleted:") }.count == 1,
            "one write for the deletion: \(intents)")
    }
}
