import Foundation
import Ledger
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A sandbox, and a ledger whose configuration reaches Jira over OAuth and Zendesk with an API
/// token, applied and ready to sync.
struct OAuthSandboxLedger {
    let sandbox: RunningProgram
    let directory: TemporaryDirectory
    let zendesk: String
    let jira: String
    let file: String

    var ledger: String { directory.ledger.path }

    /// Starts the sandbox with `tickets` tickets, no Jira issues and, unless `rateLimits`,
    /// no rate limits; writes the starter file for it with Jira switched to OAuth, connects
    /// Jira and applies the file.
    init(tickets: Int, rateLimits: Bool = false) throws {
        sandbox = try RunningProgram.syncledger(
            ["sandbox", "--json", "--tickets", String(tickets), "--issues", "0"]
                + (rateLimits ? [] : ["--no-rate-limits"]))
        directory = try TemporaryDirectory()
        file = directory.url.appendingPathComponent("syncledger.yaml").path
        do {
            let description = try Value(
                json: try #require(sandbox.waitForLines(1, timeout: 30).first))
            zendesk = try #require(description["zendesk"]?["baseURL"]?.stringValue)
            jira = try #require(description["jira"]?["baseURL"]?.stringValue)
            try prepare()
        } catch {
            sandbox.send(SIGTERM)
            _ = sandbox.waitForExit(timeout: 30)
            directory.remove()
            throw error
        }
    }

    private func prepare() throws {
        let initialised = try SyncLedgerCLI.run([
            "init", file, "--sandbox", "--zendesk-url", zendesk, "--jira-url", jira, "--ledger",
            ledger,
        ])
        try #require(initialised.status == 0, "\(initialised)")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(
            of: "baseURL: \(jira)\n    auth: apiToken", with: "baseURL: \(jira)\n    auth: oauth"
        ).write(toFile: file, atomically: true, encoding: .utf8)
        try connectJira()
        let applied = try SyncLedgerCLI.run(["apply", file, "--ledger", ledger])
        try #require(applied.status == 0, "\(applied)")
    }

    /// Authorises Jira over OAuth through the sandbox's consent page.
    @discardableResult
    func connectJira() throws -> CommandResult {
        let connected = try SyncLedgerCLI.run([
            "connect", "jira", "--ledger", ledger, "--provider", "jira", "--base-url", jira,
            "--client-id", "syncledger-sandbox", "--client-secret", "sandbox-client-secret",
            "--fetch",
        ])
        try #require(connected.status == 0, "\(connected)")
        return connected
    }

    /// Revokes every OAuth grant Jira issued, as its administrator would.
    func revokeJira() async throws {
        var request = URLRequest(url: URL(string: jira + "/_sandbox/revoke-tokens")!)
        request.httpMethod = "POST"
        let (_, response) = try await URLSession.shared.data(for: request)
        try #require((response as? HTTPURLResponse)?.statusCode == 204)
    }

    /// One pass of `syncledger sync`.
    func sync() throws -> CommandResult {
        try SyncLedgerCLI.run(["sync", "--config", file, "--once", "--ledger", ledger])
    }

    /// The bodies of the ledger's `connectionChanged` events.
    func connectionChanges() throws -> [Value] {
        try SyncLedgerCLI.logJSON(directory.ledger, ["--kind", "connectionChanged"]).lines.map {
            try Value(json: $0)["body"] ?? .null
        }
    }

    /// Stops the sandbox and removes the ledger.
    func stop() {
        sandbox.send(SIGTERM)
        _ = sandbox.waitForExit(timeout: 30)
        directory.remove()
    }
}

@Suite("Syncing with a connection paused")
struct PausedSyncTests {
    @Test("a revoked Jira grant pauses Jira alone until connect, then the pair converges")
    func revokedGrant() async throws {
        let setup = try OAuthSandboxLedger(tickets: 8)
        defer { setup.stop() }
        try await setup.revokeJira()

        let paused = try setup.sync()
        #expect(paused.status == 0, "Zendesk still syncs, so the pass succeeds: \(paused)")
        let polled = try #require(paused.stdout.firstMatch(of: /polled zendesk (\d+)/))
        #expect(Int(polled.1) ?? 0 > 0, "Zendesk was polled: \(paused)")
        #expect(!paused.stdout.contains("jira"), "Jira was not polled: \(paused)")
        #expect(paused.stdout.contains("created 0, updated 0, failed 0"))
        #expect(paused.stderr.contains("jira is paused since "), "\(paused)")
        #expect(paused.stderr.contains("until you run: syncledger connect jira"), "\(paused)")
        // connect kept the OAuth client, so a refresh was tried first, and refused.
        #expect(paused.stderr.contains("invalid_grant"), "\(paused)")
        #expect(paused.stderr.contains("writes to paused connections wait"), "\(paused)")

        // A second process finds the pause in the log: nothing new is recorded.
        let still = try setup.sync()
        #expect(still.status == 0 && still.stderr.contains("jira is paused"), "\(still)")
        let changes = try setup.connectionChanges()
        #expect(changes.filter { $0["change"] == "needsReauthorization" }.count == 1)
        #expect(changes.last?["command"] == "syncledger connect jira")
        let intents = try SyncLedgerCLI.logJSON(
            setup.directory.ledger, ["--kind", "writeIntended"])
        #expect(intents.lines.isEmpty, "no write to Jira was intended while it was paused")

        let connected = try setup.connectJira()
        #expect(connected.stdout.contains("the pause of jira is lifted"), "\(connected)")
        let resumed = try setup.sync()
        #expect(resumed.status == 0, "\(resumed)")
        #expect(!resumed.stderr.contains("paused"), "\(resumed)")
        let created = try #require(resumed.stdout.firstMatch(of: /created (\d+), updated/))
        #expect(Int(created.1) ?? 0 > 0, "the waiting creates were made: \(resumed)")
        #expect(resumed.stdout.contains("failed 0"), "\(resumed)")
        let settled = try setup.sync()
        #expect(settled.stdout.contains("created 0, updated 0, failed 0"), "\(settled)")
        #expect(
            try setup.connectionChanges().filter { $0["change"] == "needsReauthorization" }
                .count == 1)
    }

    @Test("sync exits 1 when every connection is paused")
    func everyConnectionPaused() async throws {
        let setup = try OAuthSandboxLedger(tickets: 3)
        defer { setup.stop() }
        let stored = try SyncLedgerCLI.run([
            "connect", "zendesk", "--ledger", setup.ledger, "--provider", "zendesk",
            "--base-url", setup.zendesk, "--api-token", "agent@example.com/token:wrong-token",
        ])
        try #require(stored.status == 0, "\(stored)")
        try await setup.revokeJira()

        let result = try setup.sync()
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("zendesk is paused"), "\(result)")
        #expect(result.stderr.contains("until you run: syncledger connect zendesk"))
        #expect(result.stderr.contains("jira is paused"), "\(result)")
        #expect(result.stderr.contains("every connection is paused"), "\(result)")
    }
}
