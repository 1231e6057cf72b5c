import Foundation
import HTTPServer
import Ledger
import Sandbox
import Testing

@testable import Connectors

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A Zendesk sandbox with automatic consent, a vault in a temporary directory, and a session.
final class OAuthScenario {
    let clock = ManualSandboxClock(at: Timestamp(secondsSinceEpoch: 1_796_000_000))
    let emulator: ZendeskEmulator
    let server: HTTPServer
    let directory: String
    let vault: Vault
    let provider: OAuthProvider

    init(accessTokenLifetime: Int64 = 600) throws {
        var configuration = ZendeskEmulator.Configuration()
        configuration.clock = clock
        configuration.accessTokenLifetime = accessTokenLifetime
        emulator = ZendeskEmulator(configuration: configuration)
        server = try HTTPServer(router: emulator.router)
        directory = FileManager.default.temporaryDirectory.path + "/oauth-" + UUID().uuidString
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        vault = try Vault(path: directory + "/vault", keyPath: directory + "/key", environment: [:])
        provider = OAuthProvider(
            authorizeURL: server.baseURL + "/oauth/authorizations/new",
            tokenURL: server.baseURL + "/oauth/tokens", clientID: "syncledger-sandbox",
            clientSecret: "sandbox-client-secret", scope: "read write")
    }

    deinit {
        server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs the whole flow: the consent page approves at once and redirects to the receiver.
    func authorize() async throws -> OAuthTokens {
        let clock = self.clock
        let tokens = try await OAuthAuthorization.run(provider, now: { clock.now() }) { url in
            _ = try await URLSession.shared.data(from: URL(string: url)!)
        }
        try vault.store(.oauth(tokens), for: "zendesk")
        return tokens
    }

    func session() -> OAuthSession {
        let clock = self.clock
        return OAuthSession(
            connection: "zendesk", provider: provider, vault: vault, now: { clock.now() })
    }

    func ticketStatus(_ token: String) async throws -> Int {
        var request = URLRequest(url: URL(string: server.baseURL + "/api/v2/tickets/1.json")!)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }
}

@Suite("OAuth sessions")
struct OAuthSessionTests {
    @Test func theLoopbackFlowGetsTokensTheAPIAccepts() async throws {
        let scenario = try OAuthScenario()
        let tokens = try await scenario.authorize()
        #expect(tokens.refreshToken != nil)
        #expect(tokens.scope == "read write")
        #expect(try await scenario.ticketStatus(tokens.accessToken) == 200)
    }

    @Test func aTokenAboutToExpireIsRefreshedAndTheRotationIsStoredFirst() async throws {
        let scenario = try OAuthScenario(accessTokenLifetime: 600)
        let first = try await scenario.authorize()
        let session = scenario.session()
        #expect(try await session.accessToken() == first.accessToken)
        #expect(await session.refreshCount == 0)

        scenario.clock.advance(seconds: 550)
        let renewed = try await session.accessToken()
        #expect(renewed != first.accessToken)
        #expect(await session.refreshCount == 1)
        guard case .oauth(let stored)? = scenario.vault.credential(for: "zendesk") else {
            Issue.record("no tokens stored")
            return
        }
        #expect(stored.accessToken == renewed)
        #expect(stored.refreshToken != first.refreshToken, "the rotated refresh token is kept")
        #expect(try await scenario.ticketStatus(renewed) == 200)
        #expect(try await scenario.ticketStatus(first.accessToken) == 401)
    }

    @Test func concurrentRequestsShareOneRefresh() async throws {
        let scenario = try OAuthScenario(accessTokenLifetime: 600)
        _ = try await scenario.authorize()
        let session = scenario.session()
        scenario.clock.advance(seconds: 590)
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<12 {
                group.addTask { try await session.accessToken() }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(tokens.count == 1, "every caller got the one new token")
        #expect(await session.refreshCount == 1)
    }

    @Test func aRevokedGrantNeedsReauthorizationAndSaysWhatToRun() async throws {
        let scenario = try OAuthScenario(accessTokenLifetime: 600)
        _ = try await scenario.authorize()
        scenario.emulator.revokeAllTokens()
        let session = scenario.session()
        let error = await #expect(throws: NeedsReauthorization.self) {
            _ = try await session.refreshNow()
        }
        #expect(error?.description.contains("run: syncledger connect zendesk") == true)
        #expect(error?.description.contains("invalid_grant") == true)
    }
}

extension OAuthSessionTests {
    @Test func aRevokedConnectionPausesAloneAndIsRecordedOnce() async throws {
        let scenario = try OAuthScenario(accessTokenLifetime: 600)
        _ = try await scenario.authorize()
        let directory = scenario.directory
        let log = try EventLog.open(at: directory + "/ledger")
        defer { log.close() }
        let zendesk = ConnectionGuard(connection: "zendesk") { event in
            _ = try await log.append([event])
        }
        let other = ConnectionGuard(connection: "jira") { event in
            _ = try await log.append([event])
        }
        let session = scenario.session()
        let connector = ZendeskConnector(
            connection: "zendesk", baseURL: scenario.server.baseURL,
            authentication: .oauth(session))

        #expect(try await zendesk.run { try await connector.comments(of: "1") }.count == 1)
        scenario.emulator.revokeAllTokens()
        scenario.clock.advance(seconds: 590)
        for _ in 0..<3 {
            await #expect(throws: NeedsReauthorization.self) {
                _ = try await zendesk.run { try await connector.comments(of: "1") }
            }
        }
        #expect(await session.refreshCount == 1, "once paused, the provider is not asked again")
        #expect(zendesk.pause?.description.contains("syncledger connect zendesk") == true)
        #expect(other.pause == nil)
        #expect(try await other.run { 42 } == 42)

        let events = try log.read(from: .zero, limit: 10)
        #expect(events.count == 1)
        #expect(events.first?.kind == .connectionChanged)
        #expect(events.first?.body["change"] == "needsReauthorization")
        #expect(events.first?.body["command"] == "syncledger connect zendesk")

        zendesk.resume()
        #expect(zendesk.pause == nil)
    }
}
