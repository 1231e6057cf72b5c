import Ledger
import Mapping

/// Which connections are paused for want of authorisation, folded from the log's
/// `connectionChanged` events in the order they were recorded.
///
/// A `needsReauthorization` event pauses the connection it names. An `authorised` event, which
/// `syncledger connect` records under the vault name it wrote, resumes every connection whose
/// name or credential is that name. Other changes (`refreshed`) leave pauses as they are: a
/// refresh is made only by work that runs, and a paused connection's work does not.
public struct ConnectionPauses: Sendable, Hashable {
    /// Why one connection is paused, from the event that paused it.
    public struct Pause: Sendable, Hashable {
        /// The connection's name in the configuration.
        public var connection: String
        /// What the provider said, redacted.
        public var reason: String
        /// What to run to authorise it again.
        public var command: String
        /// When the pause was recorded; `nil` for a pause the log does not hold (its event
        /// could not be appended).
        public var since: Timestamp?
        /// The `connectionChanged` event that paused it, when the log holds one.
        public var event: SequenceNumber?

        /// Creates a pause.
        public init(
            connection: String, reason: String, command: String, since: Timestamp? = nil,
            event: SequenceNumber? = nil
        ) {
            self.connection = connection
            self.reason = reason
            self.command = command
            self.since = since
            self.event = event
        }
    }

    /// The change that pauses a connection.
    public static let pausing = "needsReauthorization"
    /// The change that resumes one: a new authorisation.
    public static let resuming = "authorised"

    /// Each configured connection's credential name, by connection name.
    private let credentials: [String: String]
    /// The pauses in force, by connection name.
    public private(set) var paused: [String: Pause] = [:]

    /// No pauses yet, for `connections`; an `authorised` event resumes a connection by its
    /// name or by its credential's name.
    public init(connections: [Connection]) {
        credentials = Dictionary(
            connections.map { ($0.name, $0.credential) }, uniquingKeysWith: { first, _ in first })
    }

    /// Applies one event; any event that is not a `connectionChanged` is ignored. Returns the
    /// connections an `authorised` event resumed (whether or not they were paused).
    @discardableResult
    public mutating func apply(_ event: Event) -> Set<String> {
        guard event.kind == .connectionChanged,
            let name = event.body["connection"]?.stringValue
        else {
            return []
        }
        switch event.body["change"]?.stringValue {
        case Self.pausing?:
            let credential = credentials[name] ?? name
            paused[name] = Pause(
                connection: name,
                reason: event.body["reason"]?.stringValue ?? "no reason was recorded",
                command: event.body["command"]?.stringValue ?? "syncledger connect \(credential)",
                since: event.recordedAt, event: event.sequence)
            return []
        case Self.resuming?:
            var resumed: Set<String> = [name]
            for (connection, credential) in credentials where credential == name {
                resumed.insert(connection)
            }
            for connection in resumed {
                paused[connection] = nil
            }
            return resumed
        default:
            return []
        }
    }
}
