import Engine
import Foundation
import Ledger
import Reconcile
import Synchronization

/// The records linked so far, counted from the log as it grows: each `linked` event read
/// once.
final class LinkTally: Sendable {
    private struct State {
        var position = SequenceNumber.zero
        var linked: [RecordReference: Int] = [:]
    }

    private let state = Mutex(State())

    /// Reads the events appended since the last call; returns how many records are linked.
    @discardableResult
    func update(from log: EventLog) throws -> Int {
        let start = state.withLock { $0.position }
        let events = try log.read(from: start.next, limit: .max)
        return state.withLock { state in
            for event in events where event.sequence > state.position {
                if event.kind == .linked, let record = event.record {
                    state.linked[record, default: 0] += 1
                }
                state.position = event.sequence
            }
            return state.linked.count
        }
    }

    /// How many links each linked record has.
    var linksPerRecord: [RecordReference: Int] {
        state.withLock { $0.linked }
    }

    /// Shows how many of `total` records are linked, every 100 ms until cancelled: a bar
    /// redrawn on a terminal, otherwise the count at each quarter.
    func showProgress(of total: Int, from log: EventLog) async {
        var shownQuarter = 0
        while !Task.isCancelled {
            let linked = (try? update(from: log)) ?? 0
            if Output.showsProgress {
                let width = 40
                let done = total == 0 ? width : min(linked * width / total, width)
                Output.progress(
                    "backfill [\(String(repeating: "#", count: done))"
                        + "\(String(repeating: ".", count: width - done))] "
                        + "\(DemoCommand.Run.count(linked))/\(DemoCommand.Run.count(total)) tickets"
                )
            } else if total > 0 && linked * 4 / total > shownQuarter {
                shownQuarter = linked * 4 / total
                Output.line(
                    "backfill: \(DemoCommand.Run.count(linked)) of "
                        + "\(DemoCommand.Run.count(total)) tickets have an issue")
                Output.flush()
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }
}

extension DemoCommand.Run {
    /// Step 2: engine passes until every ticket has its issue, with progress as it goes.
    func backfill() async throws {
        heading("2. Backfill: every ticket gets its Jira issue")
        let session = try engine
        let total = ticketIDs.count
        let tally = LinkTally()
        let firstEvent = try session.log.lastSequence()
        let requestsBefore = transport.total
        let refusedBefore =
            transport.answers(.zendesk, status: 429)
            + transport.answers(.jira, status: 429)
        let started = ContinuousClock.now

        let log = session.log
        let progress = Task { await tally.showProgress(of: total, from: log) }
        var passes = 0
        var linked = 0
        var reports: [SyncEngine.PassReport] = []
        while linked < total && passes < 10 {
            reports.append(try await session.engine.runOnce())
            passes += 1
            linked = try tally.update(from: session.log)
        }
        progress.cancel()
        _ = await progress.value
        Output.progress("", done: false)

        let elapsed = ContinuousClock.now - started
        let events = Int(try session.log.lastSequence().rawValue - firstEvent.rawValue)
        let requests = transport.total - requestsBefore
        let refused =
            transport.answers(.zendesk, status: 429) + transport.answers(.jira, status: 429)
            - refusedBefore
        for (index, report) in reports.enumerated() {
            say("pass \(index + 1): \(Self.describe(report))")
        }
        let rate = Double(linked) / max(Double(elapsed / .milliseconds(1)) / 1_000, 0.001)
        say(
            "\(Self.count(linked)) of \(Self.count(total)) tickets have an issue after "
                + "\(passes) pass\(passes == 1 ? "" : "es") in \(Self.seconds(elapsed)): "
                + "\(Int(rate.rounded())) tickets/s; \(Self.count(requests)) API requests "
                + "(\(refused) answered 429), \(Self.count(events)) events appended, webhooks "
                + "included")
        check(linked == total, "every ticket has an issue after the backfill")
        let doubled = tally.linksPerRecord.filter { $0.value > 1 }.count
        check(doubled == 0, "no ticket was linked twice in the backfill (\(doubled) were)")
    }
}
