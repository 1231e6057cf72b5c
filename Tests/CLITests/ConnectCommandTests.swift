import Foundation
import Ledger
import Testing

@Suite("The connect command")
struct ConnectCommandTests {
    @Test("connect authorises both sandbox providers over OAuth without a browser")
    func connectsOverOAuth() throws {
        let sandbox = try RunningProgram.syncledger(["sandbox", "--json"])
        defer {
            sandbox.send(SIGTERM)
            _ = sandbox.waitForExit(timeout: 30)
        }
        let description = try Value(json: try #require(sandbox.waitForLines(1, timeout: 30).first))
        let zendesk = try #require(description["zendesk"]?["baseURL"]?.stringValue)
        let jira = try #require(description["jira"]?["baseURL"]?.stringValue)

        try withTemporaryDirectory { directory in
            let ledger = directory.ledger.path
            let oauth = [
                "--client-id", "syncledger-sandbox", "--client-secret", "sandbox-client-secret",
                "--fetch",
            ]
            let first = try SyncLedgerCLI.run(
                [
                    "connect", "zendesk", "--ledger", ledger, "--provider", "zendesk", "--base-url",
                    zendesk,
                ] + oauth)
            #expect(first.status == 0, "\(first)")
            #expect(first.stdout.hasPrefix("connected zendesk: OAuth, scope read write"))
            let second = try SyncLedgerCLI.run(
                ["connect", "jira", "--ledger", ledger, "--provider", "jira", "--base-url", jira]
                    + oauth)
            #expect(second.status == 0, "\(second)")
            #expect(second.stdout.contains("cloud id sandbox-cloud"))

            let events = try SyncLedgerCLI.logJSON(directory.ledger).lines.map {
                try Value(json: $0)
            }
            #expect(events.map { $0["kind"] } == ["connectionChanged", "connectionChanged"])
            #expect(events.first?["body"]?["change"] == "authorised")

            // Tokens look like at_… and rt_… in the sandbox: none may leave the vault.
            let data = try #require(FileManager.default.contents(atPath: ledger + "/data.mdb"))
            let text = String(decoding: data, as: UTF8.self) + first.stdout + second.stdout
            #expect(!text.contains("at_"))
            #expect(!text.contains("rt_"))
            let attributes = try FileManager.default.attributesOfItem(
                atPath: ledger + "/vault.sealed")
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
        }
    }

    @Test("connect stores an API token, and refuses incomplete options")
    func apiTokenAndUsage() throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger.path
            let stored = try SyncLedgerCLI.run(
                [
                    "connect", "zendesk", "--ledger", ledger, "--provider", "zendesk",
                    "--base-url", "https://example.zendesk.com", "--api-token",
                    "agent@example.com/token:abc123",
                ])
            #expect(stored.status == 0, "\(stored)")
            #expect(stored.stdout == "connected zendesk: API token for agent@example.com/token\n")
            #expect(!stored.stdout.contains("abc123"))

            let missing = try SyncLedgerCLI.run(
                [
                    "connect", "zendesk", "--ledger", ledger, "--provider", "zendesk", "--base-url",
                    "https://x.zendesk.com",
                ])
            #expect(missing.status == 64)
            #expect(missing.stderr.contains("'--client-id' and '--client-secret'"))
            let provider = try SyncLedgerCLI.run(
                [
                    "connect", "x", "--ledger", ledger, "--provider", "github", "--base-url",
                    "https://x",
                ])
            #expect(provider.status == 64)
        }
    }
}
