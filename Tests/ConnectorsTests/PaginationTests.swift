import Foundation
import HTTPServer
import Ledger
import Sandbox
import Testing

@testable import Connectors

@Suite("Pagination")
struct PaginationTests {
    static let zendeskAuthorization =
        "Basic " + Data("agent@example.com/token:sandbox-token".utf8).base64EncodedString()
    static let jiraAuthorization =
        "Basic " + Data("agent@example.com:sandbox-token".utf8).base64EncodedString()

    func collect(_ pages: AsyncThrowingStream<Page, any Error>) async throws -> [Page] {
        var collected: [Page] = []
        for try await page in pages {
            collected.append(page)
        }
        return collected
    }

    @Test func zendeskCursorPagesCoverEveryTicketOnce() async throws {
        let server = try HTTPServer(router: ZendeskEmulator().router)
        defer { server.stop() }
        let first = ConnectorRequest(
            method: "GET", url: server.baseURL + "/api/v2/tickets.json?page%5Bsize%5D=20",
            headers: [("Authorization", Self.zendeskAuthorization)])
        let pages = try await collect(
            ConnectorClient().pages(from: first, .cursor(items: "tickets")))
        #expect(pages.map(\.items.count) == [20, 20, 10])
        #expect(pages.flatMap(\.items).compactMap { $0["id"]?.integerValue } == Array(1...50))
    }

    @Test func theIncrementalExportEndsWithTheCursorToKeep() async throws {
        var configuration = ZendeskEmulator.Configuration()
        configuration.incrementalRequestsPerMinute = 0
        let server = try HTTPServer(router: ZendeskEmulator(configuration: configuration).router)
        defer { server.stop() }
        let first = ConnectorRequest(
            method: "GET",
            url: server.baseURL
                + "/api/v2/incremental/tickets/cursor.json?start_time=0&per_page=15",
            headers: [("Authorization", Self.zendeskAuthorization)])
        let pages = try await collect(
            ConnectorClient().pages(from: first, .incrementalExport(items: "tickets")))
        #expect(pages.count == 4)
        #expect(pages.flatMap(\.items).count == 50)
        #expect(pages.last?.next == nil)
        #expect(pages.last?.cursor?.isEmpty == false)
    }

    @Test func jiraTokensPageASearchByQueryAndByBody() async throws {
        let server = try HTTPServer(router: JiraEmulator().router)
        defer { server.stop() }
        let query = "jql=project%20%3D%20SUP%20ORDER%20BY%20key&maxResults=20&fields=summary"
        let byQuery = ConnectorRequest(
            method: "GET", url: server.baseURL + "/rest/api/3/search/jql?" + query,
            headers: [("Authorization", Self.jiraAuthorization)])
        let pages = try await collect(
            ConnectorClient().pages(from: byQuery, .pageToken(items: "issues")))
        #expect(pages.map(\.items.count) == [20, 20, 10])
        #expect(Set(pages.flatMap(\.items).compactMap { $0["key"]?.stringValue }).count == 50)

        let byBody = ConnectorRequest(
            method: "POST", url: server.baseURL + "/rest/api/3/search/jql",
            headers: [
                ("Authorization", Self.jiraAuthorization), ("Content-Type", "application/json"),
            ],
            body: Array(#"{"jql":"project = SUP","maxResults":30}"#.utf8), isIdempotent: true)
        let posted = try await collect(
            ConnectorClient().pages(from: byBody, .pageToken(items: "issues")))
        #expect(posted.map(\.items.count) == [30, 20])
    }

    @Test func aPageOfTheWrongShapeIsAClearError() async throws {
        let server = try HTTPServer(router: ZendeskEmulator().router)
        defer { server.stop() }
        let first = ConnectorRequest(
            method: "GET", url: server.baseURL + "/api/v2/ticket_fields.json",
            headers: [("Authorization", Self.zendeskAuthorization)])
        await #expect(throws: PaginationError.self) {
            _ = try await collect(ConnectorClient().pages(from: first, .cursor(items: "tickets")))
        }
    }

    @Test func linkHeadersGiveTheNextPage() {
        let header =
            #"<https://api.github.com/repos/o/r/issues?page=2>; rel="next", <https://api.github.com/repos/o/r/issues?page=5>; rel="last""#
        #expect(Pagination.nextLink(in: header) == "https://api.github.com/repos/o/r/issues?page=2")
        #expect(Pagination.nextLink(in: #"<https://x/?page=1>; rel="prev first""#) == nil)
    }
}
