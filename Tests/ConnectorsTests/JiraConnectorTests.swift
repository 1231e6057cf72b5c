import Foundation
import HTTPServer
import Ledger
import Sandbox
import Testing

@testable import Connectors

@Suite("Jira connector")
struct JiraConnectorTests {
    let clock = ManualSandboxClock(at: Timestamp(secondsSinceEpoch: 1_796_000_000))

    func sandbox() throws -> (HTTPServer, JiraConnector) {
        var configuration = JiraEmulator.Configuration()
        configuration.clock = clock
        configuration.requestsPerMinute = 0
        configuration.perIssueWritesPerMinute = 0
        let server = try HTTPServer(router: JiraEmulator(configuration: configuration).router)
        let connector = JiraConnector(
            connection: "jira", baseURL: server.baseURL, projectKey: "SUP",
            authentication: .basic(user: "agent@example.com", secret: "sandbox-token"))
        return (server, connector)
    }

    @Test func pollingReadsIssuesUpdatedSinceAPoint() async throws {
        let (server, connector) = try sandbox()
        defer { server.stop() }
        let all = try await connector.poll(since: Timestamp(secondsSinceEpoch: 1_700_000_000))
        #expect(all.events.count == 50)
        let first = try #require(all.events.first)
        #expect(first.record?.connection == "jira")
        #expect(first.record?.remoteID.hasPrefix("SUP-") == true)
        #expect(first.body["fields"]?["status"]?.stringValue != nil)
        #expect(first.body["fields"]?["summary"]?.stringValue?.isEmpty == false)
        #expect(first.upstreamAt != nil)
        let times = all.events.compactMap(\.upstreamAt)
        #expect(times == times.sorted(), "oldest change first")

        clock.advance(seconds: 120)
        let now = clock.now()
        _ = try await connector.update("SUP-3", ["summary": "Changed just now"])
        let recent = try await connector.poll(since: now)
        #expect(recent.events.map(\.record?.remoteID) == ["SUP-3"])
        #expect(recent.events.first?.body["fields"]?["summary"] == "Changed just now")
    }

    @Test func aPollReadsInFullOnlyTheIssuesNotKnownAtTheirListedTime() async throws {
        let (server, connector) = try sandbox()
        defer { server.stop() }
        let since = Timestamp(secondsSinceEpoch: 1_700_000_000)
        let all = try await connector.poll(since: since)
        var known: [String: Timestamp] = [:]
        for event in all.events {
            known[event.record!.remoteID] = event.upstreamAt
        }
        let recorded = known

        // Listed again with nothing new: no issue is read in full.
        let again = try await connector.poll(since: since) { _ in recorded }
        #expect(again.events.isEmpty)
        #expect(again.cursor == all.cursor)

        // One edit: that issue alone, as it is now; an older record of another is read too.
        clock.advance(seconds: 1)
        _ = try await connector.update("SUP-7", ["summary": "Edited"])
        var older = recorded
        older["SUP-9"] = since
        let stale = older
        let changed = try await connector.poll(since: since) { _ in stale }
        #expect(Set(changed.events.map(\.record?.remoteID)) == ["SUP-7", "SUP-9"])
        let edited = try #require(changed.events.first { $0.record?.remoteID == "SUP-7" })
        #expect(edited.body["fields"]?["summary"] == "Edited")
        #expect(edited.body["source"] == "poll")
        #expect(try #require(edited.upstreamAt) > recorded["SUP-7"]!)
    }

    @Test func createsResolveCustomFieldsByNameAndCanBeFoundBySource() async throws {
        let (server, connector) = try sandbox()
        defer { server.stop() }
        let field = try await connector.fieldID(named: "Zendesk ticket")
        #expect(field == "customfield_10100")
        let unknown = await #expect(throws: ConnectorError.self) {
            _ = try await connector.fieldID(named: "Zendesk tiket")
        }
        #expect(unknown?.detail.contains("Zendesk ticket (customfield_10100)") == true)

        let description: Value = [
            "version": 1, "type": "doc",
            "content": [
                ["type": "paragraph", "content": [["type": "text", "text": "Jams daily"]]]
            ],
        ]
        let created = try await connector.create([
            "summary": "Printer jams", "description": description, "priority": "High",
            "labels": ["printer"], field: "zendesk:ticket/7",
        ])
        #expect(created.record.remoteID == "SUP-51")
        let event = try #require(created.event)
        #expect(event.body["source"] == "writeResponse")
        #expect(event.body["fields"]?["priority"] == "High")
        #expect(event.body["fields"]?[field] == "zendesk:ticket/7")

        #expect(
            try await connector.findIssue(whereField: field, equals: "zendesk:ticket/7") == "SUP-51"
        )
        #expect(
            try await connector.findIssue(whereField: field, equals: "zendesk:ticket/70") == nil)

        let updated = try await connector.update("SUP-51", ["labels": ["printer", "vip"]])
        #expect(updated.body["fields"]?["labels"] == ["printer", "vip"])
    }

    @Test func aRefusedWriteIsATypedErrorWithTheProvidersWords() async throws {
        let (server, connector) = try sandbox()
        defer { server.stop() }
        let error = await #expect(throws: ConnectorError.self) {
            _ = try await connector.create(["summary": "x", "priority": "Urgent!"])
        }
        #expect(error?.lastStatus == 400)
        #expect(error?.detail.contains("priority") == true)
    }
}

extension JiraConnectorTests {
    @Test func bulkCreatesReportEachIssueAndPrioritiesAreListed() async throws {
        let (server, connector) = try sandbox()
        defer { server.stop() }
        let results = try await connector.createMany([
            ["summary": "First"], ["summary": "Second", "priority": "Nope"], ["summary": "Third"],
        ])
        #expect(results.count == 3)
        #expect((try? results[0].get()) == "SUP-51")
        #expect((try? results[2].get()) == "SUP-52")
        guard case .failure(let refused) = results[1] else {
            Issue.record("the second issue should be refused")
            return
        }
        #expect(refused.detail.contains("priority"))
        #expect(try await connector.priorities() == ["Highest", "High", "Medium", "Low", "Lowest"])
    }

    @Test func aCreateJiraAnsweredStandsWhenTheStepsAfterItFail() async throws {
        let (server, connector) = try sandbox()
        defer { server.stop() }
        // No path of transitions leads to this status: the steps after the create fail.
        let (record, event) = try await connector.create(
            ["summary": "Made, then stuck", "status": "Nowhere"])
        #expect(event == nil)
        let stored = try await connector.issue(record.remoteID)
        #expect(stored.body["fields"]?["summary"] == "Made, then stuck")
        #expect(stored.body["fields"]?["status"] != "Nowhere")
    }

    @Test func aStatusIsReachedThroughTheWorkflowsTransitions() async throws {
        let (server, connector) = try sandbox()
        defer { server.stop() }
        let (record, answered) = try await connector.create(
            ["summary": "Walk the workflow", "status": "In Progress"])
        let created = try #require(answered)
        #expect(created.body["fields"]?["status"] == "In Progress")

        // To Do leads only to In Progress; Done is one more step from there.
        let back = try await connector.update(record.remoteID, ["status": "To Do"])
        #expect(back.body["fields"]?["status"] == "To Do")
        let done = try await connector.update(
            record.remoteID, ["status": "Done", "summary": "Walked"])
        #expect(done.body["fields"]?["status"] == "Done")
        #expect(done.body["fields"]?["summary"] == "Walked")

        await #expect(throws: ConnectorError.self) {
            try await connector.update(record.remoteID, ["status": "Blocked"])
        }
    }
}
