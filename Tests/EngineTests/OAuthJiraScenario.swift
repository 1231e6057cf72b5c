import Connectors
import Engine
import Foundation
import HTTPServer
import Ledger
import Mapping
import Reconcile
import Sandbox
import Synchronization

/// Both sandbox APIs on loopback with their rate limits on, Zendesk by API token on a clock
/// the test moves, Jira authorised over OAuth, and a real ledger and projection store in a
/// temporary directory with the starter configuration applied.
///
/// Zendesk's export leaves out its last minute, so a change made in a test reaches a poll only
/// once ``zendeskClock`` has moved on.
final class OAuthJiraScenario {
    let directory: String
    let ledger: String
    let zendeskClock = ManualSandboxClock(at: SystemClock().now())
    let zendeskEmulator: ZendeskEmulator
    let jiraEmulator: JiraEmulator
    let zendeskServer: HTTPServer
    let jiraServer: HTTPServer
    let jiraClient: OAuthProvider
    let file: ConfigurationFile
    let log: EventLog
    let store: ProjectionStore
    /// Requests the engine's connections sent to the Jira sandbox, token requests included.
    let jiraRequests = RequestCount()

    /// Counts the requests sent to one server.
    final class RequestCount: HTTPTransport {
        let count = Mutex(0)
        let prefix = Mutex("")
        let network = URLSessionTransport()

        func send(_ request: ConnectorRequest) async throws -> ConnectorResponse {
            if request.url.hasPrefix(prefix.withLock { $0 }) {
                count.withLock { $0 += 1 }
            }
            return try await network.send(request)
        }

        var value: Int { count.withLock { $0 } }
    }

    init(tickets: Int = 6) async throws {
        directory = FileManager.default.temporaryDirectory.path + "/pausing-" + UUID().uuidString
        ledger = directory + "/ledger"
        try FileManager.default.createDirectory(atPath: ledger, withIntermediateDirectories: true)
        var zendesk = ZendeskEmulator.Configuration()
        zendesk.tickets = tickets
        zendesk.clock = zendeskClock
        zendesk.incrementalRequestsPerMinute = 600
        var jira = JiraEmulator.Configuration()
        jira.issues = 0
        jira.perIssueWritesPerMinute = 0
        zendeskEmulator = ZendeskEmulator(configuration: zendesk)
        jiraEmulator = JiraEmulator(configuration: jira)
        zendeskServer = try HTTPServer(router: zendeskEmulator.router)
        jiraServer = try HTTPServer(router: jiraEmulator.router)
        let jiraBaseURL = jiraServer.baseURL
        jiraRequests.prefix.withLock { $0 = jiraBaseURL }
        jiraClient = OAuthProvider(
            authorizeURL: jiraServer.baseURL + "/authorize",
            tokenURL: jiraServer.baseURL + "/oauth/token", clientID: jira.oauthClientID,
            clientSecret: jira.oauthClientSecret,
            scope: "read:jira-work write:jira-work offline_access",
            extraAuthorizeArguments: [("audience", "api.atlassian.com"), ("prompt", "consent")])

        let text = StarterConfiguration.text(
            for: StarterConfiguration.Endpoints(
                zendesk: zendeskServer.baseURL, jira: jiraServer.baseURL, auth: .apiToken,
                project: "SUP"),
            sandbox: true)
        file = try ConfigurationFile(
            text: text.replacingOccurrences(
                of: "baseURL: \(jiraServer.baseURL)\n    auth: apiToken",
                with: "baseURL: \(jiraServer.baseURL)\n    auth: oauth"),
            path: "syncledger.yaml")
        log = try EventLog.open(at: ledger)
        let projection = SyncProjection()
        store = try ProjectionStore(
            at: directory + "/projections", identity: projection.identity,
            tableNames: projection.tableNames)

        let connections = try self.connections()
        try connections.vault.store(
            .apiToken(account: "agent@example.com/token", token: "sandbox-token"), for: "zendesk")
        try await connect(connections)
        let ids = try await connections.resolveCustomFields(of: file.configuration)
        _ = try await log.append([try file.appliedEvent(resolving: ids)])
    }

    deinit {
        store.close()
        log.close()
        zendeskServer.stop()
        jiraServer.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The ledger's connections as a new process opens them: the vault read afresh, Jira's
    /// tokens refreshed through its OAuth client, and each refresh recorded.
    func connections() throws -> Connections {
        var connections = try Connections(
            ledger: ledger, client: ConnectorClient(transport: jiraRequests))
        connections.tokenRefresh.clients = ["jira": jiraClient]
        let log = self.log
        connections.tokenRefresh.record = { event in _ = try await log.append([event]) }
        return connections
    }

    /// An engine as a new process starts one: fresh connections and fresh guards.
    func engine() throws -> SyncEngine {
        SyncEngine(
            log: log, store: store, configuration: file.configuration,
            connections: try connections())
    }

    /// Does what `syncledger connect jira` does: authorises Jira over OAuth, keeps the tokens in
    /// `connections`' vault, and records the `authorised` event.
    func connect(_ connections: Connections) async throws {
        var tokens = try await OAuthAuthorization.run(jiraClient) { url in
            _ = try await ConnectorClient().send(ConnectorRequest(method: "GET", url: url))
        }
        tokens.cloudId = "sandbox-cloud"
        try connections.vault.store(.oauth(tokens), for: "jira")
        _ = try await log.append([
            NewEvent(
                kind: .connectionChanged, record: nil,
                body: [
                    "connection": "jira", "change": "authorised", "provider": "jira",
                    "method": "oauth",
                ])
        ])
    }

    /// Zendesk's connection in the configuration.
    var zendesk: Connection { file.configuration.connection(named: "zendesk")! }

    /// Jira's connection in the configuration.
    var jira: Connection { file.configuration.connection(named: "jira")! }

    /// Every event of the log of `kinds`.
    func events(_ kinds: Set<EventKind>) throws -> [Event] {
        try log.read(from: .zero, limit: 1_000_000).filter { kinds.contains($0.kind) }
    }

    /// The keys of the issues whose `Zendesk ticket` field holds `ticket`, read with the API
    /// token, whatever becomes of the OAuth grant.
    func issues(carrying ticket: String) async throws -> [(key: String, summary: String?)] {
        let reader = JiraConnector(
            connection: "jira", baseURL: jiraServer.baseURL, projectKey: "SUP",
            authentication: .basic(user: "agent@example.com", secret: "sandbox-token"))
        return try await reader.poll(since: Timestamp(microsecondsSinceEpoch: 0)).events.compactMap
        { event in
            guard event.body["fields"]?["customfield_10100"]?.stringValue == ticket,
                let key = event.record?.remoteID
            else {
                return nil
            }
            return (key, event.body["fields"]?["summary"]?.stringValue)
        }
    }
}
