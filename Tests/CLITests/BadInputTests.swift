import Foundation
import Testing

/// Input bytes that are not a line of UTF-8 text.
struct UndecodableLine: Sendable, CustomTestStringConvertible {
    let testDescription: String
    let bytes: [UInt8]

    static let all = [
        UndecodableLine(
            testDescription: "a 0xFF byte in a string",
            bytes: Array(#"{"kind":"observed","body":{"s":"a"#.utf8) + [0xFF]
                + Array(#"b"}}"#.utf8)),
        UndecodableLine(
            testDescription: "a cut-off two-byte sequence in a string",
            bytes: Array(#"{"kind":"observed","body":{"s":"a"#.utf8) + [0xC3, 0x28]
                + Array(#"b"}}"#.utf8)),
        UndecodableLine(
            testDescription: "a NUL byte between two events",
            bytes: Array(#"{"kind":"observed"}"#.utf8) + [0x00]
                + Array(#"{"kind":"deleted"}"#.utf8)),
    ]
}

@Suite("Bad input to append")
struct BadInputTests {
    @Test(
        "a bad line fails with its place and reason; earlier lines stay, later ones are not read",
        arguments: [
            (
                #"{"kind":"observed" "record":"zendesk:ticket/1"}"#,
                ["line 3, column 20", "expected ',' or '}'"]
            ),
            (#"{"kind":"observed","body":{"a":1,}}"#, ["line 3, column 34"]),
            (#"{"kind":"observd"}"#, ["line 3", #"unknown kind "observd""#, "observed"]),
            (
                #"{"kind":"observed","record":"zendesk-ticket-1"}"#,
                ["line 3", #""zendesk-ticket-1" is not a record reference"#]
            ),
            (#"{"kind":"observed","record":":ticket/1"}"#, ["line 3", "record"]),
            (#"{"kind":"observed","id":"not-a-uuid"}"#, ["line 3", #""id" must be a UUID"#]),
            (#"{"kind":"observed","colour":"red"}"#, ["line 3", #"unknown member "colour""#]),
            (#"{"kind":"observed","upstreamAt":"yesterday"}"#, ["line 3", #""upstreamAt""#]),
            // In UTC these fall in years -1 and 10000, which RFC 3339 cannot write.
            (
                #"{"kind":"observed","upstreamAt":"0000-01-01T00:30:00+01:00"}"#,
                ["line 3", #""upstreamAt""#]
            ),
            (
                #"{"kind":"observed","upstreamAt":"9999-12-31T23:30:00-01:00"}"#,
                ["line 3", #""upstreamAt""#]
            ),
            (#"{"kind":"observed","body":1e999}"#, ["line 3", "cannot be kept exactly"]),
        ])
    func badLine(line: String, messages: [String]) throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            let input = [
                eventLine("observed", record: "zendesk:ticket/1", id: eventID(1)),
                "",
                line,
                eventLine("observed", record: "zendesk:ticket/1", id: eventID(2)),
            ]
            let result = try SyncLedgerCLI.append(input, to: ledger)
            #expect(result.status == 1, "\(result)")
            #expect(result.lines.count == 1, "\(result.stdout)")
            #expect(result.stderr.hasPrefix("syncledger: standard input, line 3"))
            for message in messages {
                #expect(result.stderr.contains(message), "\(result.stderr)")
            }
            #expect(!result.stderr.contains("Fatal error"))

            let log = try SyncLedgerCLI.logJSON(ledger)
            #expect(log.status == 0, "\(log)")
            #expect(eventIDs(log) == [eventID(1)])
        }
    }

    @Test(
        "a line that is not UTF-8 text, or holds a NUL byte, is refused rather than altered",
        arguments: UndecodableLine.all)
    func undecodableLine(line: UndecodableLine) throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            let first = Array((eventLine("observed", id: eventID(1)) + "\n").utf8)
            let result = try SyncLedgerCLI.run(
                ["append", "--json", "--ledger", ledger.path],
                input: Data(first + line.bytes + [0x0A]))
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("standard input, line 2"), "\(result.stderr)")
            #expect(eventIDs(try SyncLedgerCLI.logJSON(ledger)) == [eventID(1)])
        }
    }

    @Test("a bad line in a file names the file and the line")
    func badLineInFile() throws {
        try withTemporaryDirectory { directory in
            let file = directory.url.appendingPathComponent("events.jsonl")
            let lines = [eventLine("observed", id: eventID(1)), #"{"kind":"#]
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
            let result = try SyncLedgerCLI.run(
                ["append", "--ledger", directory.ledger.path, "--file", file.path])
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("\(file.path), line 2, column 9"), "\(result.stderr)")
            #expect(eventIDs(try SyncLedgerCLI.logJSON(directory.ledger)) == [eventID(1)])
        }
    }

    @Test("a missing input file is reported and creates no ledger")
    func missingFile() throws {
        try withTemporaryDirectory { directory in
            let file = directory.url.appendingPathComponent("absent.jsonl")
            let result = try SyncLedgerCLI.run(
                ["append", "--ledger", directory.ledger.path, "--file", file.path])
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("cannot read \(file.path)"), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: directory.ledger.path))
        }
    }

    @Test("a body nested as deep as the format allows (64 levels) can be appended")
    func deepestBody() throws {
        try withTemporaryDirectory { directory in
            let deepest = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
            let accepted = try SyncLedgerCLI.append(
                [eventLine("observed", body: deepest)], to: directory.ledger)
            #expect(accepted.status == 0, "\(accepted)")

            let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
            let refused = try SyncLedgerCLI.append(
                [eventLine("observed", body: tooDeep)], to: directory.ledger)
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.stderr.contains("deeper than 64 levels"), "\(refused.stderr)")
        }
    }
}
