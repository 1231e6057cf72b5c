import Foundation
import Testing

/// The ledger keeps strings byte for byte: "é" written as one code point (U+00E9) and as "e"
/// followed by a combining accent (U+0301) are different strings, although Swift's `String`
/// calls them equal.
@Suite("Strings are compared by their bytes")
struct ExactStringTests {
    static let composed = "zendesk:ticket/\u{E9}"
    static let decomposed = "zendesk:ticket/e\u{301}"

    @Test("object keys that differ only in Unicode normalisation are both kept")
    func keysDifferingInNormalisation() throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            let body = #"{"\u00e9":"composed","e\u0301":"decomposed"}"#
            let appended = try SyncLedgerCLI.append([eventLine("observed", body: body)], to: ledger)
            #expect(appended.status == 0, "\(appended)")

            let log = try SyncLedgerCLI.logJSON(ledger)
            #expect(
                log.lines.first?.hasSuffix(
                    #""body":{"e\#u{301}":"decomposed","\#u{E9}":"composed"}}"#) == true,
                "\(log)")
        }
    }

    @Test("records that differ only in Unicode normalisation have separate streams")
    func recordsDifferingInNormalisation() throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            let batch =
                "[" + eventLine("observed", record: Self.composed, id: eventID(1)) + ","
                + eventLine("observed", record: Self.decomposed, id: eventID(2)) + "]"
            let appended = try SyncLedgerCLI.append([batch], to: ledger)
            #expect(appended.status == 0, "\(appended)")
            #expect(
                appended.lines == [
                    #"{"seq":1,"id":"\#(eventID(1))","version":1,"new":true}"#,
                    #"{"seq":2,"id":"\#(eventID(2))","version":1,"new":true}"#,
                ])

            let composed = try SyncLedgerCLI.logJSON(ledger, ["--record", Self.composed])
            #expect(eventIDs(composed) == [eventID(1)])
            let decomposed = try SyncLedgerCLI.logJSON(ledger, ["--record", Self.decomposed])
            #expect(eventIDs(decomposed) == [eventID(2)])

            let stats = try SyncLedgerCLI.run(["stats", "--json", "--ledger", ledger.path])
            #expect(jsonObject(stats.stdout)?["records"] as? Int == 2, "\(stats)")

            if Python.hasLMDB {
                let verified = try Python.decode(ledger, verifyIndexes: true)
                #expect(verified.status == 0, "\(verified)")
            }
        }
    }
}
