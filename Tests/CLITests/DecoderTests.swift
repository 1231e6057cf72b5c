import Foundation
import Testing

/// Events that between them use every kind, every value type and every optional part of the
/// event format.
private enum VariedEvents {
    static let lines: [String] = [
        #"{"kind":"observed","record":"zendesk:ticket/42","id":"\#(eventID(1))","#
            + #""upstreamAt":"2026-03-01T12:00:00Z","body":{"status":"open","priority":null,"#
            + #""vip":true,"spam":false,"zero":0,"min":-9223372036854775808,"#
            + #""max":9223372036854775807,"small":[63,64,-64,-65,8191,8192,-8193]}}"#,
        #"{"kind":"writeIntended","record":"jira:issue/PROJ-7","id":"\#(eventID(2))","#
            + #""body":{"a":12.5,"b":1.5e3,"c":-0.03,"d":0.0,"e":1e-64,"f":1E64,"#
            + #""g":123456789012345678e-20,"h":-1.10,"i":100.000,"j":-0.0,"k":2.5E+3}}"#,
        #"{"kind":"observed","record":"zendesk:ticket/é:ü/1","id":"\#(eventID(3))","#
            + #""body":{"text":"line\nbreak\ttab \"quoted\" back\\slash \/ \b\f\r"#
            + #" \u0001\u001f\u007f \u2028 é 日本 \ud83d\ude00","Zeta":1,"zeta":2,"#
            + #""é":"composed","nested":{"e\u0301":"decomposed"},"":"empty key"}}"#,
        #"{"kind":"configApplied","id":"\#(eventID(4))","body":{"rules":[{"field":"status","#
            + #""map":{"open":"To Do","solved":"Done"}},[],{},[[1,[2,[3]]]]],"#
            + #""digest":"sha256:0f"}}"#,
        #"{"kind":"writeSucceeded","record":"jira:issue/PROJ-7","id":"\#(eventID(5))","#
            + #""upstreamAt":"2026-03-01T12:00:00.5+02:00","#
            + #""causation":["\#(eventID(2))","0191e2f4-7c3a-7b21-9f00-12ab34cd56ef"],"#
            + #""body":{"response":{"id":10001,"key":"PROJ-7"}}}"#,
        #"{"kind":"writeFailed","record":"jira:issue/PROJ-8","id":"\#(eventID(6))","#
            + #""upstreamAt":"1969-12-31T23:59:59.999999Z","causation":["\#(eventID(5))"],"#
            + #""body":{"error":"rateLimited","retryAfter":30}}"#,
        #"[{"kind":"deleted","record":"zendesk:ticket/43","id":"\#(eventID(7))","#
            + #""upstreamAt":"2026-03-01T12:00:00.123-05:30"},"#
            + #"{"kind":"linked","record":"zendesk:ticket/42","id":"\#(eventID(8))","#
            + #""body":{"to":"jira:issue/PROJ-7"}},"#
            + #"{"kind":"unlinked","record":"zendesk:ticket/42","id":"\#(eventID(9))","#
            + #""body":{"from":"jira:issue/PROJ-8"}}]"#,
        #"{"kind":"cursorAdvanced","id":"\#(eventID(10))","body":"cursor-123"}"#,
        #"{"kind":"connectionChanged","id":"\#(eventID(11))","body":null}"#,
        #"{"kind":"agentActed","id":"\#(eventID(12))","body":[true,false,null,-1,1.25]}"#,
        #"{"kind":"auditFound","record":"zendesk:ticket/a\"b\\c\nd:e/f","#
            + #""id":"\#(eventID(13))","body":{"drift":["status"]}}"#,
        #"{"kind":"observed","record":"zendesk:ticket/42","id":"\#(eventID(14))","#
            + #""body":{"long":"\#(String(repeating: "0123456789", count: 2000))","#
            + #""many":[\#((0..<300).map(String.init).joined(separator: ","))]}}"#,
        #"{"kind":"observed","id":"\#(eventID(15))","body":"#
            + String(repeating: "[", count: 62) + String(repeating: "]", count: 62) + "}",
    ]

    /// Events in `lines`: one per line, three in the batch line.
    static let count = lines.count + 2
}

