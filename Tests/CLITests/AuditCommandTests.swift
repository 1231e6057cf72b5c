import Foundation
import Ledger
import Testing

@Suite("The audit command")
struct AuditCommandTests {
    @Test("audit is clean after a sync, names drift with exit 1, and --repair converges")
    func auditsDriftAndRepairs() async throws {
        let setup = try SandboxLedger(["--tickets", "10", "--issues", "0", "--no-rate-limits"])
        try setup.run(["sync", "--config", setup.file, "--once"])
        let audit = ["audit", "--config", setup.file, "--ledger", setup.ledger]

        let clean = try SyncLedgerCLI.run(audit)
        #expect(clean.status == 0, "\(clean)")
        #expect(clean.stdout.contains("records read: clean"), "\(clean)")

        // An issue renamed while nothing listened.
        let (ticket, issue) = try setup.firstLink()
        _ = try await setup.jira(
            "PUT", "/rest/api/3/issue/\(issue)", body: ["fields": ["summary": "Renamed unseen"]])

        let drift = try SyncLedgerCLI.run(audit + ["--json"])
        #expect(drift.status == 1, "\(drift)")
        let report = try Value(json: drift.stdout)
        let findings = report["audit"]?["findings"]?.arrayValue ?? []
        #expect(findings.count == 1, "\(drift)")
        #expect(findings.first?["finding"] == "unobservedChange")
        #expect(findings.first?["record"] == .string("jira:issue/\(issue)"))
        #expect(findings.first?["live"] == "Renamed unseen")
        #expect(try setup.events("auditFound").count == 1)

        let repaired = try SyncLedgerCLI.run(audit + ["--repair"])
        #expect(repaired.status == 0, "\(repaired)")
        #expect(repaired.stdout.contains("unobservedChange jira:issue/\(issue) summary"))
        #expect(repaired.stdout.contains("the sync pass created 0, updated 1, failed 0"))
        #expect(repaired.stdout.hasSuffix("records read: clean\n"), "\(repaired)")
        let renamed = try await setup.zendesk("GET", "/api/v2/tickets/\(ticket).json")
        #expect(renamed["ticket"]?["subject"] == "Renamed unseen")
    }
}
