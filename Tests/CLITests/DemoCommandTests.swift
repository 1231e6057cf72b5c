import Foundation
import Ledger
import Testing

@Suite("The demo")
struct DemoCommandTests {
    /// The events of `kinds` in the ledger at `ledger`, as `log --json` prints them.
    static func events(_ ledger: URL, _ kinds: [String]) throws -> [Value] {
        let result = try SyncLedgerCLI.logJSON(ledger, kinds.flatMap { ["--kind", $0] })
        try #require(result.status == 0, "\(result)")
        return try result.lines.map { try Value(json: $0) }
    }

    @Test(
        "the demo runs its story through the engine and leaves a ledger that bears it out",
        .timeLimit(.minutes(3)))
    func demoClaimsHoldInItsLedger() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let kept = directory.url.appendingPathComponent("demo", isDirectory: true)
        let run = try SyncLedgerCLI.run(["demo", "--tickets", "100", "--keep", kept.path])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("Every claim held."), "\(run)")
        #expect(run.stdout.contains("records read: clean\n"), "\(run)")
        let ledger = kept.appendingPathComponent("ledger", isDirectory: true)

        // One issue per ticket: every ticket the ledger observed (the 100 seeded and the 3 the
        // story opens) is linked once, each to an issue of its own.
        let links = try Self.events(ledger, ["linked"])
        let linkedTickets = links.compactMap { $0["record"]?.stringValue }
        let issues = links.compactMap { $0["body"]?["counterpart"]?.stringValue }
        let observedTickets = Set(
            try Self.events(ledger, ["observed"]).compactMap { $0["record"]?.stringValue }
                .filter { $0.hasPrefix("zendesk:ticket/") })
        #expect(observedTickets.count == 103)
        #expect(linkedTickets.count == observedTickets.count)
        #expect(Set(linkedTickets) == observedTickets)
        #expect(Set(issues).count == issues.count, "an issue is linked to two tickets")

        // The agent's three calls are in the log with their decisions, and its allowed
        // change was written: the intent that carried it names the agent's event.
        let calls = try Self.events(ledger, ["agentActed"])
        #expect(calls.map { $0["body"]?["decision"] } == ["allow", "deny", "allow"])
        #expect(calls.map { $0["body"]?["rule"] } == ["support-desk", "authority", "support-desk"])
        let proposal = try #require(calls.last?["seq"])
        let carried = try Self.events(ledger, ["writeIntended"]).filter { intent in
            intent["body"]?["decisions"]?["priority"]?["basis"] == proposal
        }
        #expect(carried.count == 2, "one write to each system carries the agent's change")

        // The projections rebuilt from the log have the live projections' digest.
        let replay = try SyncLedgerCLI.run(["replay", "--json", "--ledger", ledger.path])
        #expect(replay.status == 0, "\(replay)")
        let report = try Value(json: try #require(replay.lines.last))
        #expect(report["matches"] == true)
        #expect(report["digest"] != nil && report["digest"] == report["liveDigest"])

        // The killed pass left a create in doubt, and a later pass settled it: found at Jira
        // (an observation made by recovery) or recorded as failed and planned again.
        let outcomes = try Self.events(ledger, ["observed", "writeFailed"])
        let settled = outcomes.filter { event in
            event["body"]?["source"] == "recovery"
                || event["body"]?["error"]?.stringValue?.hasPrefix(
                    "in doubt after an interruption") == true
        }
        #expect(!settled.isEmpty, "no write left in doubt was settled")

        // Both expired access tokens were refreshed, and the refreshes are in the log.
        let refreshes = try Self.events(ledger, ["connectionChanged"]).filter {
            $0["body"]?["change"] == "refreshed"
        }
        #expect(
            Set(refreshes.compactMap { $0["body"]?["connection"]?.stringValue })
                == ["zendesk", "jira"])
    }
}
