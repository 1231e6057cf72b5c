import Foundation
import Testing

/// The input of one crash round: lines of single events and small batches with fresh ids.
private struct CrashRoundInput {
    static let records = ["zendesk:ticket/1", "zendesk:ticket/2", "jira:issue/3", "jira:issue/4"]
    static let kinds = ["observed", "writeIntended", "writeSucceeded", "linked"]

    /// The text of each line.
    private(set) var lines: [String] = []
    /// The ids of the events on each line, in order.
    private(set) var lineIDs: [[String]] = []

    init(round: Int, lineCount: Int, random: inout SplitMix64) {
        lines.reserveCapacity(lineCount)
        lineIDs.reserveCapacity(lineCount)
        for line in 0..<lineCount {
            let size = random.next() % 4 == 0 ? Int.random(in: 2...4, using: &random) : 1
            var events: [String] = []
            var ids: [String] = []
            for _ in 0..<size {
                let id = eventID(random.next(), random.next())
                let record =
                    random.next() % 8 == 0 ? nil : Self.records.randomElement(using: &random)
                let kind = Self.kinds.randomElement(using: &random)!
                let number = Int32.random(in: .min ... .max, using: &random)
                let body = #"{"round":\#(round),"line":\#(line),"n":\#(number)}"#
                events.append(eventLine(kind, record: record, id: id, body: body))
                ids.append(id)
            }
            lines.append(size == 1 ? events[0] : "[" + events.joined(separator: ",") + "]")
            lineIDs.append(ids)
        }
    }

    func write(to file: URL) throws {
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
    }
}

/// One event as `log --json` shows it, reduced to what the crash checks need.
private struct LoggedEvent {
    let sequence: Int
    let id: String
    let record: String?
    let version: Int?

    init?(_ line: String) {
        guard let object = jsonObject(line), let sequence = object["seq"] as? Int,
            let id = object["id"] as? String
        else {
            return nil
        }
        self.sequence = sequence
        self.id = id
        self.record = object["record"] as? String
        self.version = object["version"] as? Int
    }
}

/// One acknowledgement `append --json` printed.
private struct Acknowledgement {
    let sequence: Int
    let id: String
    let isNew: Bool

    init?(_ line: String) {
        guard let object = jsonObject(line), let sequence = object["seq"] as? Int,
            let id = object["id"] as? String, let isNew = object["new"] as? Bool
        else {
            return nil
        }
        self.sequence = sequence
        self.id = id
        self.isNew = isNew
    }
}

@Suite("Crash safety")
struct CrashTests {
    static let rounds = 20
    static let linesPerRound = 20_000
    static let killDelays = 20...300

    /// The seed for the rounds: `CLI_TESTS_CRASH_SEED` to repeat a run, random otherwise.
    static func seed() -> UInt64 {
        if let text = ProcessInfo.processInfo.environment["CLI_TESTS_CRASH_SEED"],
            let seed = UInt64(text)
        {
            return seed
        }
        return UInt64.random(in: 0...UInt64.max)
    }

