import Foundation
import Ledger
import Testing

/// `show`, `why`, `plan` and `replay` on a ledger built through `append`, as a user would.
@Suite("Provenance and replay commands")
struct ProvenanceCommandTests {
    static let configuration = #"""
        {"kind":"configApplied","body":{"configuration":{"pairs":[{"name":"support","left":{"connection":"zendesk","recordType":"ticket"},"right":{"connection":"jira","recordType":"issue"},"direction":"both","fields":[{"left":"subject","right":"summary","authority":"lastWriterWins"},{"left":"priority","right":"priority","authority":"owner:left","values":[["urgent","Highest"]]}]}]}}}
        """#

    /// A ticket synced to a new issue and echoed back: events 1 to 6.
    static let history = [
        configuration,
        #"{"kind":"observed","record":"zendesk:ticket/1","upstreamAt":"2026-12-03T10:00:00Z","body":{"source":"webhook","fields":{"subject":"Printer jams","priority":"urgent"}}}"#,
        #"{"kind":"writeIntended","record":"zendesk:ticket/1","body":{"decisions":{"priority":{"basis":2,"rule":"owner:left"},"summary":{"basis":2,"rule":"lastWriterWins"}},"fields":{"priority":"Highest","summary":"Printer jams"},"idempotencyKey":"k1","operation":"create","pair":"support","target":{"connection":"jira","recordType":"issue"}}}"#,
        #"[{"kind":"writeSucceeded","record":"zendesk:ticket/1","body":{"intent":3,"created":"jira:issue/SUP-1"}},{"kind":"linked","record":"zendesk:ticket/1","body":{"pair":"support","counterpart":"jira:issue/SUP-1"}}]"#,
        #"{"kind":"observed","record":"jira:issue/SUP-1","upstreamAt":"2026-12-03T10:00:05Z","body":{"source":"poll","fields":{"summary":"Printer jams ","priority":"Highest"}}}"#,
    ]

    func ledgerWithHistory(_ directory: TemporaryDirectory) throws -> URL {
        let ledger = directory.ledger
        let appended = try SyncLedgerCLI.append(Self.history, to: ledger)
        try #require(appended.status == 0, "\(appended)")
        return ledger
    }

    @Test("plan lists the create an unsynced ticket needs, then nothing once it is synced")
    func planBeforeAndAfter() throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            try SyncLedgerCLI.append(Array(Self.history.prefix(2)), to: ledger)
            let before = try SyncLedgerCLI.run(["plan", "--ledger", ledger.path, "--json"])
            #expect(before.status == 0, "\(before)")
            let write = try Value(json: try #require(before.lines.first))
            #expect(write["operation"] == "create")
            #expect(write["fields"] == ["summary": "Printer jams", "priority": "Highest"])

            try SyncLedgerCLI.append(Array(Self.history.dropFirst(2)), to: ledger)
            let after = try SyncLedgerCLI.run(["plan", "--ledger", ledger.path])
            #expect(after.lines == ["nothing to write"], "\(after)")
        }
    }

    @Test("why follows an echo back to the intent, its outcome and the ticket's change")
    func whyFollowsTheChain() throws {
        try withTemporaryDirectory { directory in
            let ledger = try ledgerWithHistory(directory)
            let result = try SyncLedgerCLI.run(
                ["why", "jira:issue/SUP-1", "summary", "--json", "--ledger", ledger.path])
            #expect(result.status == 0, "\(result)")
            let answer = try Value(json: result.stdout)
            #expect(answer["state"]?["value"] == "Printer jams ")
            #expect(answer["state"]?["origin"] == "echo")
            let chain = answer["chain"]?.arrayValue ?? []
            #expect(chain.map { $0["role"] } == ["echo", "intent", "outcome", "source"])
            #expect(chain.map { $0["event"] } == [6, 3, 4, 2])
            #expect(chain.last?["record"] == "zendesk:ticket/1")
            let link = answer["links"]?.arrayValue?.first
            #expect(link?["counterpart"] == "zendesk:ticket/1")
            #expect(link?["agreedAt"] == 6)

            let text = try SyncLedgerCLI.run(
                ["why", "jira:issue/SUP-1", "summary", "--ledger", ledger.path])
            #expect(text.status == 0)
            #expect(text.stdout.contains("confirmed the ledger's own write"))
            #expect(text.stdout.contains("by rule lastWriterWins"))
        }
    }

    @Test("why names the fields a record has when asked for one it lacks")
    func whyUnknownField() throws {
        try withTemporaryDirectory { directory in
            let ledger = try ledgerWithHistory(directory)
            let result = try SyncLedgerCLI.run(
                ["why", "zendesk:ticket/1", "summery", "--ledger", ledger.path])
            #expect(result.status == 1)
            #expect(result.stderr.contains("no field 'summery'"))
            #expect(result.stderr.contains("priority, subject"))
        }
    }

    @Test("show prints the current fields, and --as-of the record as it was")
    func showNowAndThen() throws {
        try withTemporaryDirectory { directory in
            let ledger = try ledgerWithHistory(directory)
            try SyncLedgerCLI.append(
                [
                    #"{"kind":"observed","record":"zendesk:ticket/1","upstreamAt":"2026-12-03T11:00:00Z","body":{"source":"webhook","fields":{"subject":"Printer fixed"}}}"#
                ], to: ledger)
            let now = try Value(
                json: try SyncLedgerCLI.run(
                    ["show", "zendesk:ticket/1", "--json", "--ledger", ledger.path]
                ).stdout)
            #expect(now["fields"]?["subject"]?["value"] == "Printer fixed")
            #expect(now["fields"]?["subject"]?["setBy"] == 7)

            let then = try Value(
                json: try SyncLedgerCLI.run(
                    ["show", "zendesk:ticket/1", "--as-of", "6", "--json", "--ledger", ledger.path]
                ).stdout)
            #expect(then["asOf"] == 6)
            #expect(then["fields"]?["subject"]?["value"] == "Printer jams")
            #expect(then["links"]?.arrayValue?.first?["counterpart"] == "jira:issue/SUP-1")

            let text = try SyncLedgerCLI.run(["show", "jira:issue/SUP-1", "--ledger", ledger.path])
            #expect(text.stdout.contains("echo of intent 3"), "\(text)")
        }
    }

    @Test(
        "replay matches the live projections, and reports a damaged one",
        .enabled(if: Python.hasLMDB, Python.missingLMDB))
    func replayComparesDigests() throws {
        try withTemporaryDirectory { directory in
            let ledger = try ledgerWithHistory(directory)
            let first = try SyncLedgerCLI.run(["replay", "--json", "--ledger", ledger.path])
            #expect(first.status == 0, "\(first)")
            let report = try Value(json: first.stdout)
            #expect(report["matches"] == true)
            #expect(report["position"] == 6)
            let digest = try #require(report["digest"]?.stringValue)
            #expect(digest.count == 64)

            let again = try Value(
                json: try SyncLedgerCLI.run(["replay", "--json", "--ledger", ledger.path]).stdout)
            #expect(again["digest"]?.stringValue == digest, "replays are byte-identical")

            // Damage one record in the live projections with Python's LMDB binding.
            let script = """
                import lmdb, sys
                env = lmdb.open(sys.argv[1], max_dbs=8)
                records = env.open_db(b"records", create=False)
                key = b"jira:issue/SUP-1"
                with env.begin(write=True) as txn:
                    value = txn.get(key, db=records)
                    txn.put(key, value.replace(b"Printer", b"Scanner"), db=records)
                """
            let damage = try Programs.run(
                Python.executable,
                ["-c", script, ledger.appendingPathComponent("projections/sync").path])
            try #require(damage.status == 0, "\(damage)")

            let damaged = try SyncLedgerCLI.run(["replay", "--ledger", ledger.path])
            #expect(damaged.status == 1, "\(damaged)")
            #expect(damaged.stdout.contains("the live projections DIFFER"))
            #expect(damaged.stdout.contains("first difference: field summary of jira:issue/SUP-1"))
        }
    }

    @Test("replay --until rebuilds an earlier state, and --check-plans re-plans every intent")
    func replayUntilAndCheckPlans() throws {
        try withTemporaryDirectory { directory in
            let ledger = try ledgerWithHistory(directory)
            let until = try Value(
                json: try SyncLedgerCLI.run(
                    ["replay", "--until", "2", "--json", "--ledger", ledger.path]
                ).stdout)
            #expect(until["position"] == 2)
            #expect(until["matches"] == nil)

            let checked = try SyncLedgerCLI.run(
                ["replay", "--check-plans", "--json", "--ledger", ledger.path])
            #expect(checked.status == 0, "\(checked)")
            let report = try Value(json: checked.stdout)
            #expect(report["plansChecked"] == 1)
            #expect(report["planMismatches"] == [])

            // An intent today's planner would not make: a summary nobody asked for.
            try SyncLedgerCLI.append(
                [
                    #"{"kind":"writeIntended","record":"jira:issue/SUP-1","body":{"decisions":{"summary":{"basis":2,"rule":"lastWriterWins"}},"fields":{"summary":"Invented"},"idempotencyKey":"k2","operation":"update","pair":"support"}}"#
                ], to: ledger)
            let mismatched = try SyncLedgerCLI.run(
                ["replay", "--check-plans", "--ledger", ledger.path])
            #expect(mismatched.status == 1, "\(mismatched)")
            #expect(mismatched.stdout.contains("intent 7 on jira:issue/SUP-1"))
            #expect(mismatched.stdout.contains("planned nothing"))
        }
    }

    @Test("a malformed reference or a missing field is a usage error")
    func usageErrors() throws {
        try withTemporaryDirectory { directory in
            let ledger = try ledgerWithHistory(directory)
            let bad = try SyncLedgerCLI.run(["show", "ticket-1", "--ledger", ledger.path])
            #expect(bad.status == 64)
            #expect(bad.stderr.contains("expected connection:type/id"))
            let missing = try SyncLedgerCLI.run([
                "why", "zendesk:ticket/1", "--ledger", ledger.path,
            ])
            #expect(missing.status == 64)
            #expect(missing.stderr.contains("missing the field name"))
            let asOf = try SyncLedgerCLI.run(
                ["show", "zendesk:ticket/1", "--as-of", "yesterday", "--ledger", ledger.path])
            #expect(asOf.status == 64)
            #expect(asOf.stderr.contains("RFC 3339"))
        }
    }
}
