import Foundation
import HTTPServer
import Ledger
import Sandbox
import Testing

@testable import Connectors

/// The connectors against a sandbox that misbehaves: each run ends in a correct state or a
/// clear error.
@Suite("Connectors under faults")
struct FaultToleranceTests {
    /// Retries without spending their waits.
    struct NoWait: Sleeper {
        func sleep(for duration: Duration) async throws {}
    }

    @Test func aPollThroughServerErrorsSlowAnswersAndDriftReadsEveryTicket() async throws {
        var configuration = ZendeskEmulator.Configuration()
        configuration.incrementalRequestsPerMinute = 0
        configuration.faults = try FaultSettings(
            json:
                #"{"serverErrorRate":0.1,"addedLatencyMilliseconds":20,"schemaDrift":true,"seed":11}"#
        )
        let server = try HTTPServer(router: ZendeskEmulator(configuration: configuration).router)
        defer { server.stop() }
        let connector = ZendeskConnector(
            connection: "zendesk", baseURL: server.baseURL,
            authentication: .basic(user: "agent@example.com/token", secret: "sandbox-token"),
            client: ConnectorClient(sleeper: NoWait()))
        // Small pages, so that some of them meet a server error and are retried.
        let first = ConnectorRequest(
            method: "GET",
            url: server.baseURL + "/api/v2/incremental/tickets/cursor.json?per_page=5&start_time=0",
            headers: [try await connector.authentication.header()])
        var events: [NewEvent] = []
        for try await page in connector.client.pages(
            from: first, .incrementalExport(items: "tickets"))
        {
            for ticket in page.items {
                events += try connector.observation(of: ticket, source: "poll")
            }
        }
        #expect(Set(events.compactMap(\.record?.remoteID)).count == 50)
        // Drift shows up as the value the provider now sends, for the mapping to judge.
        #expect(events.contains { $0.body["fields"]?["priority"] == "critical" })
        #expect(events.allSatisfy { $0.body["raw"]?["sla_policy_v2"] != nil })
    }

    @Test func aStormThatNeverEndsIsAClearErrorNotAHang() async throws {
        var configuration = JiraEmulator.Configuration()
        configuration.faults = try FaultSettings(json: #"{"rateLimitStormRate":1}"#)
        let server = try HTTPServer(router: JiraEmulator(configuration: configuration).router)
        defer { server.stop() }
        var policy = RetryPolicy()
        policy.maximumTotalWait = .seconds(120)
        let connector = JiraConnector(
            connection: "jira", baseURL: server.baseURL, projectKey: "SUP",
            authentication: .basic(user: "agent@example.com", secret: "sandbox-token"),
            client: ConnectorClient(policy: policy, sleeper: NoWait()))
        let error = await #expect(throws: ConnectorError.self) {
            _ = try await connector.issue("SUP-1")
        }
        #expect(error?.lastStatus == 429)
        #expect(error?.description.contains("GET ") == true)
    }
}
