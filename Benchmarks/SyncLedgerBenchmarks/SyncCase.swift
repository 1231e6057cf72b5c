import Engine
import Foundation
import Ledger
import Reconcile

/// The `sync` case: the sync engine backfills every Zendesk ticket into Jira, then carries
/// field changes made on both sides across, under the sandbox's rate limits scaled in time,
/// measured against the ceiling those limits allow for the calls the work needs.
enum SyncCase {
    /// The name that selects the case on the command line.
    static let name = "sync"

    /// One line saying what the case measures.
    static let summary =
        "the engine backfills tickets to Jira and carries changes both ways, against the ceiling"

    /// Runs the case; the last line is the throughput and how close it came to the ceiling.
    static func run() async throws {
        let records = try environmentInteger("SYNCLEDGER_BENCH_SYNC_RECORDS", default: 10_000)
        let window = try environmentInteger("SYNCLEDGER_BENCH_SYNC_WINDOW", default: 1)
        guard records >= 2, (1...60).contains(window) else {
            throw BenchmarkError(
                "SYNCLEDGER_BENCH_SYNC_RECORDS must be at least 2 and SYNCLEDGER_BENCH_SYNC_WINDOW "
                    + "1 to 60 seconds")
        }
        let limits = ScaledLimits(window: Int64(window))
        report(
            "case sync: \(records) tickets, \(records) changes; per \(window) s window (a minute "
                + "scaled \(fixed(limits.factor, decimals: 0))×): Zendesk \(limits.zendesk) "
                + "requests, \(limits.export) export pages; Jira \(limits.jira) requests, "
                + "\(limits.perIssue) writes per issue")

        let rig = try await SyncRig(tickets: records, limits: limits)
        defer { rig.close() }

        try await waitForNextWindow(limits)
        let backfill = try await passes(rig)
        let links = try rig.links()
        guard links.count == records, Set(links.map(\.issue)).count == records else {
            throw BenchmarkError(
                "the backfill linked \(links.count) tickets to \(Set(links.map(\.issue)).count) "
                    + "issues, not \(records) to \(records)")
        }
        report(backfill.describe("backfill", records: records, limits: limits))

        let operator_ = SandboxOperator(
            zendeskURL: rig.zendesk.baseURL, jiraURL: rig.jira.baseURL, log: { _ in })
        let changes = try ChangeSet(links: links, store: rig.store)
        try await changes.make(through: operator_)
        // Zendesk's export shows a change only once it is a window old.
        try await Task.sleep(for: .seconds(limits.window + 1))
        try await waitForNextWindow(limits)
        let carried = try await passes(rig)
        report(carried.describe("changes", records: changes.count, limits: limits))
        try await changes.verify(through: operator_)
        report("  every change is on both sides")

        let statuses = try rig.firstObservedStatuses()
        let ceiling = SyncCeiling(limits: limits)
        let backfillCeiling = ceiling.backfill(statuses: Array(statuses.values))
        let changesCeiling = ceiling.changes(
            onZendesk: changes.onZendesk.count, onJira: changes.onJira.count)
        report(backfillCeiling.describe("backfill"))
        report(changesCeiling.describe("changes"))

        try await waitForNextWindow(limits)
        let (issues, reading) = try await measure {
            try await operator_.search(updatedSince: nil, fields: ["*all"])
        }
        let pages = SyncCeiling.pages(issues.count, of: 100)
        let allowed = Double(pages) / limits.perSecond(limits.jira)
        report(
            "  a plain client reads every issue once (\(issues.count) in \(pages) search pages) "
                + "in \(fixed(reading.seconds, decimals: 2)) s; the limit allows it in "
                + "\(fixed(allowed, decimals: 2)) s")

        let fraction =
            (backfillCeiling.seconds + changesCeiling.seconds)
            / (backfill.duration.seconds + carried.duration.seconds)
        let tooMany = backfill.requests.allTooMany + carried.requests.allTooMany
        report(
            "sync: \(rate(eventsPerSecond(records, backfill.duration))) records/s backfill, "
                + "\(rate(eventsPerSecond(changes.count, carried.duration))) changes/s, "
                + "\(fixed(fraction, decimals: 2)) of the rate-limit ceiling, "
                + "\(tooMany) 429 answers")
    }

    /// Sleeps until a new rate-limit window begins (windows are aligned to whole multiples
    /// of their length since the epoch), so that a phase starts with full budgets.
    static func waitForNextWindow(_ limits: ScaledLimits) async throws {
        let now = Double(SystemClock().now().microseconds) / 1_000_000
        let window = Double(limits.window)
        let next = (now / window).rounded(.down) * window + window
        try await Task.sleep(for: .milliseconds(Int((next - now) * 1_000) + 5))
    }

    /// Engine passes until one writes nothing, after at least one that did. A failed write
    /// ends the run: the figure would not be of the work asked for.
    static func passes(_ rig: SyncRig) async throws -> PhaseResult {
        let before = rig.tally.snapshot
        var result = PhaseResult()
        let started = ContinuousClock.now
        while true {
            let (pass, time) = try await measure { try await rig.engine.runOnce() }
            result.passes.append(pass)
            result.times.append(time)
            guard pass.failed == 0, pass.leftInDoubt == 0 else {
                throw BenchmarkError(
                    "a pass failed \(pass.failed) writes and left \(pass.leftInDoubt) in doubt")
            }
            if pass.writes == 0 && result.passes.count > 1 {
                break
            }
            guard result.passes.count < 10 else {
                throw BenchmarkError("ten passes did not settle the sync")
            }
        }
        result.duration = ContinuousClock.now - started
        result.requests = rig.tally.snapshot.since(before)
        return result
    }
}

/// What one phase's passes did, and what they asked of each provider.
struct PhaseResult {
    /// Each pass's report.
    var passes: [SyncEngine.PassReport] = []
    /// Each pass's time.
    var times: [Duration] = []
    /// The whole phase's time.
    var duration: Duration = .zero
    /// The requests made.
    var requests = RequestTally.Snapshot()

    /// Lines saying what the phase did and what it asked of each provider, against what the
    /// limits allow over the phase's time.
    func describe(_ phase: String, records: Int, limits: ScaledLimits) -> String {
        var lines: [String] = []
        let written = zip(passes, times).map { pass, time in
            "\(pass.writes) writes in \(fixed(time.seconds, decimals: 2)) s"
        }
        lines.append(
            "  \(phase): \(records) records in \(fixed(duration.seconds, decimals: 2)) s; passes: "
                + written.joined(separator: ", "))
        for (provider, limit) in [("jira", limits.jira), ("zendesk", limits.zendesk)] {
            let count = requests.requests(to: provider)
            lines.append(
                "    \(provider): \(count) requests, \(rate(eventsPerSecond(count, duration)))/s "
                    + "(limit \(rate(limits.perSecond(limit)))/s), "
                    + "\(requests.tooMany[provider, default: 0]) answered 429")
            let kinds = requests.counts[provider, default: [:]].sorted {
                ($0.value, $1.key) > ($1.value, $0.key)
            }
            for (kind, count) in kinds {
                lines.append("      \(count) \(kind)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
