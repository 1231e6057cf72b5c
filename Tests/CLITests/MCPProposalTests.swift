import Foundation
import Ledger
import Testing

/// An agent's change, from `propose_change` to both systems, against the sandbox.
@Suite("MCP proposals through the sync")
struct MCPProposalTests {
    static let agents = """

        agents:
          principals:
            alice: {}
            assistant:
              actsFor: alice
          rules:
            - name: support-desk
              principals: [alice]
              tools: ["*"]
              change: [priority]
        """

    @Test("an allowed proposal is written to both systems by the next sync, and why names it")
    func proposalReachesBothSystems() async throws {
        let setup = try SandboxLedger(
            ["--tickets", "4", "--issues", "0", "--no-rate-limits"], edit: { $0 + Self.agents })
        #expect(try setup.sync().status == 0)
        let (ticket, issue) = try setup.firstLink()
        let before = try await setup.zendesk("GET", "/api/v2/tickets/\(ticket).json")
        let held = before["ticket"]?["priority"]?.stringValue
        let (priority, mapped) = try #require(
            [("high", "High"), ("low", "Low")].first { $0.0 != held })

        // The policy is the configuration's in force: no --config.
        let client = try MCPClient(["--principal", "assistant", "--ledger", setup.ledger])
        try client.initialize()
        let proposed = try client.call(
            "propose_change",
            [
                "record": .string("zendesk:ticket/\(ticket)"),
                "fields": ["priority": .string(priority)],
            ])
        #expect(proposed["isError"] == false, "\(proposed.json)")
        let event = try #require(proposed["structuredContent"]?["event"]?.integerValue)
        // Nothing reaches a provider until the sync runs.
        let unchanged = try await setup.zendesk("GET", "/api/v2/tickets/\(ticket).json")
        #expect(unchanged["ticket"]?["priority"]?.stringValue == held)

        #expect(try setup.sync().status == 0)
        let zendesk = try await setup.zendesk("GET", "/api/v2/tickets/\(ticket).json")
        let jira = try await setup.jira("GET", "/rest/api/3/issue/\(issue)")
        #expect(zendesk["ticket"]?["priority"]?.stringValue == priority)
        #expect(jira["fields"]?["priority"]?["name"]?.stringValue == mapped)

        for (record, field) in [
            ("zendesk:ticket/\(ticket)", "priority"), ("jira:issue/\(issue)", "priority"),
        ] {
            let why = try SyncLedgerCLI.run([
                "why", record, field, "--json", "--ledger", setup.ledger,
            ])
            let chain = try Value(json: why.stdout)["chain"]?.arrayValue ?? []
            let source = chain.last
            #expect(source?["kind"] == "agentActed", "\(why)")
            #expect(source?["event"]?.integerValue == event)
            #expect(
                source?["summary"]?.stringValue?.contains("proposed by assistant for alice") == true
            )
        }
        // A second pass finds both systems in step: nothing more to write.
        let plan = try SyncLedgerCLI.run(["plan", "--ledger", setup.ledger])
        #expect(!plan.stdout.contains("priority"), "\(plan)")
    }
}