@Suite("The independent Python decoder")
struct DecoderTests {
    @Test("decode_ledger.py prints exactly what log --json prints")
    func decoderMatchesLog() throws {
        try #require(Python.hasLMDB, Python.missingLMDB)
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            let appended = try SyncLedgerCLI.append(VariedEvents.lines, to: ledger)
            try #require(appended.status == 0, "\(appended)")

            let log = try SyncLedgerCLI.logJSON(ledger)
            #expect(log.status == 0, "\(log)")
            #expect(log.lines.count == VariedEvents.count)
            let decoded = try Python.decode(ledger, verifyIndexes: true)
            #expect(decoded.status == 0, "\(decoded)")
            #expect(decoded.stderr.isEmpty, "\(decoded.stderr)")
            #expect(decoded.lines.count == VariedEvents.count)
            for (index, (fromLog, fromDecoder)) in zip(log.lines, decoded.lines).enumerated() {
                #expect(fromDecoder == fromLog, "event \(index + 1) differs")
            }
            #expect(decoded.stdout == log.stdout)
        }
    }

    @Test("log --json prints values, times and records in the documented forms")
    func documentedJSONForms() throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            try #require(try SyncLedgerCLI.append(VariedEvents.lines, to: ledger).status == 0)
            let lines = try SyncLedgerCLI.logJSON(ledger).lines
            try #require(lines.count == VariedEvents.count)

            #expect(lines[0].contains(#""upstreamAt":"2026-03-01T12:00:00Z""#))
            #expect(lines[0].contains(#""min":-9223372036854775808"#))
            #expect(lines[0].contains(#""small":[63,64,-64,-65,8191,8192,-8193]"#))

            let decimals =
                #"{"a":12.5,"b":1500.0,"c":-0.03,"d":0.0,"e":0."#
                + String(repeating: "0", count: 63) + #"1,"f":1"#
                + String(repeating: "0", count: 64)
                + #".0,"g":0.00123456789012345678,"h":-1.1,"i":100.0,"j":0.0,"k":2500.0}"#
            #expect(lines[1].hasSuffix(#""body":\#(decimals)}"#), "\(lines[1])")

            let text =
                #"{"":"empty key","Zeta":1,"nested":{"e\#u{0301}":"decomposed"},"#
                + #""text":"line\nbreak\ttab \"quoted\" back\\slash / \b\f\r"#
                + #" \u0001\u001f\#u{7F} \#u{2028} é 日本 😀","zeta":2,"é":"composed"}"#
            #expect(lines[2].hasSuffix(#""body":\#(text)}"#), "\(lines[2])")
            #expect(lines[2].contains(#""record":"zendesk:ticket/é:ü/1""#))

            #expect(lines[4].contains(#""upstreamAt":"2026-03-01T10:00:00.500Z""#))
            let causation =
                #""causation":["\#(eventID(2))","0191e2f4-7c3a-7b21-9f00-12ab34cd56ef"]"#
            #expect(lines[4].contains(causation))
            #expect(lines[5].contains(#""upstreamAt":"1969-12-31T23:59:59.999999Z""#))
            #expect(lines[6].contains(#""upstreamAt":"2026-03-01T17:30:00.123Z""#))
            #expect(lines[12].contains(#""record":"zendesk:ticket/a\"b\\c\nd:e/f""#))
            #expect(lines[10].hasSuffix(#""body":null}"#))
        }
    }

    @Test("the worked example in docs/event-format.md reads as the page says")
    func documentedExample() throws {
        try #require(Python.hasLMDB, Python.missingLMDB)
        let page = try String(
            contentsOf: Repository.root.appendingPathComponent("docs/event-format.md"),
            encoding: .utf8)
        let bytes = try #require(Self.exampleBytes(in: page), "no example found in the page")
        #expect(bytes.count == 65)

        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            let lines = (1...5).map { eventLine("observed", record: "zendesk:ticket/\($0)") }
            try #require(try SyncLedgerCLI.append(lines, to: ledger).status == 0)
            let hex = bytes.map { String(format: "%02x", $0) }.joined()
            try Python.rewriteEvent(5, in: ledger, "v[:] = bytes.fromhex('\(hex)')")

            let expected =
                #"{"seq":5,"id":"0191e2f4-7c3a-7b21-9f00-12ab34cd56ef","#
                + #""kind":"observed","record":"zendesk:ticket/42","version":3,"#
                + #""recordedAt":"2026-12-03T15:24:01Z","causation":[],"#
                + #""body":{"status":"pending"}}"#
            let log = try SyncLedgerCLI.logJSON(ledger, ["--from", "5"])
            #expect(log.status == 0, "\(log)")
            #expect(log.lines == [expected])
            let decoded = try Python.decode(ledger)
            #expect(decoded.status == 0, "\(decoded)")
            #expect(decoded.lines.last == expected)
        }
    }

    /// The bytes of the example block: the leading two-digit hex words of each line.
    private static func exampleBytes(in page: String) -> [UInt8]? {
        guard let section = page.range(of: "## An example"),
            let open = page.range(of: "```\n", range: section.upperBound..<page.endIndex),
            let close = page.range(of: "\n```", range: open.upperBound..<page.endIndex)
        else {
            return nil
        }
        var bytes: [UInt8] = []
        for line in page[open.upperBound..<close.lowerBound].split(separator: "\n") {
            for word in line.split(separator: " ") {
                guard word.count == 2, let byte = UInt8(word, radix: 16) else {
                    break
                }
                bytes.append(byte)
            }
        }
        return bytes
    }

    @Test("decode_ledger.py refuses a missing ledger and bad usage")
    func decoderErrors() throws {
        try #require(Python.hasLMDB, Python.missingLMDB)
        try withTemporaryDirectory { directory in
            let missing = try Python.decode(directory.url.appendingPathComponent("absent"))
            #expect(missing.status == 1, "\(missing)")
            #expect(missing.stderr.contains("no ledger"), "\(missing.stderr)")

            let usage = try Programs.run(Python.executable, [Repository.decoder.path])
            #expect(usage.status == 64, "\(usage)")
            #expect(usage.stderr.contains("usage:"))
        }
    }
}
