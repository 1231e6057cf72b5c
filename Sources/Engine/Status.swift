import Foundation
import Ledger
import Mapping

/// What a ledger knows of each configured connection, for `syncledger status`: read from the
/// log in one scan, the quarantine file and the budget snapshot beside it, never from the
/// providers.
public struct LedgerStatus: Sendable, Hashable {
    /// When the status was taken; ages are measured from it.
    public var takenAt: Timestamp
    /// The position of the last event read.
    public var lastSequence: SequenceNumber
    /// The configuration file in force, when one was applied.
    public var configuration: AppliedConfiguration?
    /// When the last pass ended, from the budget snapshot; `nil` when no pass has written one.
    public var lastPass: Timestamp?
    /// Each connection, in the configuration's order.
    public var connections: [ConnectionStatus]
    /// Refused webhook deliveries that name no configured connection.
    public var quarantinedElsewhere: Int

    /// The `configApplied` event in force.
    public struct AppliedConfiguration: Sendable, Hashable {
        /// The file's path as it was applied.
        public var file: String
        /// The SHA-256 digest of its text.
        public var digest: String
        /// When it was applied.
        public var appliedAt: Timestamp
        /// The event that applied it.
        public var event: SequenceNumber
    }
}

/// What the ledger knows of one connection.
public struct ConnectionStatus: Sendable, Hashable {
    /// The connection's name.
    public var name: String
    /// Its provider, when the configuration names it.
    public var provider: String?
    /// When a poll last moved its cursor (the last `cursorAdvanced`). A poll that finds
    /// nothing new records nothing, so a quiet connection's last poll may be older than the
    /// last pass.
    public var lastPoll: Timestamp?
    /// Where its next poll starts.
    public var cursor: String?
    /// Events recorded from its webhooks (`observed` or `deleted` with `source: webhook`).
    public var webhookEvents = 0
    /// When the last of them was recorded.
    public var lastWebhook: Timestamp?
    /// Its deliveries refused and kept in the quarantine.
    public var quarantined = 0
    /// The last refused delivery, when there is one.
    public var lastQuarantined: Refusal?
    /// Writes to it intended and not concluded: in doubt until the next pass settles them.
    public var pendingIntents = 0
    /// When the oldest of them was intended.
    public var oldestPending: Timestamp?
    /// Writes to it that failed (`writeFailed`), over the log's whole life.
    public var failures = 0
    /// The last failure, when there is one.
    public var lastFailure: Failure?
    /// The rate limit its last answer reported, from the budget snapshot.
    public var budget: RateLimitReading?
    /// Why it is paused, when it is.
    public var pause: ConnectionPauses.Pause?

    /// A write that failed.
    public struct Failure: Sendable, Hashable {
        /// What the provider or the connector said.
        public var error: String
        /// When the failure was recorded.
        public var at: Timestamp
        /// The `writeFailed` event.
        public var event: SequenceNumber
    }

    /// A webhook delivery refused.
    public struct Refusal: Sendable, Hashable {
        /// Why it was refused.
        public var reason: String
        /// When, when the quarantine says.
        public var at: Timestamp?
    }

    /// A connection of which nothing is known yet.
    public init(name: String, provider: String? = nil) {
        self.name = name
        self.provider = provider
    }
}

extension LedgerStatus {
    /// Reads the status of the ledger whose log is `log`, taken at `now`.
    ///
    /// `connections` are those to report on; `nil` takes them from the configuration in force
    /// (the text the last `configApplied` event holds), or, without one, every connection the
    /// log names. Refused deliveries come from `quarantine`, rate limits from `budget`. Throws
    /// what reading the log throws; an event that does not decode is skipped.
    public init(
        log: EventLog, quarantine: Quarantine, budget: BudgetSnapshot?,
        connections: [Connection]? = nil, now: Timestamp
    ) throws {
        var scan = StatusScan()
        try log.scan(from: .zero) { result in
            if let event = try? result.get() {
                scan.read(event)
            }
            return true
        }

        let configured = connections ?? scan.configuredConnections() ?? []
        var names = configured.map(\.name)
        if connections == nil && configured.isEmpty {
            names = scan.namedConnections.sorted()
        }
        var pauses = ConnectionPauses(connections: configured)
        for event in scan.connectionChanges {
            pauses.apply(event)
        }
        let refused = try quarantine.entries()
        let found = scan.finished

        var statuses: [ConnectionStatus] = []
        for name in names {
            var status = found[name] ?? ConnectionStatus(name: name)
            status.provider = configured.first { $0.name == name }?.provider.rawValue
            let own = refused.filter { $0["connection"]?.stringValue == name }
            status.quarantined = own.count
            status.lastQuarantined = own.last.map { entry in
                ConnectionStatus.Refusal(
                    reason: entry["reason"]?.stringValue ?? "",
                    at: entry["at"]?.stringValue.flatMap { Timestamp(rfc3339: $0) })
            }
            status.budget = budget?.readings[name]
            status.pause = pauses.paused[name]
            statuses.append(status)
        }
        let named = Set(names)
        self.init(
            takenAt: now, lastSequence: scan.lastSequence,
            configuration: scan.configuration, lastPass: budget?.takenAt, connections: statuses,
            quarantinedElsewhere: refused.filter {
                !named.contains($0["connection"]?.stringValue ?? "")
            }.count)
    }
}

