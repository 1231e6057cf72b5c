import Foundation
import Ledger
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite("The sync command")
struct SyncCommandTests {
    /// Sends a request with the sandbox's API token and returns the JSON answer.
    static func call(
        _ method: String, _ url: String, user: String, body: Value? = nil
    ) async throws -> Value {
        try await SandboxLedger.call(method, url, user: user, body: body)
    }

    @Test("sync creates one issue per admitted ticket, then writes only what changes")
    func syncsTicketsIntoIssues() async throws {
        let sandbox = try RunningProgram.syncledger(["sandbox", "--json", "--tickets", "12"])
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
        let setup = [
            [
                "init", file, "--sandbox", "--zendesk-url", zendesk, "--jira-url", jira,
                "--ledger", ledger,
            ],
            ["apply", file, "--ledger", ledger],
        ]
        for arguments in setup {
            let result = try SyncLedgerCLI.run(arguments)
            try #require(result.status == 0, "\(result)")
        }

        // The sandbox seeds Jira with issues too, some carrying a ticket's id already.
        let seeded = try await Self.call(
            "POST", jira + "/rest/api/3/search/jql", user: "agent@example.com",
            body: ["jql": "project = SUP", "maxResults": 100, "fields": ["customfield_10100"]])
        let carried = Set(
            (seeded["issues"]?.arrayValue ?? []).compactMap {
                $0["fields"]?["customfield_10100"]?.stringValue
            })

        let first = try SyncLedgerCLI.run(["sync", "--config", file, "--once", "--ledger", ledger])
        #expect(first.status == 0, "\(first)")
        let tickets = try await Self.call(
            "GET", zendesk + "/api/v2/tickets.json?per_page=100", user: "agent@example.com/token")
        let admitted = (tickets["tickets"]?.arrayValue ?? []).filter {
            ["new", "open", "pending", "hold"].contains($0["status"]?.stringValue ?? "")
        }
        // A ticket whose issue exists gets it linked; the others get a new one.
        let adopted = admitted.filter {
            carried.contains($0["id"]?.integerValue.map(String.init) ?? "")
        }.count
        #expect(adopted > 0, "the seeded issues refer to some admitted tickets")
        #expect(
            first.stdout.contains("created \(admitted.count - adopted),")
                && first.stdout.contains("; adopted \(adopted)\n"), "\(first)")

