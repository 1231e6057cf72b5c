import Foundation
import Testing

/// One way to damage a stored event: a body to append it with, and Python statements that
/// change its stored bytes `v`.
struct EventDamage: Sendable, CustomTestStringConvertible {
    let name: String
    let body: String
    let change: String
    /// What the error must say besides the event's position.
    let reason: String

    var testDescription: String { name }

    static let all = [
        EventDamage(
            name: "a newer encoding version", body: "{}", change: "v[0] = 0x02",
            reason: "encoding version 2"),
        EventDamage(
            name: "an unknown flag", body: "{}", change: "v[26] |= 0x04",
            reason: "flags"),
        EventDamage(
            name: "bytes after the body", body: "{}", change: "v += b'\\x00'",
            reason: "follow the body"),
        EventDamage(
            name: "a body cut short", body: #"{"s":"hello"}"#, change: "del v[-2:]",
            reason: "left"),
        EventDamage(
            name: "a varint longer than it needs to be", body: #"{"n":3}"#,
            change: "v[-1:] = bytes([0x86, 0x00])", reason: "not minimally encoded"),
        EventDamage(
            name: "a decimal that is not normalised", body: #"{"d":1.5}"#,
            change: "v[-2:] = bytes([0xac, 0x02, 0x03])", reason: "normalised"),
        EventDamage(
            name: "object keys out of order", body: #"{"a":1,"b":2}"#,
            change: "v[-8:] = bytes.fromhex('0162030401610302')", reason: "sort"),
        EventDamage(
            name: "a string that is not UTF-8", body: #"{"s":"ab"}"#, change: "v[-1] = 0xff",
            reason: "UTF-8"),
        EventDamage(
            name: "an unknown value tag", body: #"{"n":null}"#, change: "v[-1] = 0x09",
            reason: "tag"),
    ]
}

