import Foundation
import HTTPServer
import Ledger
import Reconcile
import Sandbox
import Testing

@testable import Connectors

@Suite("Zendesk connector")
struct ZendeskConnectorTests {
    let clock = ManualSandboxClock(at: Timestamp(secondsSinceEpoch: 1_796_000_000))

    func sandbox() throws -> (HTTPServer, ZendeskConnector) {
        var configuration = ZendeskEmulator.Configuration()
        configuration.clock = clock
        configuration.incrementalRequestsPerMinute = 0
        let server = try HTTPServer(router: ZendeskEmulator(configuration: configuration).router)
        let connector = ZendeskConnector(
            connection: "zendesk", baseURL: server.baseURL,
            authentication: .basic(user: "agent@example.com/token", secret: "sandbox-token"))
        return (server, connector)
    }

    @Test func pollingReadsEveryTicketThenOnlyWhatChanged() async throws {
        let (server, connector) = try sandbox()
        defer { server.stop() }
        let first = try await connector.poll(after: nil, startTime: Timestamp(secondsSinceEpoch: 0))
        #expect(first.events.count == 50)
        #expect(
            first.events.allSatisfy { $0.kind == .observed && $0.record?.recordType == "ticket" })
        let sample = try #require(first.events.first)
        #expect(sample.body["source"] == "poll")
        #expect(sample.body["fields"]?["subject"]?.stringValue?.isEmpty == false)
        #expect(sample.body["raw"]?["id"] != nil, "the provider's payload is kept")
        #expect(sample.upstreamAt != nil)
        let cursor = try #require(first.cursor)

        clock.advance(seconds: 5)
        _ = try await connector.update("7", ["status": "solved", "tags": ["vip"]])
        var delete = ConnectorRequest(
            method: "DELETE", url: server.baseURL + "/api/v2/tickets/8.json")
        delete.headers = [try await connector.authentication.header()]
        #expect(try await connector.client.send(delete).status == 204)
        clock.advance(seconds: 61)

        let second = try await connector.poll(
            after: cursor, startTime: Timestamp(secondsSinceEpoch: 0))
        #expect(second.events.map(\.record?.remoteID) == ["7", "8"])
        #expect(second.events[0].body["fields"]?["status"] == "solved")
        #expect(second.events[1].kind == .deleted)
        #expect(second.cursor != nil && second.cursor != cursor)
    }

    @Test func aCreateWithTheSameKeyMakesOneTicket() async throws {
        let (server, connector) = try sandbox()
        defer { server.stop() }
        let fields: ValueObject = [
            "subject": "From Jira", "description": "Synced from SUP-9", "priority": "high",
            "custom_field:360001": "SUP-9",
        ]
        let created = try await connector.create(
            fields, idempotencyKey: "syncledger:support:create:jira:issue/SUP-9")
        #expect(created.record.description == "zendesk:ticket/51")
        let observed = try #require(created.events.first)
        #expect(observed.body["source"] == "writeResponse")
        #expect(observed.body["fields"]?["custom_field:360001"] == "SUP-9")
        #expect(observed.body["fields"]?["description"] == "Synced from SUP-9")

        let again = try await connector.create(
            fields, idempotencyKey: "syncledger:support:create:jira:issue/SUP-9")
        #expect(again.record == created.record)
    }

    @Test func polledEventsFeedTheSyncProjection() async throws {
        let (server, connector) = try sandbox()
        defer { server.stop() }
        let directory =
            FileManager.default.temporaryDirectory.path + "/zendesk-connector-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try EventLog.open(at: directory + "/ledger")
        defer { log.close() }
        let projection = SyncProjection()
        let store = try ProjectionStore(
            at: directory + "/projection", identity: projection.identity,
            tableNames: projection.tableNames)
        defer { store.close() }

        let polled = try await connector.poll(
            after: nil, startTime: Timestamp(secondsSinceEpoch: 0))
        try log.appendWaiting(AppendBatch(polled.events))
        try Projector(log: log, store: store, projection: projection).catchUp()
        let state = try #require(
            try SyncQueries(store).record(
                .init(connection: "zendesk", recordType: "ticket", remoteID: "3")))
        #expect(state.fields["subject"]?.value?.stringValue?.isEmpty == false)
        #expect(state.fields["subject"]?.origin == .observed)
    }
}

extension ZendeskConnectorTests {
    @Test func commentsAndCustomFieldsByTitle() async throws {
        let (server, connector) = try sandbox()
        defer { server.stop() }
        try await connector.addComment(to: "4", body: "Linked to SUP-4", isPublic: false)
        let comments = try await connector.comments(of: "4")
        #expect(comments.count == 2)
        #expect(comments.last?["body"] == "Linked to SUP-4")
        #expect(comments.last?["public"] == false)

        #expect(try await connector.customField(titled: "Jira issue") == "custom_field:360001")
        let unknown = await #expect(throws: ConnectorError.self) {
            _ = try await connector.customField(titled: "Jira isue")
        }
        #expect(unknown?.detail.contains("Jira issue (360001)") == true)
    }
}

extension ZendeskConnectorTests {
    @Test func ticketsAreReadByIDOneOrManyAtATime() async throws {
        let (server, connector) = try sandbox()
        defer { server.stop() }
        let one = try #require(try await connector.ticket("5"))
        #expect(one.record?.remoteID == "5")
        #expect(try await connector.ticket("999") == nil)
        let ids = (1...50).map(String.init) + ["404"]
        let many = try await connector.tickets(ids)
        #expect(many.count == 50)
        #expect(many.map(\.record?.remoteID) == (1...50).map(String.init))
    }
}