    @Test(
        "a writer killed at any moment loses no acknowledged event and leaves no batch in part",
        .timeLimit(.minutes(3)))
    func killedWriter() throws {
        let seed = Self.seed()
        print("crash test seed \(seed); repeat it with CLI_TESTS_CRASH_SEED=\(seed)")
        var random = SplitMix64(seed: seed)

        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            let file = directory.url.appendingPathComponent("events.jsonl")
            var previousLog: [String] = []
            var acknowledgedInAll = 0
            try #require(try SyncLedgerCLI.append([], to: ledger).status == 0)

            for round in 1...Self.rounds {
                let context: Comment = "round \(round) of seed \(seed)"
                let input = CrashRoundInput(
                    round: round, lineCount: Self.linesPerRound, random: &random)
                try input.write(to: file)

                let writer = try RunningProgram.syncledger(
                    ["append", "--json", "--file", file.path, "--ledger", ledger.path])
                usleep(UInt32(Int.random(in: Self.killDelays, using: &random) * 1000))
                writer.send(SIGKILL)
                let ended = try #require(writer.waitForExit(timeout: 30), context)
                #expect(ended.wasSignalled || ended.status == 0, "\(context): \(ended)")
                let acknowledgements = ended.completeLines.compactMap(Acknowledgement.init)
                #expect(acknowledgements.count == ended.completeLines.count, context)
                acknowledgedInAll += acknowledgements.count

                previousLog = try Self.checkLedger(
                    ledger, after: input, acknowledged: acknowledgements,
                    previousLog: previousLog, context: context)
            }

            print("crash test: \(acknowledgedInAll) events acknowledged in \(Self.rounds) rounds")
            #expect(acknowledgedInAll > 0, "no round lived long enough to append anything")
            if Python.hasLMDB {
                let decoded = try Python.decode(ledger, verifyIndexes: true)
                #expect(decoded.status == 0, "seed \(seed): \(decoded)")
                #expect(decoded.stderr.isEmpty, "seed \(seed): \(decoded.stderr)")
                #expect(decoded.lines == previousLog, "seed \(seed)")
            }
        }
    }

    /// Checks the ledger after a round's writer was killed, and returns its `log --json` lines.
    ///
    /// `previousLog` is what the log held before the round; `acknowledged` is what the writer
    /// printed before it died.
    private static func checkLedger(
        _ ledger: URL, after input: CrashRoundInput, acknowledged: [Acknowledgement],
        previousLog: [String], context: Comment
    ) throws -> [String] {
        let log = try SyncLedgerCLI.logJSON(ledger)
        #expect(log.status == 0, "\(context): \(log)")
        #expect(log.stderr.isEmpty, "\(context): \(log.stderr)")
        let events = log.lines.compactMap(LoggedEvent.init)
        try #require(events.count == log.lines.count, "\(context): unparsable log lines")

        #expect(
            events.map(\.sequence) == Array(0..<events.count).map { $0 + 1 },
            "\(context): positions are not 1...N")
        #expect(
            Array(log.lines.prefix(previousLog.count)) == previousLog,
            "\(context): events logged before this round changed")
        #expect(Set(events.map(\.id)).count == events.count, "\(context): repeated id")

        let committedLines = Self.committedLines(
            of: input, appended: events.dropFirst(previousLog.count).map(\.id),
            context: context)

        let positions = Dictionary(
            events.map { ($0.id, $0.sequence) }, uniquingKeysWith: { first, _ in first })
        var lineOfID: [String: Int] = [:]
        for (line, ids) in input.lineIDs.enumerated() {
            for id in ids {
                lineOfID[id] = line
            }
        }
        var lastAcknowledgedLine = -1
        for acknowledgement in acknowledged {
            let logged = positions[acknowledgement.id].map { "at \($0)" } ?? "nowhere"
            let printed = "\(acknowledgement.id) at \(acknowledgement.sequence)"
            #expect(
                positions[acknowledgement.id] == acknowledgement.sequence,
                "\(context): acknowledged \(printed), logged \(logged)")
            #expect(acknowledgement.isNew, context)
            let line = try #require(lineOfID[acknowledgement.id], context)
            lastAcknowledgedLine = max(lastAcknowledgedLine, line)
        }
        // Each line is acknowledged before the next is read, so at most the one line after the
        // last acknowledged one can be in the log unacknowledged.
        #expect(committedLines >= lastAcknowledgedLine + 1, context)
        #expect(committedLines <= lastAcknowledgedLine + 2, context)

        var versions: [String: Int] = [:]
        for event in events {
            guard let record = event.record else {
                #expect(event.version == nil, context)
                continue
            }
            versions[record, default: 0] += 1
            #expect(
                event.version == versions[record],
                "\(context): event \(event.sequence) has version \(event.version ?? 0)")
        }

        let stats = try SyncLedgerCLI.run(["stats", "--json", "--ledger", ledger.path])
        let counts = try #require(jsonObject(stats.stdout), "\(context): \(stats)")
        #expect(counts["events"] as? Int == events.count, context)
        #expect(counts["lastSequence"] as? Int == events.count, context)
        #expect(counts["records"] as? Int == versions.count, context)
        return log.lines
    }

    @Test(
        "a writer killed while it creates a ledger leaves one the next append can use",
        .timeLimit(.minutes(2)))
    func killedWhileCreating() throws {
        let seed = Self.seed()
        print("ledger creation crash seed \(seed); repeat it with CLI_TESTS_CRASH_SEED=\(seed)")
        var random = SplitMix64(seed: seed)
        try withTemporaryDirectory { directory in
            for attempt in 1...30 {
                let ledger = directory.url.appendingPathComponent("ledger-\(attempt)")
                let creator = try RunningProgram.syncledger(["append", "--ledger", ledger.path])
                // Creating a ledger takes a few commits right after the data file appears; aim
                // the kill at them.
                let dataFile = ledger.appendingPathComponent("data.mdb").path
                let deadline = Date(timeIntervalSinceNow: 5)
                while !FileManager.default.fileExists(atPath: dataFile) && Date() < deadline {
                    usleep(200)
                }
                usleep(UInt32(Int.random(in: 0...15_000, using: &random)))
                creator.send(SIGKILL)
                _ = creator.waitForExit(timeout: 30)

                let next = try SyncLedgerCLI.append(
                    [eventLine("observed", id: eventID(UInt64(attempt)))], to: ledger)
                #expect(
                    next.status == 0,
                    "attempt \(attempt) of seed \(seed): the killed creator left \(next)")
                let log = try SyncLedgerCLI.logJSON(ledger)
                #expect(eventIDs(log) == [eventID(UInt64(attempt))], "attempt \(attempt)")
                try? FileManager.default.removeItem(at: ledger)
            }
        }
    }

    /// How many lines of `input` the new events `appended` make up, whole and in order; records
    /// an issue when they are not a run of whole lines from the first.
    private static func committedLines(
        of input: CrashRoundInput, appended: [String], context: Comment
    ) -> Int {
        var remaining = appended[...]
        var lines = 0
        for ids in input.lineIDs where !remaining.isEmpty {
            guard remaining.starts(with: ids) else {
                let problem = "is not whole in the log, or lines were appended out of order"
                Issue.record("\(context): line \(lines + 1) (\(ids.count) events) \(problem)")
                return lines
            }
            remaining = remaining.dropFirst(ids.count)
            lines += 1
        }
        #expect(remaining.isEmpty, "\(context): the log holds events not in this round's input")
        return lines
    }
}
