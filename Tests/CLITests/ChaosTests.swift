import Foundation
import Ledger
import Testing

/// The engine under everything at once: thousands of tickets, a provider failing one request in
/// ten, 429s at random, people editing, and the process killed again and again.
@Suite("Chaos")
struct ChaosTests {
    /// The last position of the ledger at `ledger`, read without taking it.
    static func lastSequence(_ ledger: String) throws -> SequenceNumber {
        var options = EventLog.Options()
        options.readOnly = true
        let log = try EventLog.open(at: ledger, options: options)
        defer { log.close() }
        return try log.lastSequence()
    }

    /// A pass of `sync --once` run to its end, however long it takes.
    static func pass(_ file: String, _ ledger: String) throws -> CommandResult {
        let program = try RunningProgram.syncledger(
            ["sync", "--config", file, "--once", "--ledger", ledger])
        guard let result = program.waitForExit(timeout: 600) else {
            program.send(SIGKILL)
            throw HarnessError("a sync pass did not end in 10 minutes")
        }
        return result
    }

    /// Waits until the log holds a `writeIntended` after `start`, that is until a pass has
    /// polled and planned and begins to write, or `program` ends; `false` if it ended first.
    static func waitForFirstWrite(
        after start: SequenceNumber, in ledger: String, by program: RunningProgram
    ) throws -> Bool {
        var options = EventLog.Options()
        options.readOnly = true
        let deadline = Date(timeIntervalSinceNow: 300)
        while Date() < deadline {
            if program.hasExited {
                return false
            }
            let log = try EventLog.open(at: ledger, options: options)
            defer { log.close() }
            var writing = false
            try log.scan(from: SequenceNumber(UInt64.max), direction: .backward) { result in
                let event = try result.get()
                writing = event.sequence > start && event.kind == .writeIntended
                return !writing && event.sequence > start.next
            }
            if writing {
                return true
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw HarnessError("a sync pass wrote nothing in 5 minutes")
    }

    @Test(
        "5,000 tickets through 10% 5xx, random 429s, edits and 20 SIGKILLs converge",
        .timeLimit(.minutes(12)))
    func convergesThroughFaultsAndKills() async throws {
        // Short backoffs, so one in ten requests failing costs milliseconds, not seconds. Every
        // answer comes 50 ms late, so that a pass takes long enough to be killed in.
        let setup = try SandboxLedger(
            [
                "--tickets", "5000", "--issues", "0", "--no-rate-limits", "--faults",
                #"{"serverErrorRate": 0.1, "rateLimitStormRate": 0.001, "addedLatencyMilliseconds": 50, "seed": 11}"#,
            ],
            edit: { $0 + "\nretry:\n  attempts: 10\n  baseDelay: 10ms\n  maxDelay: 200ms\n" })
        let (file, ledger) = (setup.file, setup.ledger)

        // Twenty passes, each killed at a moment drawn from a fixed seed, counted from when it
        // begins to write (polling and planning take longer on a slower machine, and a pass
        // killed before it writes tests little); from the fifth on, a person renames an issue
        // in Jira between kills.
        var generator = SplitMix64(seed: 2026)
        var moments: [Int] = []
        var killed = 0
        var renamed: [String: String] = [:]
        for round in 0..<20 {
            let moment = Int(generator.next() % 1_500)
            moments.append(moment)
            let start = try Self.lastSequence(ledger)
            let pass = try RunningProgram.syncledger(
                ["sync", "--config", file, "--once", "--ledger", ledger])
            // Waited for on this thread: a sleeping task could wake long after the moment,
            // while other tests hold the shared threads.
            if try Self.waitForFirstWrite(after: start, in: ledger, by: pass),
                pass.waitForExit(timeout: Double(moment) / 1_000) == nil
            {
                // Still running at the moment, so killed there; wait until it is gone.
                _ = pass.waitForExit(timeout: 600)
                killed += 1
            }
            if round >= 4 {
                let links = try setup.events("linked")
                if let link = links.dropFirst(round * 37 % max(links.count, 1)).first {
                    let issue = try #require(
                        link["body"]?["counterpart"]?.stringValue?.split(separator: "/").last)
                    let summary = "Renamed in round \(round)"
                    _ = try await setup.jira(
                        "PUT", "/rest/api/3/issue/\(issue)",
                        body: ["fields": ["summary": .string(summary)]])
                    renamed[String(issue)] = summary
                }
            }
        }
        #expect(killed >= 15, "most passes were killed mid-way; moments \(moments)")
        #expect(!renamed.isEmpty)

        // Passes until one has nothing left to do, faults still on.
        var settled = false
        var last: CommandResult?
        for _ in 0..<8 where !settled {
            let result = try Self.pass(file, ledger)
            last = result
            settled = result.stdout.contains("created 0, updated 0, failed 0")
        }
        #expect(settled, "the sync settled: \(String(describing: last))")

        // Every admitted ticket has exactly one issue, which carries its id.
        var admitted: [String] = []
        var next: String? = setup.zendesk + "/api/v2/tickets.json?page%5Bsize%5D=100"
        while let url = next {
            let page = try await SandboxLedger.call("GET", url, user: "agent@example.com/token")
            for ticket in page["tickets"]?.arrayValue ?? [] {
                if ["new", "open", "pending", "hold"].contains(ticket["status"]?.stringValue ?? ""),
                    let id = ticket["id"]?.integerValue
                {
                    admitted.append(String(id))
                }
            }
            next = page["meta"]?["has_more"] == true ? page["links"]?["next"]?.stringValue : nil
        }
        #expect(admitted.count > 2_000)
        var references: [String] = []
        var summaries: [String: String] = [:]
        var ticketOf: [String: String] = [:]
        var token: String?
        repeat {
            var body: ValueObject = [
                "jql": "project = SUP ORDER BY key ASC", "maxResults": 100,
                "fields": ["customfield_10100", "summary"],
            ]
            body["nextPageToken"] = token.map(Value.string)
            let page = try await setup.jira("POST", "/rest/api/3/search/jql", body: .object(body))
            for issue in page["issues"]?.arrayValue ?? [] {
                references.append(issue["fields"]?["customfield_10100"]?.stringValue ?? "")
                if let key = issue["key"]?.stringValue {
                    summaries[key] = issue["fields"]?["summary"]?.stringValue
                    ticketOf[key] = issue["fields"]?["customfield_10100"]?.stringValue
                }
            }
            token = page["nextPageToken"]?.stringValue
        } while token != nil
        #expect(references.count == admitted.count, "one issue per admitted ticket")
        #expect(Set(references) == Set(admitted), "every issue carries an admitted ticket")

        // The renames held in Jira (last writer wins) and reached their tickets.
        for (issue, summary) in renamed {
            #expect(summaries[issue] == summary)
            let ticket = try #require(ticketOf[issue])
            let answer = try await setup.zendesk("GET", "/api/v2/tickets/\(ticket).json")
            #expect(answer["ticket"]?["subject"] == .string(summary))
        }

        // The audit reads all of it back and finds nothing; replay rebuilds the same state.
        let audit = try RunningProgram.syncledger(
            ["audit", "--config", file, "--json", "--ledger", ledger])
        let audited = try #require(audit.waitForExit(timeout: 600))
        let report = try Value(json: audited.stdout)
        let findings = report["audit"]?["findings"]?.arrayValue ?? []
        #expect(audited.status == 0, "\(audited.stderr)")
        #expect(report["audit"]?["links"]?.integerValue == Int64(admitted.count))
        #expect(
            findings.isEmpty,
            "\(findings.count) findings, first: \(findings.prefix(3).map(\.json))")
        let replay = try SyncLedgerCLI.run(["replay", "--ledger", ledger])
        #expect(replay.status == 0, "\(replay)")
        #expect(replay.stdout.contains("the live projections match"), "\(replay)")
    }
}
