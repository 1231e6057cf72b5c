import Foundation
import Testing

@Suite("Following the log")
struct FollowTests {
    /// How long a follower may take to show an event another process appended.
    static let followDeadline: TimeInterval = 5

    @Test("log --follow prints events another process appends, as they are appended")
    func followSeesAppendsFromAnotherProcess() throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            try #require(
                try SyncLedgerCLI.append(
                    [
                        eventLine("observed", record: "zendesk:ticket/1", id: eventID(1)),
                        eventLine("observed", record: "jira:issue/2", id: eventID(2)),
                    ], to: ledger
                ).status == 0)

            let follower = try RunningProgram.syncledger(
                ["log", "--follow", "--json", "--ledger", ledger.path])
            let onlyIssue = try RunningProgram.syncledger(
                ["log", "--follow", "--json", "--record", "jira:issue/2", "--ledger", ledger.path])
            defer {
                follower.send(SIGKILL)
                onlyIssue.send(SIGKILL)
            }
            let existing = follower.waitForLines(2, timeout: Self.followDeadline)
            #expect(existing.count == 2, "the follower printed \(existing)")

            let appended = try SyncLedgerCLI.append(
                [
                    eventLine("observed", record: "jira:issue/2", id: eventID(3)),
                    "[" + eventLine("linked", record: "zendesk:ticket/1", id: eventID(4)) + ","
                        + eventLine("linked", record: "jira:issue/2", id: eventID(5)) + "]",
                ], to: ledger)
            try #require(appended.status == 0, "\(appended)")

            let followed = follower.waitForLines(5, timeout: Self.followDeadline)
            let ids = followed.compactMap { jsonObject($0)?["id"] as? String }
            #expect(ids == (1...5).map { eventID(UInt64($0)) }, "the follower printed \(followed)")
            let issueLines = onlyIssue.waitForLines(3, timeout: Self.followDeadline)
            let issueIDs = issueLines.compactMap { jsonObject($0)?["id"] as? String }
            #expect(issueIDs == [eventID(2), eventID(3), eventID(5)])

            // What the follower printed is exactly what log prints afterwards.
            let log = try SyncLedgerCLI.logJSON(ledger)
            #expect(Array(followed.prefix(5)) == log.lines)

            follower.send(SIGTERM)
            onlyIssue.send(SIGTERM)
            let ended = try #require(follower.waitForExit(timeout: 10), "ignored SIGTERM")
            #expect(ended.wasSignalled && ended.status == SIGTERM, "\(ended)")
            #expect(ended.stderr.isEmpty, "\(ended.stderr)")
            #expect(ended.lines.count == 5, "the follower printed more: \(ended.stdout)")
            #expect(onlyIssue.waitForExit(timeout: 10) != nil)
        }
    }

    @Test("log --follow --limit stops once it has printed that many events")
    func followWithLimitEnds() throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.ledger
            try #require(
                try SyncLedgerCLI.append([eventLine("observed", id: eventID(1))], to: ledger)
                    .status == 0)
            let follower = try RunningProgram.syncledger(
                ["log", "--follow", "--json", "--limit", "2", "--ledger", ledger.path])
            defer { follower.send(SIGKILL) }
            #expect(follower.waitForLines(1, timeout: Self.followDeadline).count == 1)

            try #require(
                try SyncLedgerCLI.append(
                    [eventLine("observed", id: eventID(2)), eventLine("observed", id: eventID(3))],
                    to: ledger
                ).status == 0)
            let ended = try #require(
                follower.waitForExit(timeout: Self.followDeadline), "still following after 2")
            #expect(ended.status == 0 && !ended.wasSignalled, "\(ended)")
            #expect(eventIDs(ended) == [eventID(1), eventID(2)])
        }
    }
}
