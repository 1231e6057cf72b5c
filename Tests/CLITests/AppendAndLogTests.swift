import Foundation
import Testing

/// Six events over two records and one without a record, for the filter and count tests.
private enum SampleLedger {
    static let ticket = "zendesk:ticket/1"
    static let issue = "jira:issue/2"

    static let lines = [
        eventLine("observed", record: ticket, id: eventID(1), body: #"{"status":"open"}"#),
        eventLine("linked", record: ticket, id: eventID(2), body: #"{"to":"jira:issue/2"}"#),
        eventLine("observed", record: issue, id: eventID(3), body: #"{"status":"To Do"}"#),
        eventLine("deleted", record: ticket, id: eventID(4)),
        eventLine("observed", record: ticket, id: eventID(5), body: #"{"status":"new"}"#),
        eventLine("cursorAdvanced", id: eventID(6), body: #"{"cursor":"abc"}"#),
    ]

    static func make(at ledger: URL) throws {
        let appended = try SyncLedgerCLI.append(lines, to: ledger)
        try #require(appended.status == 0, "appending the sample: \(appended)")
    }
}

/// An RFC 3339 time in UTC with 0, 3 or 6 fractional digits, as the log prints times.
private func utcTime() -> Regex<(Substring, Substring?)> {
    #/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3}|\.\d{6})?Z/#
}

@Suite("Appending and reading events")
struct AppendAndLogTests {
    @Test("append acknowledges each event and log prints them in order, as text and JSON")
    func appendThenLog() throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            let lines = [
                eventLine(
                    "observed", record: "zendesk:ticket/42", id: eventID(1),
                    body: #"{"status":"open"}"#),
                eventLine("observed", record: "zendesk:ticket/42", id: eventID(2)),
                eventLine("cursorAdvanced", id: eventID(3), body: #"{"cursor":"c1"}"#),
            ]
            let appended = try SyncLedgerCLI.append(lines, to: ledger, json: false)
            #expect(appended.status == 0, "\(appended)")
            #expect(appended.stderr.isEmpty)
            #expect(
                appended.lines == [
                    "appended 1 zendesk:ticket/42 #1 \(eventID(1))",
                    "appended 2 zendesk:ticket/42 #2 \(eventID(2))",
                    "appended 3 \(eventID(3))",
                ])

            let text = try SyncLedgerCLI.run(["log", "--ledger", ledger.path])
            #expect(text.status == 0, "\(text)")
            #expect(text.lines.count == 3)
            let first = try #require(text.lines.first)
            #expect(first.hasPrefix("      1  "))
            #expect(first.contains("observed"))
            #expect(first.contains("zendesk:ticket/42 #1"))
            #expect(first.hasSuffix(#"{"status":"open"}"#))
            #expect(first.firstMatch(of: utcTime()) != nil)
            #expect(text.lines.last?.contains("cursorAdvanced") == true)

            let json = try SyncLedgerCLI.logJSON(ledger)
            #expect(json.status == 0, "\(json)")
            #expect(json.stderr.isEmpty)
            try #require(json.lines.count == 3)
            let opening =
                #"{"seq":1,"id":"\#(eventID(1))","kind":"observed","#
                + #""record":"zendesk:ticket/42","version":1,"recordedAt":""#
            #expect(json.lines[0].hasPrefix(opening), "\(json.lines[0])")
            #expect(json.lines[0].hasSuffix(#"Z","causation":[],"body":{"status":"open"}}"#))
            let withoutRecord =
                #"{"seq":3,"id":"\#(eventID(3))","kind":"cursorAdvanced","#
                + #""recordedAt":""#
            #expect(json.lines[2].hasPrefix(withoutRecord), "\(json.lines[2])")
            for line in json.lines {
                let object = try #require(jsonObject(line), "not JSON: \(line)")
                let recordedAt = try #require(object["recordedAt"] as? String)
                #expect(recordedAt.wholeMatch(of: utcTime()) != nil, "\(recordedAt)")
            }
        }
    }

    @Test("log filters by record, kind and range, reverses and limits")
    func logFilters() throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            try SampleLedger.make(at: ledger)
            let cases: [([String], [Int])] = [
                ([], [1, 2, 3, 4, 5, 6]),
                (["--record", SampleLedger.ticket], [1, 2, 4, 5]),
                (["--record", SampleLedger.issue], [3]),
                (["--record", "zendesk:ticket/999"], []),
                (["--kind", "observed"], [1, 3, 5]),
                (["--kind", "observed", "--kind", "deleted"], [1, 3, 4, 5]),
                (["--kind", "observed,linked"], [1, 2, 3, 5]),
                (["--from", "2", "--to", "4"], [2, 3, 4]),
                (["--from", "5"], [5, 6]),
                (["--to", "2"], [1, 2]),
                (["--from", "7"], []),
                (["--reverse"], [6, 5, 4, 3, 2, 1]),
                (["--limit", "2"], [1, 2]),
                (["--reverse", "--limit", "2"], [6, 5]),
                (["--from", "2", "--to", "5", "--reverse"], [5, 4, 3, 2]),
                (["--kind", "observed", "--limit", "2"], [1, 3]),
                (["--record", SampleLedger.ticket, "--reverse"], [5, 4, 2, 1]),
                (["--record", SampleLedger.ticket, "--kind", "observed"], [1, 5]),
                (["--record", SampleLedger.ticket, "--from", "2", "--to", "4"], [2, 4]),
                (["--record", SampleLedger.ticket, "--limit", "3"], [1, 2, 4]),
            ]
            for (options, expected) in cases {
                let result = try SyncLedgerCLI.logJSON(ledger, options)
                #expect(result.status == 0, "log \(options): \(result)")
                #expect(sequences(result) == expected, "log \(options)")
            }

            let text = try SyncLedgerCLI.run(
                ["log", "--ledger", ledger.path, "--kind", "deleted"])
            #expect(text.lines.count == 1)
            #expect(text.lines.first?.contains("deleted") == true)
            #expect(text.lines.first?.contains("zendesk:ticket/1 #3") == true)
        }
    }

    @Test("the human view shortens long bodies unless --full is given")
    func humanViewShortensBodies() throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            let long = String(repeating: "x", count: 300)
            let line = eventLine(
                "observed", record: "zendesk:ticket/7", body: #"{"text":"\#(long)"}"#,
                members: #""upstreamAt":"2026-01-02T03:04:05.678Z""#)
            try #require(try SyncLedgerCLI.append([line], to: ledger).status == 0)

            let short = try SyncLedgerCLI.run(["log", "--ledger", ledger.path])
            #expect(short.lines.count == 1)
            #expect(short.stdout.contains("upstream 2026-01-02T03:04:05.678Z"))
            #expect(!short.stdout.contains(long))
            #expect(short.lines.first?.hasSuffix("…") == true)

            let full = try SyncLedgerCLI.run(["log", "--full", "--ledger", ledger.path])
            #expect(full.lines.first?.hasSuffix(#"{"text":"\#(long)"}"#) == true)
        }
    }

    @Test("stats counts events, records and kinds, as text and JSON")
    func statsCounts() throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            try SampleLedger.make(at: ledger)

            let json = try SyncLedgerCLI.run(["stats", "--json", "--ledger", ledger.path])
            #expect(json.status == 0, "\(json)")
            #expect(json.lines.count == 1)
            let stats = try #require(jsonObject(json.stdout), "\(json.stdout)")
            #expect(stats["events"] as? Int == 6)
            #expect(stats["lastSequence"] as? Int == 6)
            #expect(stats["records"] as? Int == 2)
            #expect(stats["formatVersion"] as? Int == 1)
            #expect(stats["ledger"] as? String == ledger.path)
            let byKind = try #require(stats["eventsByKind"] as? [String: Int])
            #expect(byKind == ["observed": 3, "linked": 1, "deleted": 1, "cursorAdvanced": 1])
            let fileBytes = try #require(stats["fileBytes"] as? Int)
            #expect(fileBytes > 0)

            let text = try SyncLedgerCLI.run(["stats", "--ledger", ledger.path])
            #expect(text.status == 0, "\(text)")
            #expect(text.lines.contains("events         6"))
            #expect(text.lines.contains("last sequence  6"))
            #expect(text.lines.contains("records        2"))
            let byKindLine = "by kind        observed 3, deleted 1, linked 1, cursorAdvanced 1"
            #expect(text.lines.contains(byKindLine))

            // Repeated ids append nothing, so they must not be counted either.
            try #require(try SyncLedgerCLI.append(SampleLedger.lines, to: ledger).status == 0)
            let again = try SyncLedgerCLI.run(["stats", "--json", "--ledger", ledger.path])
            let statsAgain = try #require(jsonObject(again.stdout))
            #expect(statsAgain["events"] as? Int == 6)
            #expect(statsAgain["records"] as? Int == 2)
        }
    }

    @Test("stats on a new, empty ledger shows no events")
    func statsOnEmptyLedger() throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            let created = try SyncLedgerCLI.append([], to: ledger)
            #expect(created.status == 0, "\(created)")
            let stats = try SyncLedgerCLI.run(["stats", "--json", "--ledger", ledger.path])
            let object = try #require(jsonObject(stats.stdout), "\(stats)")
            #expect(object["events"] as? Int == 0)
            #expect(object["lastSequence"] as? Int == 0)
            #expect(try SyncLedgerCLI.logJSON(ledger).lines.isEmpty)
        }
    }

    @Test("appending an id again appends nothing and prints the original position")
    func idempotentReappend() throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            let first = eventLine(
                "observed", record: "zendesk:ticket/42", id: eventID(7), body: #"{"n":1}"#)
            let second = eventLine("observed", record: "zendesk:ticket/42", id: eventID(8))
            try #require(try SyncLedgerCLI.append([first, second], to: ledger).status == 0)

            let retry = eventLine(
                "observed", record: "zendesk:ticket/42", id: eventID(7), body: #"{"n":2}"#)
            let json = try SyncLedgerCLI.append([retry], to: ledger)
            #expect(json.status == 0, "\(json)")
            #expect(json.lines == [#"{"seq":1,"id":"\#(eventID(7))","version":1,"new":false}"#])

            let text = try SyncLedgerCLI.append([retry], to: ledger, json: false)
            #expect(text.status == 0, "\(text)")
            #expect(text.lines == ["exists   1 zendesk:ticket/42 #1 \(eventID(7))"])

            let log = try SyncLedgerCLI.logJSON(ledger)
            #expect(eventIDs(log) == [eventID(7), eventID(8)])
            #expect(log.lines.first?.hasSuffix(#""body":{"n":1}}"#) == true)
        }
    }

    @Test("an expectedVersion mismatch names both versions and appends nothing from its line")
    func expectedVersionMismatch() throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            let ticket = "zendesk:ticket/42"
            try #require(
                try SyncLedgerCLI.append(
                    [eventLine("observed", record: ticket), eventLine("observed", record: ticket)],
                    to: ledger
                ).status == 0)

            let input = [
                eventLine("observed", record: "jira:issue/5", id: eventID(21)),
                "[" + eventLine("linked", record: "jira:issue/5", id: eventID(22)) + ","
                    + eventLine(
                        "observed", record: ticket, id: eventID(23),
                        members: #""expectedVersion":1"#) + "]",
                eventLine("observed", record: ticket, id: eventID(24)),
            ]
            let result = try SyncLedgerCLI.append(input, to: ledger)
            #expect(result.status == 1, "\(result)")
            #expect(result.lines.count == 1)
            #expect(result.lines.first?.contains(eventID(21)) == true)
            #expect(result.stderr.contains("standard input, line 2"), "\(result.stderr)")
            #expect(result.stderr.contains(ticket))
            #expect(result.stderr.contains("version 2"), "\(result.stderr)")
            #expect(result.stderr.contains("version 1"), "\(result.stderr)")

            let ids = eventIDs(try SyncLedgerCLI.logJSON(ledger))
            #expect(ids.count == 3)
            #expect(ids.last == eventID(21))

            let matching = eventLine(
                "observed", record: ticket, id: eventID(25), members: #""expectedVersion":2"#)
            let accepted = try SyncLedgerCLI.append([matching], to: ledger)
            #expect(accepted.status == 0, "\(accepted)")
            #expect(accepted.lines == [#"{"seq":4,"id":"\#(eventID(25))","version":3,"new":true}"#])
        }
    }

    @Test("retrying a line with expectedVersion after it succeeded answers with the original")
    func expectedVersionRetry() throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            let line = eventLine(
                "observed", record: "zendesk:ticket/9", id: eventID(31),
                members: #""expectedVersion":0"#)
            let first = try SyncLedgerCLI.append([line], to: ledger)
            #expect(first.lines == [#"{"seq":1,"id":"\#(eventID(31))","version":1,"new":true}"#])

            let retry = try SyncLedgerCLI.append([line], to: ledger)
            #expect(retry.status == 0, "\(retry)")
            #expect(retry.lines == [#"{"seq":1,"id":"\#(eventID(31))","version":1,"new":false}"#])
            #expect(sequences(try SyncLedgerCLI.logJSON(ledger)) == [1])
        }
    }

    @Test("a batch line appends all its events together, in order")
    func batchAppendsTogether() throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            let batch =
                "["
                + [
                    eventLine("writeIntended", record: "jira:issue/1", id: eventID(41)),
                    eventLine("writeSucceeded", record: "jira:issue/1", id: eventID(42)),
                    eventLine("linked", record: "zendesk:ticket/1", id: eventID(43)),
                ].joined(separator: ",") + "]"
            let result = try SyncLedgerCLI.append([batch], to: ledger)
            #expect(result.status == 0, "\(result)")
            #expect(
                result.lines == [
                    #"{"seq":1,"id":"\#(eventID(41))","version":1,"new":true}"#,
                    #"{"seq":2,"id":"\#(eventID(42))","version":2,"new":true}"#,
                    #"{"seq":3,"id":"\#(eventID(43))","version":1,"new":true}"#,
                ])
        }
    }

    @Test("a batch line whose last event cannot be stored appends none of its events")
    func batchIsAllOrNothing() throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            try SampleLedger.make(at: ledger)
            let before = try SyncLedgerCLI.logJSON(ledger)
            let statsBefore = try SyncLedgerCLI.run(["stats", "--json", "--ledger", ledger.path])

            // The last event's body is larger than the ledger stores (16 MiB), which is only
            // found once the events before it have been written inside the transaction.
            let oversized = String(repeating: "x", count: 16 << 20)
            let batch =
                "["
                + [
                    eventLine("observed", record: "zendesk:ticket/1", id: eventID(51)),
                    eventLine("observed", record: "jira:issue/77", id: eventID(52)),
                    eventLine(
                        "observed", record: "zendesk:ticket/1", id: eventID(53),
                        body: #"{"blob":"\#(oversized)"}"#),
                ].joined(separator: ",") + "]"
            let result = try SyncLedgerCLI.append([batch], to: ledger)
            #expect(result.status == 1, "\(result)")
            #expect(result.lines.isEmpty)
            #expect(result.stderr.contains("standard input, line 1"), "\(result.stderr)")
            #expect(result.stderr.contains("allowed"), "\(result.stderr)")

            let after = try SyncLedgerCLI.logJSON(ledger)
            #expect(after.stdout == before.stdout)
            let statsAfter = try SyncLedgerCLI.run(["stats", "--json", "--ledger", ledger.path])
            #expect(jsonObject(statsAfter.stdout)?["records"] as? Int == 2)
            #expect(
                jsonObject(statsAfter.stdout)?["eventsByKind"] as? [String: Int]
                    == jsonObject(statsBefore.stdout)?["eventsByKind"] as? [String: Int])

            // The record the failed batch touched first continues at the right version.
            let next = try SyncLedgerCLI.append(
                [eventLine("observed", record: "zendesk:ticket/1", id: eventID(54))], to: ledger)
            #expect(next.lines == [#"{"seq":7,"id":"\#(eventID(54))","version":5,"new":true}"#])
        }
    }

    @Test("a batch line with an invalid event names it and appends nothing from the line")
    func batchWithInvalidEvent() throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            let batch =
                "[" + eventLine("observed", record: "zendesk:ticket/1", id: eventID(61))
                + "," + eventLine("observd", record: "zendesk:ticket/1", id: eventID(62)) + "]"
            let result = try SyncLedgerCLI.append([batch], to: ledger)
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("event 2 of the batch"), "\(result.stderr)")
            #expect(try SyncLedgerCLI.logJSON(ledger).lines.isEmpty)
        }
    }
}
