import Foundation
import Ledger
import Testing

@Suite("Refreshing OAuth tokens in sync")
struct TokenRefreshCommandTests {
    @Test("sync refreshes expiring OAuth tokens through the client connect kept")
    func syncRefreshesExpiringTokens() async throws {
        // Tokens that last 63 s are refreshed once within a minute of expiry: after 3 s.
        let sandbox = try RunningProgram.syncledger([
            "sandbox", "--json", "--tickets", "5", "--issues", "0", "--no-rate-limits",
            "--token-lifetime", "63",
        ])
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
        let created = try SyncLedgerCLI.run([
            "init", file, "--sandbox", "--zendesk-url", zendesk, "--jira-url", jira,
            "--ledger", ledger,
        ])
        try #require(created.status == 0, "\(created)")
        try String(contentsOfFile: file, encoding: .utf8)
            .replacingOccurrences(of: "auth: apiToken", with: "auth: oauth")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let oauth = [
            "--client-id", "syncledger-sandbox", "--client-secret", "sandbox-client-secret",
            "--fetch", "--ledger", ledger,
        ]
        for (name, url) in [("zendesk", zendesk), ("jira", jira)] {
            let connected = try SyncLedgerCLI.run(
                ["connect", name, "--provider", name, "--base-url", url] + oauth)
            try #require(connected.status == 0, "\(connected)")
        }
        let applied = try SyncLedgerCLI.run(["apply", file, "--ledger", ledger])
        try #require(applied.status == 0, "\(applied)")
        let sync = ["sync", "--config", file, "--once", "--ledger", ledger]

        let first = try SyncLedgerCLI.run(sync)
        #expect(first.status == 0, "\(first)")
        #expect(try refreshes(directory).isEmpty, "fresh tokens need no refresh")

        try await Task.sleep(for: .seconds(4))
        let link = try Value(
            json: try #require(
                try SyncLedgerCLI.logJSON(directory.ledger, ["--kind", "linked"]).lines.first))
        let issue = try #require(
            link["body"]?["counterpart"]?.stringValue?.split(separator: "/").last)
        _ = try await SyncCommandTests.call(
            "PUT", jira + "/rest/api/3/issue/\(issue)", user: "agent@example.com",
            body: ["fields": ["summary": "After the refresh"]])

        let second = try SyncLedgerCLI.run(sync)
        #expect(second.status == 0, "\(second)")
        #expect(second.stdout.contains("updated 1, failed 0"), "\(second)")
        #expect(!second.stderr.contains("paused"), "\(second)")
        let refreshed = try refreshes(directory)
        #expect(
            Set(refreshed.compactMap { $0["body"]?["connection"]?.stringValue }) == [
                "zendesk", "jira",
            ])
        // The events say until when; no token is ever in the log.
        let log = try SyncLedgerCLI.logJSON(directory.ledger)
        #expect(!log.stdout.contains("at_") && !log.stdout.contains("rt_"))
    }

    /// The `connectionChanged` events that record a refresh.
    private func refreshes(_ directory: TemporaryDirectory) throws -> [Value] {
        try SyncLedgerCLI.logJSON(directory.ledger, ["--kind", "connectionChanged"]).lines.map {
            try Value(json: $0)
        }.filter { $0["body"]?["change"] == "refreshed" }
    }
}
