import Foundation
import HTTPServer
import Ledger
import Sandbox
import Synchronization
import Testing

@testable import Connectors

/// Sends requests over the network and counts them by method and path.
final class CountingTransport: HTTPTransport {
    private let network = URLSessionTransport()
    private let sent = Mutex<[String]>([])

    func send(_ request: ConnectorRequest) async throws -> ConnectorResponse {
        let path = URL(string: request.url)?.path ?? request.url
        sent.withLock { $0.append("\(request.method) \(path)") }
        return try await network.send(request)
    }

    /// The requests sent since the last call, as method and path.
    func take() -> [String] {
        sent.withLock { sent in
            defer { sent.removeAll() }
            return sent
        }
    }
}

@Suite("Bulk writes")
struct BulkWriteTests {
    let clock = ManualSandboxClock(at: Timestamp(secondsSinceEpoch: 1_796_000_000))
    let transport = CountingTransport()

    func jira() throws -> (HTTPServer, JiraConnector) {
        var configuration = JiraEmulator.Configuration()
        configuration.clock = clock
        configuration.issues = 0
        configuration.requestsPerMinute = 0
        configuration.perIssueWritesPerMinute = 0
        let server = try HTTPServer(router: JiraEmulator(configuration: configuration).router)
        let connector = JiraConnector(
            connection: "jira", baseURL: server.baseURL, projectKey: "SUP",
            authentication: .basic(user: "agent@example.com", secret: "sandbox-token"),
            client: ConnectorClient(transport: transport))
        return (server, connector)
    }

    func issues(_ statuses: [String?]) -> [ValueObject] {
        statuses.enumerated().map { index, status in
            var fields: ValueObject = ["summary": .string("Issue \(index)")]
            fields["status"] = status.map(Value.string)
            return fields
        }
    }

    @Test func bulkCreatesMoveEachIssueOneRequestPerStepOnceTheWayIsKnown() async throws {
        let (server, jira) = try jira()
        defer { server.stop() }
        let workflow = JiraWorkflow()

        let first = try await jira.createMany(
            issues(["Done", nil, "In Progress"]), workflow: workflow, movesInFlight: 1)
        #expect(first.count == 3)
        // Learnt once: the status new issues start in, and the transitions out of two.
        let learning = transport.take()
        #expect(learning.filter { $0.hasSuffix("/transitions") && $0.hasPrefix("GET") }.count == 2)
        #expect(learning.filter { $0 == "GET /rest/api/3/issue/SUP-1" }.count == 1)

        let second = try await jira.createMany(
            issues(["Done", "In Progress", "Done", nil]), workflow: workflow)
        let sent = transport.take()
        #expect(sent.filter { $0.hasPrefix("GET") }.isEmpty, "nothing is read")
        #expect(sent.filter { $0.hasSuffix("/transitions") }.count == 5, "one request a step")
        let keys = second.compactMap { result -> String? in
            guard case .created(let key) = result else { return nil }
            return key
        }
        try #require(keys.count == 4)
        let wanted = ["Done", "In Progress", "Done", "To Do"]
        for (key, status) in zip(keys, wanted) {
            #expect(try await jira.status(of: key) == status)
        }

    }

    @Test func aRefusedIssueIsReportedAlongsideTheOthers() async throws {
        let (server, jira) = try jira()
        defer { server.stop() }
        var fields = issues(["Done", "Done"])
        fields[1]["summary"] = .string(String(repeating: "x", count: 300))
        let results = try await jira.createMany(fields, workflow: JiraWorkflow())
        guard case .created = results[0], case .refused(let error) = results[1] else {
            Issue.record("expected one issue created and one refused: \(results)")
            return
        }
        #expect(error.detail.contains("Summary must be less than 255 characters"))
    }

