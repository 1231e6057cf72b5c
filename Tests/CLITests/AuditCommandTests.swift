import Foundation
import Ledger
import Testing

@Suite("The audit command")
struct AuditCommandTests {
    @Test("audit is clean after a sync, names drift with exit 1, and --repair converges")
    func auditsDriftAndRepairs() async throws {
        let sandbox = try RunningProgram.syncledger(
            ["sandbox", "--json", "--tickets", "10", "--issues", "0", "--no-rate-limits"])
        defer {
            sandbox.send(SIGTERM)
            _ = sandbox.waitForExit(timeout: 30)
        }
        let description = try Value(json: try #require(sandbox.waitForLines(1, timeout: 30).first))
        let zendesk = try #require(description["zendesk"]?["baseURL"]?.stringValue)
        let jira = try #require(description["jira"]?["baseURL"]?.stringValue)

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ledger = directory.ledger.path
        let file = directory.url.appendingPathComponent("syncledger.yaml").path
        for arguments in [
            [
                "init", file, "--sandbox", "--zendesk-url", zendesk, "--jira-url", jira,
                "--ledger", ledger,
            ],
            ["apply", file, "--ledger", ledger],
            ["sync", "--config", file, "--once", "--ledger", ledger],
        ] {
            let result = try SyncLedgerCLI.run(arguments)
            try #require(result.status == 0, "\(result)")
        }
        let audit = ["audit", "--config", file, "--ledger", ledger]

        let clean = try SyncLedgerCLI.run(audit)
        #expect(clean.status == 0, "\(clean)")
        #expect(clean.stdout.contains("records read: clean"), "\(clean)")

        // An issue renamed while nothing listened.
        let link = try Value(
            json: try #require(
                try SyncLedgerCLI.logJSON(directory.ledger, ["--kind", "linked"]).lines.first))
        let issue = try #require(
            link["body"]?["counterpart"]?.stringValue?.split(separator: "/").last)
        _ = try await SyncCommandTests.call(
            "PUT", jira + "/rest/api/3/issue/\(issue)", user: "agent@example.com",
            body: ["fields": ["summary": "Renamed unseen"]])

        let drift = try SyncLedgerCLI.run(audit + ["--json"])
        #expect(drift.status == 1, "\(drift)")
        let report = try Value(json: drift.stdout)
        let findings = report["audit"]?["findings"]?.arrayValue ?? []
        #expect(findings.count == 1, "\(drift)")
        #expect(findings.first?["finding"] == "unobservedChange")
        #expect(findings.first?["record"] == .string("jira:issue/\(issue)"))
        #expect(findings.first?["live"] == "Renamed unseen")
        let recorded = try SyncLedgerCLI.logJSON(directory.ledger, ["--kind", "auditFound"])
        #expect(recorded.lines.count == 1)

        let repaired = try SyncLedgerCLI.run(audit + ["--repair"])
        #expect(repaired.status == 0, "\(repaired)")
        #expect(repaired.stdout.contains("unobservedChange jira:issue/\(issue) summary"))
        #expect(repaired.stdout.contains("the sync pass created 0, updated 1, failed 0"))
        #expect(repaired.stdout.hasSuffix("records read: clean\n"), "\(repaired)")
        let ticket = try #require(link["record"]?.stringValue?.split(separator: "/").last)
        let renamed = try await SyncCommandTests.call(
            "GET", zendesk + "/api/v2/tickets/\(ticket).json", user: "agent@example.com/token")
        #expect(renamed["ticket"]?["subject"] == "Renamed unseen")
    }
}
