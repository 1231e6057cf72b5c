import Foundation
import Ledger
import Reconcile

/// `syncledger replay`: rebuilds the projections from the first event and proves the live
/// ones right.
struct ReplayCommand: Command {
    static let name = "replay"
    static let summary = "Rebuild the projections from the log and compare digests."
    static let usage = "replay [--until SEQ|TIME] [--check-plans] [--json] [--ledger PATH]"
    static let discussion = """
        Every projection is rebuilt from the first event into a fresh store, then its digest (a
        SHA-256 over every table, key and value) is printed and compared with the digest of
        the live projections at the same position. A difference exits with status 1 and names
        the first record that differs. The live projections are left as they are.

        --until rebuilds the state as of that point instead (no comparison is made then).
        --check-plans also re-plans every write the log recorded an intent for, from the
        state just before it, and reports each intent the current code would have planned
        differently; any such intent exits with status 1.

        Examples:
          syncledger replay
          syncledger replay --until 2026-12-01T00:00:00Z
          syncledger replay --check-plans --json
        """
    static let options: [OptionSpec] = [
        .ledger,
        .value("until", "SEQ|TIME", "Rebuild the state as of this point of the log."),
        .flag("check-plans", "Re-plan every recorded write intent and report differences."),
        .flag("json", "Print one JSON object."),
    ]

    let ledger: String
    let until: LogPoint?
    let checkPlans: Bool
    let json: Bool

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        try arguments.expectPositionals(atMost: 0)
        ledger = arguments.ledgerPath(environment: environment)
        until = try arguments.value("until", as: LogPoint.expected, LogPoint.init)
        checkPlans = arguments.flag("check-plans")
        json = arguments.flag("json")
    }

    func run() async throws -> Int32 {
        let live = try LiveProjection.open(ledger: ledger)
        defer { live.close() }
        let limit = try until?.resolve(in: live.log) ?? live.store.checkpoint()
        let check = checkPlans ? PlanCheck() : nil
        let started = ContinuousClock.now
        return try Replay.withRebuiltStore(log: live.log, until: limit, planCheck: check) {
            rebuilt in
            let elapsed = (ContinuousClock.now - started) / .seconds(1)
            let digest = try rebuilt.digest()
            var report: ValueObject = [
                "position": .integer(Int64(limit.rawValue)), "digest": .string(digest.description),
                "seconds": .decimal(
                    DecimalNumber(significand: Int64(elapsed * 1000), exponent: -3)!),
            ]
            var lines = [
                "replayed \(limit) events in \(String(format: "%.2f", elapsed)) s",
                "digest   \(digest)",
            ]
            var status = ExitStatus.success
            if until == nil {
                let liveDigest = try live.store.digest()
                report["liveDigest"] = .string(liveDigest.description)
                if liveDigest == digest {
                    report["matches"] = true
                    lines.append("live     \(liveDigest): the live projections match")
                } else {
                    report["matches"] = false
                    status = ExitStatus.failure
                    lines.append("live     \(liveDigest): the live projections DIFFER")
                    if let (table, key) = try rebuilt.firstDifference(from: live.store) {
                        let place = Replay.describe(
                            table: table, key: key, rebuilt: rebuilt, live: live.store)
                        report["firstDifference"] = .string(place)
                        lines.append("first difference: \(place)")
                    }
                }
            }
            if let check {
                let mismatches = check.mismatches
                report["plansChecked"] = .integer(Int64(check.checkedCount))
                report["planMismatches"] = .array(mismatches.map { .string($0.description) })
                lines.append(
                    "plans    \(check.checkedCount) intents re-planned, "
                        + "\(mismatches.count) planned differently today")
                lines += mismatches.map { "  \($0)" }
                if !mismatches.isEmpty {
                    status = ExitStatus.failure
                }
            }
            if json {
                Output.line(Value.object(report).json)
            } else {
                lines.forEach(Output.line)
            }
            return status
        }
    }
}

/// Rebuilding the sync projection into a fresh store.
enum Replay {
    /// Rebuilds the sync projection from the first event up to `limit` into a temporary store,
    /// runs `body` with it, and removes it.
    static func withRebuiltStore<R>(
        log: EventLog, until limit: SequenceNumber, planCheck: PlanCheck? = nil,
        _ body: (ProjectionStore) throws -> R
    ) throws -> R {
        let directory =
            FileManager.default.temporaryDirectory.path + "/syncledger-replay-"
            + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let projection = SyncProjection(planCheck: planCheck)
        // A scratch store: it is thrown away after the comparison, so its batches need not
        // wait for the disk.
        let store = try ProjectionStore(
            at: directory, identity: projection.identity, tableNames: projection.tableNames,
            scratch: true)
        defer { store.close() }
        let total = max(limit.rawValue, 1)
        try Projector(log: log, store: store, projection: projection, batchSize: 4_096)
            .catchUp(until: limit) { position in
                let done = Int(position.rawValue * 40 / total)
                Output.progress(
                    "replaying [\(String(repeating: "#", count: done))"
                        + "\(String(repeating: ".", count: 40 - done))] \(position)/\(limit)")
            }
        Output.progress("", done: false)
        return try body(store)
    }

    /// Where `rebuilt` and `live` first differ, for people: for a record, its first field
    /// whose value or provenance differs, when both entries still decode.
    static func describe(
        table: String, key: [UInt8], rebuilt: ProjectionStore, live: ProjectionStore
    ) -> String {
        if table == "records", let record = RecordReference(utf8: key),
            let mine = try? SyncQueries(rebuilt).record(record),
            let theirs = try? SyncQueries(live).record(record)
        {
            let names = Set(mine.fields.keys).union(theirs.fields.keys).sorted {
                $0.utf8.lexicographicallyPrecedes($1.utf8)
            }
            if let name = names.first(where: { mine.fields[$0] != theirs.fields[$0] }) {
                return "field \(name) of \(record)"
            }
        }
        return describe(table: table, key: key)
    }

    /// A table and key of the sync projection, for people: the record or link it is about.
    static func describe(table: String, key: [UInt8]) -> String {
        let text = key.map { $0 == 0 ? " " : String(UnicodeScalar($0)) }.joined()
        switch table {
        case "records": return "record \(String(decoding: key, as: UTF8.self))"
        case "links", "pairs": return "\(table == "links" ? "link" : "pair state") \(text)"
        case "intents" where key.count == 8:
            return "intent \(key.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })"
        default: return "\(table) entry \(text)"
        }
    }
}