    @Test func aStepJiraRefusesIsFoundAgainByAsking() async throws {
        let (server, jira) = try jira()
        defer { server.stop() }
        let workflow = JiraWorkflow()
        // A wrong guess: that "Done" is one step from "To Do".
        workflow.learn(
            [JiraWorkflow.Step(id: "31", to: "Done")], from: "To Do",
            in: jira.workflowScope("Task"))
        workflow.learnInitialStatus("To Do", in: jira.workflowScope("Task"))
        let results = try await jira.createMany(issues(["Done"]), workflow: workflow)
        guard case .created(let key) = results[0] else {
            Issue.record("expected the issue created and moved: \(results)")
            return
        }
        #expect(try await jira.status(of: key) == "Done")
        #expect(workflow.steps(from: "To Do", in: jira.workflowScope("Task")) == nil)
    }

    @Test func anEditAnswersWithTheIssue() async throws {
        let (server, jira) = try jira()
        defer { server.stop() }
        let made = try await jira.createMany(issues([nil]), workflow: JiraWorkflow())
        guard case .created(let key) = made[0] else {
            Issue.record("expected the issue created: \(made)")
            return
        }
        _ = transport.take()
        let edited = try await jira.update(key, ["summary": "Edited"], workflow: JiraWorkflow())
        #expect(edited.body["fields"]?["summary"] == "Edited")
        #expect(edited.body["source"] == "writeResponse")
        #expect(transport.take() == ["PUT /rest/api/3/issue/\(key)"])
    }

    /// A Zendesk emulator on the test's clock, and a connector to it.
    func zendesk() throws -> (HTTPServer, ZendeskConnector) {
        var configuration = ZendeskEmulator.Configuration()
        configuration.clock = clock
        let server = try HTTPServer(
            router: ZendeskEmulator(configuration: configuration).router)
        let zendesk = ZendeskConnector(
            connection: "zendesk", baseURL: server.baseURL,
            authentication: .basic(user: "agent@example.com/token", secret: "sandbox-token"))
        return (server, zendesk)
    }

    @Test func aJobUpdatesEachTicketWithItsOwnFieldsAndNamesTheOnesItRefused() async throws {
        let (server, zendesk) = try zendesk()
        defer { server.stop() }

        let results = try await zendesk.updateMany([
            .init("3", ["subject": "Third"]), .init("999999", ["subject": "Nobody"]),
            .init("5", ["priority": "urgent", "tags": ["vip"]]),
        ])
        #expect(results.count == 3)
        guard case .updated = results[0], case .updated = results[2] else {
            Issue.record("expected the third and fifth tickets updated: \(results)")
            return
        }
        guard case .refused(let refused) = results[1] else {
            Issue.record("expected the missing ticket refused")
            return
        }
        #expect(refused.detail.contains("999999"))
        let third = try #require(try await zendesk.ticket("3"))
        #expect(third.body["fields"]?["subject"] == "Third")
        let fifth = try #require(try await zendesk.ticket("5"))
        #expect(fifth.body["fields"]?["priority"] == "urgent")
        #expect(fifth.body["fields"]?["tags"] == ["vip"])
    }

    @Test func aJobsSafeUpdateOfATicketChangedSinceItsStampIsACollision() async throws {
        let (server, zendesk) = try zendesk()
        defer { server.stop() }
        let third = try #require(try await zendesk.ticket("3")?.upstreamAt)
        let fourth = try #require(try await zendesk.ticket("4")?.upstreamAt)
        clock.advance(seconds: 5)
        _ = try await zendesk.update("3", ["subject": "Changed by a person"])

        let results = try await zendesk.updateMany([
            .init("3", ["subject": "Planned"], unchangedSince: third),
            .init("4", ["subject": "Planned"], unchangedSince: fourth),
        ])
        guard case .collided(let collision) = results[0], case .updated = results[1] else {
            Issue.record("expected ticket 3 to collide and 4 to be updated: \(results)")
            return
        }
        #expect(collision.record == "3")
        let shown = try #require(try await zendesk.ticket("3"))
        #expect(shown.body["fields"]?["subject"] == "Changed by a person")
    }
}
