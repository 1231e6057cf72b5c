import Connectors
import Engine
import Foundation
import HTTPServer
import Ledger
import Mapping
import Reconcile
import Synchronization

/// The network as the engine uses it, counting the answers by system and status: how the demo
/// knows how many requests a step made and how many were refused with 429.
final class CountingTransport: HTTPTransport {
    private let network = URLSessionTransport()
    private let counts = Mutex<[String: [Int: Int]]>([:])
    private let hosts: [String: DemoSystem]

    /// Counts answers from the servers at `hosts` (base URLs) under their system's name.
    init(hosts: [String: DemoSystem]) {
        self.hosts = hosts
    }

    /// Sends `request` over the network and counts its answer.
    func send(_ request: ConnectorRequest) async throws -> ConnectorResponse {
        let response = try await network.send(request)
        let system = hosts.first { request.url.hasPrefix($0.key) }?.value.rawValue ?? "other"
        counts.withLock { $0[system, default: [:]][response.status, default: 0] += 1 }
        return response
    }

    /// Answers so far from `system`, with `status` or with any status.
    func answers(_ system: DemoSystem, status: Int? = nil) -> Int {
        counts.withLock { counts in
            let bySystem = counts[system.rawValue] ?? [:]
            return status.map { bySystem[$0] ?? 0 } ?? bySystem.values.reduce(0, +)
        }
    }

    /// Answers so far from both systems.
    var total: Int { answers(.zendesk) + answers(.jira) }
}

/// The engine's webhook receiver: `POST /webhooks/{connection}` answered by the intake
/// attached, or 503 while the ledger is lent to another process, so the sandbox delivers
/// again later.
final class DemoReceiver: Sendable {
    /// The intake deliveries go to, shared with the server's handler.
    private final class Slot: Sendable {
        let intake = Mutex<WebhookIntake?>(nil)
    }

    private let slot = Slot()
    /// The server, on a free loopback port.
    let server: HTTPServer

    /// Starts receiving, with no intake attached yet.
    init() throws {
        let slot = self.slot
        var router = Router()
        router.add(.post, "/webhooks/{connection}") { request in
            guard let current = slot.intake.withLock({ $0 }) else {
                return .json(#"{"status":"the ledger is busy; deliver again"}"#, status: 503)
            }
            let answer = current.receive(
                connection: request.parameters["connection"] ?? "", headers: request.headers,
                body: request.body)
            return .json(
                Value.object(["status": .string(answer.reason)]).json, status: answer.status)
        }
        server = try HTTPServer(router: router)
    }

    /// Where a connection's webhooks are to be sent.
    func url(for connection: String) -> String {
        server.baseURL + "/webhooks/" + connection
    }

    /// Hands deliveries to `intake`, or refuses them while it is `nil`; detaching waits for
    /// deliveries in progress, so the log can be closed after it.
    func attach(_ intake: WebhookIntake?) {
        slot.intake.withLock { $0 = intake }
        if intake == nil {
            let deadline = ContinuousClock.now + .seconds(5)
            while server.requestsInProgress > 0 && ContinuousClock.now < deadline {
                usleep(1_000)
            }
        }
    }

    /// Stops the server.
    func stop() {
        server.stop(timeout: .seconds(2))
    }
}

/// The engine at work on the demo's ledger: the log open for writing, the live projection
/// store, the connections, the engine and its webhook intake. Closed to lend the ledger to
/// another process, then opened again.
final class DemoEngine {
    let ledger: String
    let log: EventLog
    let store: ProjectionStore
    let engine: SyncEngine
    let intake: WebhookIntake

    /// Opens the ledger at `ledger` for `file`'s configuration; requests go through `client`,
    /// and OAuth tokens refresh through `clients` on `tokenClock`, each refresh recorded.
    init(
        ledger: String, file: ConfigurationFile, client: ConnectorClient,
        clients: [String: OAuthProvider], tokenClock: TokenClock
    ) throws {
        self.ledger = ledger
        let log = try EventLog.open(at: ledger)
        let projection = SyncProjection()
        do {
            store = try ProjectionStore(
                at: LiveProjection.directory(of: ledger), identity: projection.identity,
                tableNames: projection.tableNames)
        } catch {
            log.close()
            throw error
        }
        var connections = try Connections(ledger: ledger, client: client)
        connections.tokenRefresh.clients = clients
        connections.tokenRefresh.now = { tokenClock.now() }
        connections.tokenRefresh.record = { event in
            _ = try await log.append(AppendBatch([event]))
        }
        self.log = log
        engine = SyncEngine(
            log: log, store: store, configuration: file.configuration, connections: connections)
        intake = WebhookIntake(
            log: log, configuration: file.configuration, connections: connections,
            quarantine: Quarantine(ledger: ledger))
        try engine.catchUp()
    }

    /// Closes the store and the log.
    func close() {
        store.close()
        log.close()
    }

    /// The events appended after `position`, oldest first.
    func events(after position: SequenceNumber) throws -> [Event] {
        try log.read(from: position.next, limit: .max)
    }

    /// Waits up to `timeout` for an event after `position` that `matches`; returns it, or
    /// `nil` when none came in time.
    func waitForEvent(
        after position: SequenceNumber, timeout: Duration = .seconds(10),
        _ matches: (Event) -> Bool
    ) async throws -> Event? {
        let deadline = ContinuousClock.now + timeout
        var seen = position
        while true {
            for event in try events(after: seen) {
                if matches(event) {
                    return event
                }
                seen = event.sequence
            }
            guard ContinuousClock.now < deadline else {
                return nil
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

extension Event {
    /// Whether the event is an observation of `record` that came by webhook.
    func isWebhookObservation(of record: RecordReference) -> Bool {
        kind == .observed && self.record == record && body["source"] == "webhook"
    }
}
