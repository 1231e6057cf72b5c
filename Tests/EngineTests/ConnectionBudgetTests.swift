import Connectors
import Engine
import Testing

@Suite("Rate budgets per connection")
struct ConnectionBudgetTests {
    @Test func eachConnectionIsPacedByItsOwnBudget() async throws {
        let scenario = try await EngineScenario()
        let connections = scenario.connections
        let zendesk = try #require(scenario.file.configuration.connection(named: "zendesk"))
        let jira = try #require(scenario.file.configuration.connection(named: "jira"))
        #expect(connections.client(for: jira).budget === connections.client(for: jira).budget)
        #expect(connections.client(for: jira).budget !== connections.client(for: zendesk).budget)

        // Jira asking for a pause holds Jira's requests only.
        connections.client(for: jira).budget.learn(
            from: ConnectorResponse(status: 429, headers: ["retry-after": "30"], body: []))
        #expect(connections.client(for: zendesk).budget.delay() == .zero)
        #expect(connections.client(for: jira).budget.delay() > .seconds(20))
        #expect(try connections.jira(jira).client.budget === connections.client(for: jira).budget)
    }
}