@Suite("Damaged and unusual ledgers")
struct DamagedLedgerTests {
    @Test(
        "log reports an event that does not decode, prints the others and exits 1",
        arguments: EventDamage.all)
    func damagedEvent(damage: EventDamage) throws {
        try #require(Python.hasLMDB, Python.missingLMDB)
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            let lines = [
                eventLine("observed", record: "zendesk:ticket/1", id: eventID(1)),
                eventLine(
                    "observed", record: "zendesk:ticket/1", id: eventID(2), body: damage.body),
                eventLine("observed", record: "zendesk:ticket/1", id: eventID(3)),
            ]
            try #require(try SyncLedgerCLI.append(lines, to: ledger).status == 0)
            let intact = try SyncLedgerCLI.logJSON(ledger)
            try Python.rewriteEvent(2, in: ledger, damage.change)

            let json = try SyncLedgerCLI.logJSON(ledger)
            #expect(json.status == 1, "\(json)")
            #expect(json.lines == [intact.lines[0], intact.lines[2]])
            #expect(json.stderr.contains("event 2 "), "\(json.stderr)")
            #expect(json.stderr.contains(damage.reason), "\(json.stderr)")
            #expect(json.stderr.split(separator: "\n").count == 1, "\(json.stderr)")

            let text = try SyncLedgerCLI.run(["log", "--ledger", ledger.path])
            #expect(text.status == 1, "\(text)")
            #expect(text.lines.count == 2)
            #expect(text.stderr.contains("event 2 "), "\(text.stderr)")

            let reversed = try SyncLedgerCLI.logJSON(ledger, ["--reverse"])
            #expect(reversed.status == 1, "\(reversed)")
            #expect(reversed.lines == [intact.lines[2], intact.lines[0]])

            // The independent decoder refuses the same event and agrees on the rest.
            let decoded = try Python.decode(ledger)
            #expect(decoded.status == 1, "\(decoded)")
            #expect(decoded.lines == json.lines)
            #expect(decoded.stderr.contains("event 2 "), "\(decoded.stderr)")
        }
    }

    @Test("an event of a kind this build does not know prints as unknown(code)")
    func unknownKind() throws {
        try #require(Python.hasLMDB, Python.missingLMDB)
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            try #require(
                try SyncLedgerCLI.append([eventLine("observed", id: eventID(1))], to: ledger)
                    .status == 0)
            try Python.rewriteEvent(1, in: ledger, "v[1] = 99")

            let json = try SyncLedgerCLI.logJSON(ledger)
            #expect(json.status == 0, "\(json)")
            #expect(json.lines.first?.contains(#""kind":"unknown(99)""#) == true, "\(json)")
            let filtered = try SyncLedgerCLI.logJSON(ledger, ["--kind", "observed"])
            #expect(filtered.lines.isEmpty)
            let decoded = try Python.decode(ledger)
            #expect(decoded.status == 0, "\(decoded)")
            #expect(decoded.lines == json.lines)
        }
    }

    @Test(
        "a truncated data file is reported as truncated, not a crash",
        arguments: ["log", "stats", "append"])
    func truncatedDataFile(command: String) throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            let lines = (1...100).map {
                eventLine("observed", record: "zendesk:ticket/\($0 % 7)", body: #"{"n":\#($0)}"#)
            }
            try #require(try SyncLedgerCLI.append(lines, to: ledger).status == 0)
            let dataFile = ledger.path + "/data.mdb"
            let size = try #require(
                try FileManager.default.attributesOfItem(atPath: dataFile)[.size] as? Int)
            try #require(truncate(dataFile, off_t(size / 2)) == 0)

            let result = try SyncLedgerCLI.run([command, "--ledger", ledger.path])
            #expect(result.status == 1, "\(result)")
            #expect(!result.wasSignalled, "\(result)")
            #expect(result.stderr.contains("truncated"), "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }

    @Test(
        "a data file of random bytes is reported as not an LMDB environment",
        arguments: ["log", "stats", "append"])
    func randomDataFile(command: String) throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            try FileManager.default.createDirectory(at: ledger, withIntermediateDirectories: true)
            var generator = SplitMix64(seed: 7)
            let noise = (0..<65_536).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            try Data(noise).write(to: ledger.appendingPathComponent("data.mdb"))

            let result = try SyncLedgerCLI.run([command, "--ledger", ledger.path])
            #expect(result.status == 1, "\(result)")
            #expect(!result.wasSignalled, "\(result)")
            #expect(result.stderr.contains("does not hold an LMDB environment"), "\(result.stderr)")
            let after = try Data(contentsOf: ledger.appendingPathComponent("data.mdb"))
            #expect(after == Data(noise), "the file was changed")
        }
    }

    @Test("an LMDB environment without the ledger's databases is not taken for a ledger")
    func environmentThatIsNotALedger() throws {
        try #require(Python.hasLMDB, Python.missingLMDB)
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            let script = """
                import lmdb, sys
                environment = lmdb.open(sys.argv[1], max_dbs=4)
                other = environment.open_db(b"other")
                with environment.begin(write=True) as transaction:
                    transaction.put(b"key", b"value", db=other)
                environment.close()
                """
            let made = try Programs.run(Python.executable, ["-c", script, ledger.path])
            try #require(made.status == 0, "\(made)")
            for command in ["log", "append"] {
                let result = try SyncLedgerCLI.run([command, "--ledger", ledger.path])
                #expect(result.status == 1, "\(command): \(result)")
                #expect(result.stderr.contains("not a SyncLedger ledger"), "\(result.stderr)")
            }
        }
    }

    @Test(
        "a ledger written in a newer format version is refused",
        arguments: ["log", "stats", "append"])
    func newerFormat(command: String) throws {
        try #require(Python.hasLMDB, Python.missingLMDB)
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            try #require(try SyncLedgerCLI.append([eventLine("observed")], to: ledger).status == 0)
            try Python.setMeta("format.version", to: [0x02], in: ledger)

            let result = try SyncLedgerCLI.run(
                [command, "--ledger", ledger.path], stdin: eventLine("observed") + "\n")
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("newer"), "\(result.stderr)")
            #expect(result.stderr.contains("format version 2"), "\(result.stderr)")
            #expect(result.stdout.isEmpty)

            let decoded = try Python.decode(ledger)
            #expect(decoded.status == 1, "\(decoded)")
            #expect(decoded.stderr.contains("newer"), "\(decoded.stderr)")
        }
    }

    @Test(
        "a ledger directory the user may not enter gives permission denied",
        arguments: ["log", "stats", "append"])
    func permissionDenied(command: String) throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            try #require(try SyncLedgerCLI.append([eventLine("observed")], to: ledger).status == 0)
            // The unprivileged user must reach the ledger's parent, but not enter the ledger.
            try #require(chmod(directory.url.path, 0o755) == 0)
            try #require(chmod(ledger.path, 0o000) == 0)
            defer { chmod(ledger.path, 0o755) }

            let arguments = [command, "--ledger", ledger.path]
            let result: CommandResult
            if geteuid() == 0 {
                // Root passes every permission check, so run as nobody.
                let setpriv = URL(fileURLWithPath: "/usr/bin/setpriv")
                try #require(
                    FileManager.default.isExecutableFile(atPath: setpriv.path),
                    "needs setpriv (util-linux) to drop root")
                result = try Programs.run(
                    setpriv,
                    ["--reuid=65534", "--regid=65534", "--clear-groups"]
                        + [try SyncLedgerCLI.executable().path] + arguments,
                    stdin: eventLine("observed") + "\n")
            } else {
                result = try SyncLedgerCLI.run(arguments, stdin: eventLine("observed") + "\n")
            }
            #expect(result.status == 1, "\(result)")
            #expect(
                result.stderr.lowercased().contains("permission denied"), "\(result.stderr)")
        }
    }

    @Test("a second writer fails naming the process that holds the ledger; readers still work")
    func lockedLedger() throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            let holder = try RunningProgram.syncledger(
                ["append", "--json", "--ledger", ledger.path], keepInputOpen: true)
            defer { holder.send(SIGKILL) }
            holder.write(eventLine("observed", id: eventID(1)) + "\n")
            // Once the first event is acknowledged, the holder certainly has the ledger open.
            let acknowledged = holder.waitForLines(1, timeout: 10)
            try #require(acknowledged.count == 1, "the holder printed \(acknowledged)")

            let second = try SyncLedgerCLI.append(
                [eventLine("observed", id: eventID(2))], to: ledger)
            #expect(second.status == 1, "\(second)")
            #expect(
                second.stderr.contains("locked by process \(holder.processIdentifier)"),
                "\(second.stderr)")

            let reader = try SyncLedgerCLI.logJSON(ledger)
            #expect(reader.status == 0, "\(reader)")
            #expect(eventIDs(reader) == [eventID(1)])

            holder.write(eventLine("observed", id: eventID(3)) + "\n")
            #expect(holder.waitForLines(2, timeout: 10).count == 2)
            holder.closeInput()
            let ended = try #require(holder.waitForExit(timeout: 10), "the holder did not end")
            #expect(ended.status == 0 && !ended.wasSignalled, "\(ended)")

            let after = try SyncLedgerCLI.append(
                [eventLine("observed", id: eventID(4))], to: ledger)
            #expect(after.status == 0, "\(after)")
            #expect(eventIDs(try SyncLedgerCLI.logJSON(ledger)) == [1, 3, 4].map { eventID($0) })
        }
    }
}

/// A small seeded random number generator, so a failing run can be repeated exactly.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
