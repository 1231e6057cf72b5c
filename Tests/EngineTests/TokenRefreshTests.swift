import Connectors
import Engine
import Foundation
import HTTPServer
import Ledger
import Mapping
import Sandbox
import Synchronization
import Testing

/// A Zendesk sandbox whose OAuth tokens live on a clock the test moves, and the connections of
/// a ledger authorised against it.
final class TokenScenario {
    let clock = ManualSandboxClock(at: Timestamp(secondsSinceEpoch: 1_796_000_000))
    let server: HTTPServer
    let directory: String
    let provider: OAuthProvider
    let connection: Connection
    let recorded = RecordedEvents()

    /// The events a connection's refreshes recorded.
    final class RecordedEvents: Sendable {
        let events = Mutex<[NewEvent]>([])
    }

    init() throws {
        var zendesk = ZendeskEmulator.Configuration()
        zendesk.requestsPerMinute = 0
        zendesk.tokenClock = clock
        server = try HTTPServer(router: ZendeskEmulator(configuration: zendesk).router)
        directory = FileManager.default.temporaryDirectory.path + "/tokens-" + UUID().uuidString
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        provider = OAuthProvider(
            authorizeURL: server.baseURL + "/oauth/authorizations/new",
            tokenURL: server.baseURL + "/oauth/tokens", clientID: zendesk.oauthClientID,
            clientSecret: zendesk.oauthClientSecret, scope: "read write")
        connection = Connection(
            name: "zendesk", provider: .zendesk, baseURL: server.baseURL, auth: .oauth,
            credential: "zendesk")
    }

    deinit {
        server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Connections of the ledger whose vault holds tokens from a fresh authorisation;
    /// `refreshing` gives them the OAuth client and records what they refresh.
    func connections(refreshing: Bool) async throws -> Connections {
        let clock = self.clock
        var connections = try Connections(ledger: directory)
        let tokens = try await OAuthAuthorization.run(provider, now: { clock.now() }) { url in
            _ = try await ConnectorClient().send(ConnectorRequest(method: "GET", url: url))
        }
        try connections.vault.store(.oauth(tokens), for: "zendesk")
        connections.tokenRefresh.now = { clock.now() }
        if refreshing {
            let recorded = self.recorded
            connections.tokenRefresh.clients = ["zendesk": provider]
            connections.tokenRefresh.record = { event in
                recorded.events.withLock { $0.append(event) }
            }
        }
        return connections
    }

    /// The access token the vault holds.
    func accessToken(_ connections: Connections) -> String? {
        guard case .oauth(let tokens)? = connections.vault.credential(for: "zendesk") else {
            return nil
        }
        return tokens.accessToken
    }
}

@Suite("Refreshing OAuth tokens")
struct TokenRefreshTests {
    @Test func anExpiredTokenIsRefreshedThroughTheClientAndRecorded() async throws {
        let scenario = try TokenScenario()
        let connections = try await scenario.connections(refreshing: true)
        let first = try #require(scenario.accessToken(connections))
        #expect(try await connections.zendesk(scenario.connection).ticket("1") != nil)
        #expect(scenario.recorded.events.withLock { $0.isEmpty })

        scenario.clock.advance(seconds: 7_200)
        #expect(try await connections.zendesk(scenario.connection).ticket("1") != nil)
        let renewed = try #require(scenario.accessToken(connections))
        #expect(renewed != first)
        let events = scenario.recorded.events.withLock { $0 }
        #expect(events.count == 1)
        #expect(events.first?.kind == .connectionChanged)
        #expect(events.first?.body["connection"] == "zendesk")
        #expect(events.first?.body["change"] == "refreshed")
        #expect(events.first?.body.json.contains(renewed) == false, "a token was recorded")
    }

    @Test func withoutItsClientAnExpiredTokenIsNotRefreshed() async throws {
        let scenario = try TokenScenario()
        let connections = try await scenario.connections(refreshing: false)
        let first = scenario.accessToken(connections)
        scenario.clock.advance(seconds: 7_200)
        await #expect(throws: (any Error).self) {
            _ = try await connections.zendesk(scenario.connection).ticket("1")
        }
        #expect(scenario.accessToken(connections) == first)
        #expect(scenario.recorded.events.withLock { $0.isEmpty })
    }
}
