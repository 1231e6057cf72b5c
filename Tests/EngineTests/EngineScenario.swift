import Connectors
import Engine
import Foundation
import HTTPServer
import Ledger
import Mapping
import Reconcile
import Sandbox

/// The two sandbox APIs on loopback, a real ledger and projection store in a temporary
/// directory, the sandbox's credentials in its vault, and the starter configuration applied.
final class EngineScenario {
    let directory: String
    let zendeskServer: HTTPServer
    let jiraServer: HTTPServer
    let log: EventLog
    let store: ProjectionStore
    let engine: SyncEngine
    let file: ConfigurationFile
    let connections: Connections
    let ledger: String

    /// `exportDelay` is how old a Zendesk change must be before the export shows it.
    init(tickets: Int = 6, onDelete: String = "tag", exportDelay: Int64 = 60) async throws {
        directory =
            FileManager.default.temporaryDirectory.path + "/engine-tests-" + UUID().uuidString
        var zendesk = ZendeskEmulator.Configuration()
        zendesk.tickets = tickets
        zendesk.requestsPerMinute = 0
        zendesk.incrementalRequestsPerMinute = 0
        zendesk.incrementalExportDelaySeconds = exportDelay
        var jira = JiraEmulator.Configuration()
        jira.issues = 0
        jira.requestsPerMinute = 0
        jira.perIssueWritesPerMinute = 0
        zendeskServer = try HTTPServer(router: ZendeskEmulator(configuration: zendesk).router)
        jiraServer = try HTTPServer(router: JiraEmulator(configuration: jira).router)

        ledger = directory + "/ledger"
        try FileManager.default.createDirectory(atPath: ledger, withIntermediateDirectories: true)
        connections = try Connections(ledger: ledger)
        try connections.vault.store(
            .apiToken(account: "agent@example.com/token", token: "sandbox-token"), for: "zendesk")
        try connections.vault.store(
            .apiToken(account: "agent@example.com", token: "sandbox-token"), for: "jira")
        file = try ConfigurationFile(
            text: StarterConfiguration.text(
                for: StarterConfiguration.Endpoints(
                    zendesk: zendeskServer.baseURL, jira: jiraServer.baseURL, auth: .apiToken,
                    project: "SUP"),
                sandbox: true
            ).replacingOccurrences(of: "onDelete: tag", with: "onDelete: \(onDelete)")
                .replacingOccurrences(
                    of: "    project: SUP",
                    with: "    project: SUP\n    webhookSecret: vault:jira-webhook"),
            path: "syncledger.yaml")

        log = try EventLog.open(at: ledger)
        let projection = SyncProjection()
        store = try ProjectionStore(
            at: directory + "/projections", identity: projection.identity,
            tableNames: projection.tableNames)
        engine = SyncEngine(
            log: log, store: store, configuration: file.configuration, connections: connections)
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

    /// The Jira connector the engine uses.
    func jira() throws -> JiraConnector {
        try engine.connections.jira(file.configuration.connection(named: "jira")!)
    }

    /// The Zendesk connector the engine uses.
    func zendesk() throws -> ZendeskConnector {
        try engine.connections.zendesk(file.configuration.connection(named: "zendesk")!)
    }

    /// Sends `method path` to the Jira or Zendesk sandbox (by `system`) as a person would,
    /// outside the engine, and returns the status of the answer.
    func send(_ method: String, _ path: String, to system: String) async throws -> Int {
        let (base, user) =
            system == "jira"
            ? (jiraServer.baseURL, "agent@example.com")
            : (zendeskServer.baseURL, "agent@example.com/token")
        let basic = Data("\(user):sandbox-token".utf8).base64EncodedString()
        let response = try await engine.connections.client.send(
            ConnectorRequest(
                method: method, url: base + path, headers: [("Authorization", "Basic " + basic)]))
        return response.status
    }

    /// The issues whose `Zendesk ticket` field holds `ticket`.
    func issues(carrying ticket: String) async throws -> [String] {
        let jira = try jira()
        var keys: [String] = []
        for event in try await jira.poll(since: Timestamp(microsecondsSinceEpoch: 0)).events {
            if event.body["fields"]?["customfield_10100"]?.stringValue == ticket,
                let key = event.record?.remoteID
            {
                keys.append(key)
            }
        }
        return keys
    }
}