        // Every admitted ticket is linked to exactly one new issue, which carries its id.
        let links = try SyncLedgerCLI.logJSON(directory.ledger, ["--kind", "linked"]).lines.map {
            try Value(json: $0)
        }
        let ticketIDs = links.compactMap { $0["record"]?.stringValue?.split(separator: "/").last }
            .map(String.init)
        #expect(
            ticketIDs.sorted()
                == admitted.compactMap { $0["id"]?.integerValue.map(String.init) }.sorted())
        #expect(Set(ticketIDs).count == ticketIDs.count, "no ticket has two issues")
        var issueOf: [String: String] = [:]
        for link in links {
            let ticket = try #require(link["record"]?.stringValue?.split(separator: "/").last)
            let issue = try #require(
                link["body"]?["counterpart"]?.stringValue?.split(separator: "/").last)
            issueOf[String(ticket)] = String(issue)
            let created = try await Self.call(
                "GET", jira + "/rest/api/3/issue/\(issue)", user: "agent@example.com")
            #expect(created["fields"]?["customfield_10100"]?.stringValue == String(ticket))
        }

        let again = try SyncLedgerCLI.run(["sync", "--config", file, "--once", "--ledger", ledger])
        #expect(again.stdout.contains("created 0, updated 0, failed 0"), "\(again)")

        // One real change in Jira becomes exactly one write to Zendesk, and its echo settles.
        let ticket = try #require(ticketIDs.first)
        let issue = try #require(issueOf[ticket])
        _ = try await Self.call(
            "PUT", jira + "/rest/api/3/issue/\(issue)", user: "agent@example.com",
            body: ["fields": ["summary": "Renamed in Jira"]])
        let change = try SyncLedgerCLI.run(["sync", "--config", file, "--once", "--ledger", ledger])
        #expect(change.stdout.contains("created 0, updated 1, failed 0"), "\(change)")
        let settled = try SyncLedgerCLI.run([
            "sync", "--config", file, "--once", "--ledger", ledger,
        ])
        #expect(settled.stdout.contains("created 0, updated 0, failed 0"), "\(settled)")
        let renamed = try await Self.call(
            "GET", zendesk + "/api/v2/tickets/\(ticket).json", user: "agent@example.com/token")
        #expect(renamed["ticket"]?["subject"] == "Renamed in Jira")
    }

    @Test("sync killed at any moment and run again makes exactly one issue per ticket")
    func killedAndRestarted() async throws {
        // Every answer comes 20 ms late, so that a pass lasts long enough to be killed in.
        let sandbox = try RunningProgram.syncledger([
            "sandbox", "--json", "--tickets", "40", "--issues", "0", "--no-rate-limits",
            "--faults", #"{"addedLatencyMilliseconds": 20}"#,
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
        for arguments in [
            [
                "init", file, "--sandbox", "--zendesk-url", zendesk, "--jira-url", jira,
                "--ledger", ledger,
            ],
            ["apply", file, "--ledger", ledger],
        ] {
            let result = try SyncLedgerCLI.run(arguments)
            try #require(result.status == 0, "\(result)")
        }

        // Kill passes at spread-out moments; some die mid-write, leaving intents in doubt.
        var killed = 0
        for pause in [40, 90, 150, 220, 300, 380, 60, 500] {
            let pass = try RunningProgram.syncledger(
                ["sync", "--config", file, "--once", "--ledger", ledger])
            // Waited for on this thread: a sleeping task could wake long after the moment,
            // while other tests hold the shared threads.
            if pass.waitForExit(timeout: Double(pause) / 1_000) == nil {
                // Still running at the moment, so killed there; wait until it is gone.
                _ = pass.waitForExit(timeout: 60)
                killed += 1
            }
        }
        #expect(killed > 0, "at least one pass was killed before it finished")

        let finish = try SyncLedgerCLI.run(["sync", "--config", file, "--once", "--ledger", ledger])
        #expect(finish.status == 0, "\(finish)")
        let settled = try SyncLedgerCLI.run([
            "sync", "--config", file, "--once", "--ledger", ledger,
        ])
        #expect(settled.stdout.contains("created 0, updated 0, failed 0"), "\(settled)")

        let tickets = try await Self.call(
            "GET", zendesk + "/api/v2/tickets.json?per_page=100", user: "agent@example.com/token")
        let admitted = (tickets["tickets"]?.arrayValue ?? []).filter {
            ["new", "open", "pending", "hold"].contains($0["status"]?.stringValue ?? "")
        }.compactMap { $0["id"]?.integerValue.map(String.init) }
        let search = try await Self.call(
            "POST", jira + "/rest/api/3/search/jql", user: "agent@example.com",
            body: [
                "jql": "project = SUP ORDER BY created ASC", "maxResults": 100,
                "fields": ["customfield_10100"],
            ])
        let references = (search["issues"]?.arrayValue ?? []).compactMap {
            $0["fields"]?["customfield_10100"]?.stringValue
        }
        #expect(references.sorted() == admitted.sorted(), "one issue per admitted ticket")
        let replay = try SyncLedgerCLI.run(["replay", "--ledger", ledger])
        #expect(replay.status == 0, "\(replay)")
    }

    @Test("sync --listen records a signed Zendesk webhook and quarantines a forged one")
    func receivesWebhooks() async throws {
        let sandbox = try RunningProgram.syncledger(
            ["sandbox", "--json", "--tickets", "5", "--issues", "0", "--no-rate-limits"])
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
        let port = try unusedLoopbackPort()
        let registered = try await Self.call(
            "POST", zendesk + "/api/v2/webhooks", user: "agent@example.com/token",
            body: ["webhook": ["endpoint": .string("http://127.0.0.1:\(port)/webhooks/zendesk")]])
        let hook = try #require(registered["webhook"]?["id"]?.stringValue)
        let signing = try await Self.call(
            "GET", zendesk + "/api/v2/webhooks/\(hook)/signing_secret",
            user: "agent@example.com/token")
        let secret = try #require(signing["signing_secret"]?["secret"]?.stringValue)
        let stored = try SyncLedgerCLI.run(
            ["secret", "zendesk-webhook", "--ledger", ledger], stdin: secret + "\n")
        #expect(stored.status == 0, "\(stored)")
        for arguments in [
            [
                "init", file, "--force", "--sandbox", "--zendesk-url", zendesk, "--jira-url", jira,
                "--ledger", ledger,
            ],
            ["apply", file, "--ledger", ledger],
        ] {
            let result = try SyncLedgerCLI.run(arguments)
            try #require(result.status == 0, "\(result)")
        }

        let sync = try RunningProgram.syncledger(
            ["sync", "--config", file, "--listen", String(port), "--ledger", ledger])
        defer {
            sync.send(SIGTERM)
            _ = sync.waitForExit(timeout: 30)
        }
        let first = sync.waitForLines(2, timeout: 60)
        #expect(first.first?.hasPrefix("receiving webhooks at http://127.0.0.1:\(port)") == true)

        _ = try await Self.call(
            "PUT", zendesk + "/api/v2/tickets/3.json", user: "agent@example.com/token",
            body: ["ticket": ["subject": "Heard by webhook"]])
        var heard = false
        for _ in 0..<200 where !heard {
            try await Task.sleep(for: .milliseconds(50))
            let log = try SyncLedgerCLI.logJSON(directory.ledger, ["--record", "zendesk:ticket/3"])
            heard = try log.lines.map { try Value(json: $0) }.contains {
                $0["body"]?["source"] == "webhook"
                    && $0["body"]?["fields"]?["subject"] == "Heard by webhook"
            }
        }
        #expect(heard, "the webhook's observation is in the log")

        var forged = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/webhooks/zendesk")!)
        forged.httpMethod = "POST"
        forged.setValue(
            "2026-12-03T10:00:00Z", forHTTPHeaderField: "X-Zendesk-Webhook-Signature-Timestamp")
        forged.setValue("bm90IGEgc2lnbmF0dXJl", forHTTPHeaderField: "X-Zendesk-Webhook-Signature")
        forged.httpBody = Data(#"{"id":"evt-x","detail":{"id":3,"subject":"forged"}}"#.utf8)
        let (_, response) = try await URLSession.shared.data(for: forged)
        #expect((response as? HTTPURLResponse)?.statusCode == 401)
        let quarantine = try String(contentsOfFile: ledger + "/quarantine.jsonl", encoding: .utf8)
        #expect(quarantine.contains("the signature does not match"))
    }

    @Test("sync refuses a configuration that is not in force")
    func refusesAConfigurationNotApplied() throws {
        try withTemporaryDirectory { directory in
            let file = directory.url.appendingPathComponent("syncledger.yaml").path
            _ = try SyncLedgerCLI.run(["init", file])
            let result = try SyncLedgerCLI.run(
                ["sync", "--config", file, "--once", "--ledger", directory.ledger.path])
            #expect(result.status == 1)
            #expect(result.stderr.contains("is not the configuration in force"), "\(result)")
        }
    }
}
