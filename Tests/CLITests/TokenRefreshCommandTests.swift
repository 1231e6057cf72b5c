import Foundation
import Ledger
import Testing

@Suite("Refreshing OAuth tokens in sync")
struct TokenRefreshCommandTests {
    @Test("sync refreshes expiring OAuth tokens through the client connect kept")
    func syncRefreshesExpiringTokens() async throws {
        // Tokens that last 63 s are refreshed once within a minute of expiry: after 3 s.
        let setup = try SandboxLedger(
            ["--tickets", "5", "--issues", "0", "--no-rate-limits", "--token-lifetime", "63"],
            edit: { $0.replacingOccurrences(of: "auth: apiToken", with: "auth: oauth") })
        for (name, url) in [("zendesk", setup.zendesk), ("jira", setup.jira)] {
            try setup.run([
                "connect", name, "--provider", name, "--base-url", url, "--client-id",
                "syncledger-sandbox", "--client-secret", "sandbox-client-secret", "--fetch",
            ])
        }

        let first = try setup.sync()
        #expect(first.status == 0, "\(first)")
        #expect(try refreshes(setup).isEmpty, "fresh tokens need no refresh")

        try await Task.sleep(for: .seconds(4))
        let (_, issue) = try setup.firstLink()
        _ = try await setup.jira(
            "PUT", "/rest/api/3/issue/\(issue)",
            body: ["fields": ["summary": "After the refresh"]])

        let second = try setup.sync()
        #expect(second.status == 0, "\(second)")
        #expect(second.stdout.contains("updated 1, failed 0"), "\(second)")
        #expect(!second.stderr.contains("paused"), "\(second)")
        let refreshed = Set(try refreshes(setup).compactMap { $0["body"]?["connection"] })
        #expect(refreshed == ["zendesk", "jira"])
        // The events say until when; no token is ever in the log.
        let log = try SyncLedgerCLI.logJSON(setup.directory.ledger)
        #expect(!log.stdout.contains("at_") && !log.stdout.contains("rt_"))
    }

    /// The `connectionChanged` events that record a refresh.
    private func refreshes(_ setup: SandboxLedger) throws -> [Value] {
        try setup.events("connectionChanged").filter { $0["body"]?["change"] == "refreshed" }
    }
}
