import Connectors
import Engine
import Foundation
import HTTPServer
import Ledger
import Mapping
import Reconcile
import Sandbox

/// The sandbox's limits, scaled in time: each provider's per-minute budget spent over a
/// shorter window, and Zendesk's export delay shortened by the same factor.
struct ScaledLimits: Sendable {
    /// Zendesk requests per window (its plan's per-minute limit).
    var zendesk = 700
    /// Zendesk incremental export requests per window.
    var export = 10
    /// Jira requests per window (its burst limit per minute).
    var jira = 600
    /// Writes to one Jira issue per window.
    var perIssue = 20
    /// The window in seconds, standing for a minute.
    var window: Int64

    /// How many times faster than the providers' minute the window runs.
    var factor: Double { 60 / Double(window) }

    /// `limit` requests per window as requests per second.
    func perSecond(_ limit: Int) -> Double {
        Double(limit) / Double(window)
    }
}

/// The two emulators on loopback under scaled limits, a ledger in a temporary directory
/// with the sandbox's credentials in its vault and a configuration in force, and the sync
/// engine over them, its requests counted.
final class SyncRig {
    let zendesk: HTTPServer
    let jira: HTTPServer
    let directory: String
    let log: EventLog
    let store: ProjectionStore
    let engine: SyncEngine
    let tally: RequestTally

    static let zendeskAuthorization =
        "Basic " + Data("agent@example.com/token:sandbox-token".utf8).base64EncodedString()
    static let jiraAuthorization =
        "Basic " + Data("agent@example.com:sandbox-token".utf8).base64EncodedString()

    /// Starts the emulators with `tickets` tickets and no issues, and an engine over a fresh
    /// ledger; the configuration is applied before the tally starts counting.
    init(tickets: Int, limits: ScaledLimits) async throws {
        var zendeskConfiguration = ZendeskEmulator.Configuration()
        zendeskConfiguration.tickets = tickets
        zendeskConfiguration.requestsPerMinute = limits.zendesk
        zendeskConfiguration.incrementalRequestsPerMinute = limits.export
        zendeskConfiguration.rateLimitWindowSeconds = limits.window
        zendeskConfiguration.incrementalExportDelaySeconds = limits.window
        zendesk = try HTTPServer(
            router: ZendeskEmulator(configuration: zendeskConfiguration).router)
        var jiraConfiguration = JiraEmulator.Configuration()
        jiraConfiguration.issues = 0
        jiraConfiguration.requestsPerMinute = limits.jira
        jiraConfiguration.perIssueWritesPerMinute = limits.perIssue
        jiraConfiguration.rateLimitWindowSeconds = limits.window
        jira = try HTTPServer(router: JiraEmulator(configuration: jiraConfiguration).router)

        directory = try TemporaryDirectory(prefix: "syncledger-bench-sync").path
        let ledger = directory + "/ledger"
        try FileManager.default.createDirectory(atPath: ledger, withIntermediateDirectories: true)
        let tally = RequestTally(providers: [
            (zendesk.baseURL, "zendesk"), (jira.baseURL, "jira"),
        ])
        self.tally = tally
        let client = ConnectorClient(
            transport: TallyingTransport(transport: URLSessionTransport(), tally: tally))
        let connections = try Connections(ledger: ledger, client: client)
        try connections.vault.store(
            .apiToken(account: "agent@example.com/token", token: "sandbox-token"), for: "zendesk")
        try connections.vault.store(
            .apiToken(account: "agent@example.com", token: "sandbox-token"), for: "jira")
        let file = try ConfigurationFile(
            text: Self.configuration(zendesk: zendesk.baseURL, jira: jira.baseURL),
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

    /// Stops the servers and removes the ledger.
    func close() {
        store.close()
        log.close()
        zendesk.stop()
        jira.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The starter's pair without its status filter, so that every ticket gets an issue.
    static func configuration(zendesk: String, jira: String) -> String {
        """
        connections:
          zendesk:
            provider: zendesk
            baseURL: \(zendesk)
            auth: apiToken
            credential: zendesk
          jira:
            provider: jira
            baseURL: \(jira)
            auth: apiToken
            credential: jira
            project: SUP

        pairs:
          - name: support
            left: zendesk:ticket
            right: jira:issue
            direction: leftToRight
            fields:
              - left: subject
                right: summary
              - left: description
                right: description
                format: {left: text, right: adf}
                authority: owner:zendesk
              - left: priority
                right: priority
                values: {urgent: Highest, high: High, normal: Medium, low: Low}
                default: {left: normal, right: Medium}
              - left: status
                right: status
                values:
                  new: To Do
                  open: To Do
                  pending: In Progress
                  hold: In Progress
                  solved: Done
                  closed: Done
                reverse: {To Do: open, In Progress: pending, Done: solved}
              - left: tags
                right: labels
                authority: mergeSet
              - right: {customField: Zendesk ticket}
                template: "{id}"
              - right: issuetype
                constant: Task

        """
    }

    // MARK: - Reading the ledger

    /// The status each ticket had when the engine first observed it.
    func firstObservedStatuses() throws -> [String: String] {
        var statuses: [String: String] = [:]
        try log.scan(from: .zero) { result in
            let event = try result.get()
            if event.kind == .observed, let record = event.record,
                record.connection == "zendesk", statuses[record.remoteID] == nil,
                let status = event.body["fields"]?["status"]?.stringValue
            {
                statuses[record.remoteID] = status
            }
            return true
        }
        return statuses
    }

    /// Each ticket's id with the key of the issue it is linked to.
    func links() throws -> [(ticket: String, issue: String)] {
        var links: [(String, String)] = []
        try log.scan(from: .zero) { result in
            let event = try result.get()
            if event.kind == .linked, let record = event.record,
                let counterpart = try? LinkChange(event).counterpart
            {
                links.append((record.remoteID, counterpart.remoteID))
            }
            return true
        }
        return links
    }
}
