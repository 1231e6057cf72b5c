import Engine
import Foundation
import Ledger
import Reconcile

extension DemoCommand.Run {
    /// Milliseconds Jira waits before each answer while the child runs: the window between
    /// an intent and its outcome, wide enough to kill the child inside it.
    static let crashLatency = 250
    /// New tickets whose issues the killed pass was making.
    static let crashTickets = 3

    /// Step 9: a `syncledger sync --once` process is killed just after it records its first
    /// intent; the next pass settles the write left in doubt without a duplicate.
    func recoverFromKill() async throws {
        heading("9. The sync process is killed in the middle of a write")
        let created = try await createTickets()

        close()
        try await sandbox.setFaults(
            .jira, ["addedLatencyMilliseconds": .integer(Int64(Self.crashLatency))])
        let mark = try lastSequence()
        let words = ["sync", "--config", configurationPath, "--once", "--ledger", ledger]
        shell(words)
        let child = try startChild(words)
        say(
            "  process \(child.processIdentifier) runs the pass on the same ledger and sandbox; "
                + "Jira answers after \(Self.crashLatency) ms, so a call takes that long")
        let killed = try await killAfterFirstIntent(child, after: mark)
        try await sandbox.setFaults(.jira, ["addedLatencyMilliseconds": 0])
        // A call already sent finishes at Jira after its latency, whoever waits for it.
        try await Task.sleep(for: .milliseconds(Self.crashLatency * 2 + 200))

        guard let (intent, waited) = killed else {
            check(false, "the child recorded an intent before it was killed")
            try open()
            return
        }
        say(
            "  SIGKILL \(Self.seconds(waited)) after event \(intent.sequence), writeIntended "
                + "\(try WriteIntent(intent).operation.rawValue) for \(intent.record?.description ?? "?"); "
                + "no outcome was recorded")
        let reached = try await issues(carrying: intent.record?.remoteID ?? "")
        say(
            reached.isEmpty
                ? "  Jira holds no issue for it: the call had not reached Jira"
                : "  Jira holds \(reached.joined(separator: ", ")) for it: the call had reached "
                    + "Jira, but the ledger could not know")

        try open()
        say("The demo takes the ledger back and runs a pass:")
        let report = try await pass()
        say(
            "  recovery, before anything new: \(report.recovery.confirmed) write in doubt "
                + "confirmed (the issue found by its Zendesk ticket field and linked), "
                + "\(report.recovery.replanned) recorded as failed and planned again")
        check(
            report.recovery.confirmed + report.recovery.replanned == 1,
            "the pass settled the one write left in doubt")
        var counts: [String] = []
        for id in created {
            let found = try await issues(carrying: id)
            counts.append("ticket \(id): \(found.joined(separator: ", "))")
            check(found.count == 1, "ticket \(id) has exactly one issue")
        }
        say("  " + counts.joined(separator: "; "))
    }

    /// The agent creates new tickets; returns their ids once their webhooks are recorded.
    func createTickets() async throws -> [String] {
        let session = try engine
        let mark = try session.log.lastSequence()
        var ids: [String] = []
        for number in 1...Self.crashTickets {
            let answer = try await sandbox.call(
                .zendesk, "POST", "/api/v2/tickets.json",
                [
                    "ticket": [
                        "subject": .string("Refund stuck for order 40\(number)"),
                        "comment": ["body": "The refund shows as pending for a week."],
                        "priority": "high",
                    ]
                ])
            guard let id = answer["ticket"]?["id"]?.integerValue else {
                throw DemoError("Zendesk answered a create without a ticket id")
            }
            ids.append(String(id))
        }
        for id in ids {
            let record = RecordReference(connection: "zendesk", recordType: "ticket", remoteID: id)
            let event = try await session.waitForEvent(after: mark) {
                $0.isWebhookObservation(of: record)
            }
            check(event != nil, "the webhook for new ticket \(id) arrived")
        }
        ticketIDs += ids
        say(
            "The agent opens \(ids.count) tickets (\(ids.joined(separator: ", "))); their "
                + "webhooks are recorded, and the demo closes the ledger for another process.")
        return ids
    }

    /// The last position of the ledger, read without taking it.
    func lastSequence() throws -> SequenceNumber {
        let log = try readOnlyLog()
        defer { log.close() }
        return try log.lastSequence()
    }

    func readOnlyLog() throws -> EventLog {
        var options = EventLog.Options()
        options.readOnly = true
        return try EventLog.open(at: ledger, options: options)
    }

    /// Starts this program again with `words`, its output kept in the demo's directory.
    func startChild(_ words: [String]) throws -> Process {
        let process = Process()
        var buffer = [CChar](repeating: 0, count: 4_096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        process.executableURL = URL(
            fileURLWithPath: length > 0
                ? String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                : CommandLine.arguments[0])
        process.arguments = words
        let output = directory + "/sync-child.log"
        guard FileManager.default.createFile(atPath: output, contents: nil) else {
            throw DemoError("\(output) cannot be written")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Watches the ledger from outside and kills `child` with SIGKILL as soon as it records
    /// its first intent after `mark`; returns that intent and how long after it was recorded
    /// the kill came, or `nil` when the child wrote none within 30 s.
    func killAfterFirstIntent(_ child: Process, after mark: SequenceNumber) async throws -> (
        Event, Duration
    )? {
        let log = try readOnlyLog()
        defer { log.close() }
        let deadline = ContinuousClock.now + .seconds(30)
        var seen = mark
        var found: (Event, Duration)?
        while found == nil && child.isRunning && ContinuousClock.now < deadline {
            for event in try log.read(from: seen.next, limit: .max) {
                seen = event.sequence
                if event.kind == .writeIntended {
                    kill(child.processIdentifier, SIGKILL)
                    let since = SystemClock().now().microseconds - event.recordedAt.microseconds
                    found = (event, .microseconds(since))
                    break
                }
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        if child.isRunning {
            kill(child.processIdentifier, SIGKILL)
        }
        while child.isRunning {
            try await Task.sleep(for: .milliseconds(5))
        }
        return found
    }

    /// The keys of the Jira issues whose `Zendesk ticket` field is exactly `ticket`.
    func issues(carrying ticket: String) async throws -> [String] {
        let answer = try await sandbox.call(
            .jira, "POST", "/rest/api/3/search/jql",
            [
                "jql": .string("project = SUP AND cf[10100] ~ \"\(ticket)\""),
                "fields": ["customfield_10100"], "maxResults": 100,
            ])
        return (answer["issues"]?.arrayValue ?? []).compactMap { issue in
            issue["fields"]?["customfield_10100"]?.stringValue == ticket
                ? issue["key"]?.stringValue : nil
        }
    }
}
