import Connectors
import Engine
import Foundation
import Ledger

/// `syncledger audit`: reads every linked record back from its provider and reports where
/// the live state has drifted from the ledger's.
struct AuditCommand: Command {
    static let name = "audit"
    static let summary = "Compare the live records with the ledger and report drift."
    static let usage = "audit [--config FILE] [--repair] [--json] [--ledger PATH]"
    static let discussion = """
        Reads the live state of every linked record of every pair in force (100 records a
        request, through the connections' rate budgets) and compares it with the projections.
        Each finding is one of:

          unobservedChange       a field holds a value the ledger never observed
          counterpartMissing     a linked record is gone and the ledger does not know
          duplicateCounterparts  two or more records were made for one source
          differsFromDesired     a field is not what its pair's rules want, and no write is
                                 on its way

        Each finding is recorded as an auditFound event. The exit status is 1 when anything
        was found, 0 when the providers hold what the ledger derived.

        --repair then records what was read (a changed record as an observation from the
        audit, a vanished one as deleted), runs one sync pass so the reconciler converges,
        and audits again; the exit status is that of the second audit. Duplicates are named,
        never deleted: which one to keep is a person's call.

        Examples:
          syncledger audit
          syncledger audit --repair
          syncledger audit --json
        """
    static let options: [OptionSpec] = [
        .ledger,
        .value("config", "FILE", "The configuration file (default syncledger.yaml)."),
        .flag("repair", "Record what was found and sync, then audit again."),
        .flag("json", "Print one JSON object."),
    ]

    let ledger: String
    let path: String
    let repair: Bool
    let json: Bool

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        try arguments.expectPositionals(atMost: 0)
        ledger = arguments.ledgerPath(environment: environment)
        path = arguments.value("config") ?? "syncledger.yaml"
        repair = arguments.flag("repair")
        json = arguments.flag("json")
    }

    func run() async throws -> Int32 {
        guard
            let setup = try EngineSetup.open(
                ledger: ledger, configuration: path, doing: "audited")
        else {
            return ExitStatus.failure
        }
        defer { setup.close() }
        do {
            return try await audit(Audit(engine: setup.engine))
        } catch let paused as NeedsReauthorization {
            Output.error("the audit stopped: \(paused)")
            return ExitStatus.failure
        }
    }

    private func audit(_ audit: Audit) async throws -> Int32 {
        let first = try await Self.audit(audit)
        var result: ValueObject = ["audit": Self.summary(first)]
        var final = first
        if repair && !first.isClean {
            let repaired = try await audit.repair(first)
            let second = try await Self.audit(audit)
            result["repair"] = [
                "observed": .integer(Int64(repaired.observed)),
                "deleted": .integer(Int64(repaired.deleted)),
                "leftForAPerson": .integer(Int64(repaired.leftForAPerson)),
                "created": .integer(Int64(repaired.pass.created)),
                "updated": .integer(Int64(repaired.pass.updated)),
                "failed": .integer(Int64(repaired.pass.failed)),
            ]
            result["after"] = Self.summary(second)
            final = second
            if !json {
                Self.show(first)
                Output.line(
                    "repair: recorded \(repaired.observed) observed, \(repaired.deleted) deleted; "
                        + "the sync pass created \(repaired.pass.created), updated "
                        + "\(repaired.pass.updated), failed \(repaired.pass.failed)")
                Output.line("audit again:")
                Self.show(second)
            }
        } else if !json {
            Self.show(first)
        }
        if json {
            Output.line(Value.object(result).json)
        }
        return final.isClean ? ExitStatus.success : ExitStatus.failure
    }

    /// Runs `audit` with a progress bar on a terminal, and records what it found.
    private static func audit(_ audit: Audit) async throws -> AuditReport {
        let report = try await audit.run { read, total in
            let width = 40
            let done = total == 0 ? width : min(read * width / total, width)
            Output.progress(
                "audit [\(String(repeating: "#", count: done))"
                    + "\(String(repeating: ".", count: width - done))] "
                    + "\(StatsCommand.grouped(UInt64(read)))/"
                    + "\(StatsCommand.grouped(UInt64(total))) records",
                done: read == total)
        }
        try await audit.record(report)
        return report
    }

    private static func show(_ report: AuditReport) {
        Output.line(
            "audit: \(StatsCommand.grouped(UInt64(report.links))) links, "
                + "\(StatsCommand.grouped(UInt64(report.recordsRead))) records read: "
                + (report.isClean
                    ? "clean"
                    : "\(report.findings.count) finding\(report.findings.count == 1 ? "" : "s")"))
        for finding in report.findings {
            Output.line("  " + finding.description)
        }
        if !report.isClean {
            let counts = AuditFinding.Kind.allCases.compactMap { kind -> String? in
                let count = report.count(of: kind)
                return count == 0 ? nil : "\(count) \(kind.rawValue)"
            }
            Output.line("  by class: " + counts.joined(separator: ", "))
        }
    }

    private static func summary(_ report: AuditReport) -> Value {
        [
            "links": .integer(Int64(report.links)),
            "recordsRead": .integer(Int64(report.recordsRead)),
            "clean": .bool(report.isClean),
            "findings": .array(report.findings.map(\.value)),
        ]
    }
}