/// One pass over the log, keeping per connection only what the status shows.
private struct StatusScan {
    var statuses: [String: ConnectionStatus] = [:]
    var connectionChanges: [Event] = []
    var namedConnections: Set<String> = []
    var configuration: LedgerStatus.AppliedConfiguration?
    var configurationText: String?
    var lastSequence = SequenceNumber.zero
    /// Intents not concluded yet: their connection and when they were intended.
    var open: [SequenceNumber: (connection: String, at: Timestamp)] = [:]

    mutating func read(_ event: Event) {
        lastSequence = event.sequence
        switch event.kind {
        case .cursorAdvanced:
            guard let name = event.encodedBody[member: "connection"]?.stringValue else {
                return
            }
            update(name) { status in
                status.lastPoll = event.recordedAt
                status.cursor = event.encodedBody[member: "cursor"]?.stringValue
            }
        case .observed, .deleted:
            guard let record = event.record,
                event.encodedBody[member: "source"]?.stringValue == "webhook"
            else {
                return
            }
            update(record.connection) { status in
                status.webhookEvents += 1
                status.lastWebhook = event.recordedAt
            }
        case .writeIntended:
            guard let record = event.record else {
                return
            }
            var connection = record.connection
            if event.encodedBody[member: "operation"]?.stringValue == "create" {
                guard
                    let target = event.encodedBody[member: "target"]?["connection"]?.stringValue
                else {
                    return
                }
                connection = target
            }
            open[event.sequence] = (connection, event.recordedAt)
            namedConnections.insert(connection)
        case .writeSucceeded, .writeFailed:
            guard let position = event.encodedBody[member: "intent"]?.integerValue,
                let intent = open.removeValue(forKey: SequenceNumber(UInt64(position)))
            else {
                return
            }
            if event.kind == .writeFailed {
                update(intent.connection) { status in
                    status.failures += 1
                    status.lastFailure = ConnectionStatus.Failure(
                        error: event.encodedBody[member: "error"]?.stringValue ?? "",
                        at: event.recordedAt, event: event.sequence)
                }
            }
        case .connectionChanged:
            connectionChanges.append(event)
            if let name = event.encodedBody[member: "connection"]?.stringValue {
                namedConnections.insert(name)
            }
        case .configApplied:
            configuration = LedgerStatus.AppliedConfiguration(
                file: event.encodedBody[member: "file"]?.stringValue ?? "",
                digest: event.encodedBody[member: "digest"]?.stringValue ?? "",
                appliedAt: event.recordedAt, event: event.sequence)
            configurationText = event.encodedBody[member: "content"]?.stringValue
        default:
            return
        }
    }

    /// The statuses with the intents still open counted in.
    var finished: [String: ConnectionStatus] {
        var statuses = statuses
        for (_, intent) in open {
            var status = statuses[intent.connection] ?? ConnectionStatus(name: intent.connection)
            status.pendingIntents += 1
            status.oldestPending = min(status.oldestPending ?? intent.at, intent.at)
            statuses[intent.connection] = status
        }
        return statuses
    }

    /// The connections of the configuration in force, read from the text it was applied
    /// with; `nil` when none was applied or its text no longer reads.
    func configuredConnections() -> [Connection]? {
        guard let text = configurationText,
            let file = try? ConfigurationFile(text: text, path: configuration?.file ?? "")
        else {
            return nil
        }
        return file.configuration.connections
    }

    private mutating func update(_ name: String, _ change: (inout ConnectionStatus) -> Void) {
        namedConnections.insert(name)
        var status = statuses[name] ?? ConnectionStatus(name: name)
        change(&status)
        statuses[name] = status
    }
}
