import Foundation
import Ledger
import Testing

@Suite("Conflicts through the command line")
struct AuthorityCommandTests {
    @Test("both sides edited at once: each field ends as its authority rule says")
    func eachRuleDecidesItsField() async throws {
        let setup = try SandboxLedger(
            ["--tickets", "6", "--issues", "0", "--no-rate-limits"],
            edit: {
                $0.replacingOccurrences(
                    of: "default: {left: normal, right: Medium}",
                    with: "default: {left: normal, right: Medium}\n        authority: manual")
            })
        #expect(try setup.sync().status == 0)
        let (ticket, issue) = try setup.firstLink()
        let before = try await setup.zendesk("GET", "/api/v2/tickets/\(ticket).json")
        let tags = before["ticket"]?["tags"]?.arrayValue ?? []
        // A priority the issue does not hold, and not the one urgent maps to.
        let current = try await setup.jira("GET", "/rest/api/3/issue/\(issue)")
        let held = current["fields"]?["priority"]?["name"]?.stringValue
        let priority: String = try #require(["Medium", "High", "Lowest"].first { $0 != held })

        // Zendesk first, Jira a second later, both while no sync runs.
        _ = try await setup.zendesk(
            "PUT", "/api/v2/tickets/\(ticket).json",
            body: [
                "ticket": [
                    "subject": "Subject from Zendesk", "priority": "urgent",
                    "tags": .array(tags + ["from-zendesk"]),
                ]
            ])
        try await Task.sleep(for: .seconds(1.1))
        _ = try await setup.jira(
            "PUT", "/rest/api/3/issue/\(issue)",
            body: [
                "update": ["labels": [["add": "from-jira"]]],
                "fields": [
                    "summary": "Summary from Jira", "priority": ["name": .string(priority)],
                ],
            ])

        // The audit finds both edits, records them, and a pass applies the rules.
        let repaired = try SyncLedgerCLI.run(
            ["audit", "--config", setup.file, "--repair", "--ledger", setup.ledger])
        #expect(repaired.status == 0, "\(repaired)")
        let zendesk = try await setup.zendesk("GET", "/api/v2/tickets/\(ticket).json")["ticket"]
        let jira = try await setup.jira("GET", "/rest/api/3/issue/\(issue)")["fields"]

        // lastWriterWins: Jira's later summary on both sides.
        #expect(zendesk?["subject"] == "Summary from Jira")
        #expect(jira?["summary"] == "Summary from Jira")
        // mergeSet: the union on both sides.
        let zendeskTags = Set(zendesk?["tags"]?.arrayValue ?? [])
        let jiraLabels = Set(jira?["labels"]?.arrayValue ?? [])
        #expect(zendeskTags.isSuperset(of: ["from-zendesk", "from-jira"]))
        #expect(jiraLabels.isSuperset(of: ["from-zendesk", "from-jira"]))
        // manual: a conflict recorded, each side keeps its own value.
        #expect(zendesk?["priority"] == "urgent")
        #expect(jira?["priority"]?["name"] == .string(priority))
        let why = try setup.run(["why", "zendesk:ticket/\(ticket)", "priority"])
        #expect(why.stdout.contains("rule manual: unresolved"), "\(why)")

        // Nothing more to write: the rules have settled.
        let settled = try setup.sync()
        #expect(settled.stdout.contains("created 0, updated 0, failed 0"), "\(settled)")
    }
}
