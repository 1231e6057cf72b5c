import Connectors
import Ledger
import Mapping
import Synchronization

/// One ``ConnectionGuard`` per configured connection, for the life of an engine, kept in step
/// with the pauses the log records.
///
/// A guard pauses its connection when work finds the authorisation gone, and records that once.
/// ``catchUp(with:)`` reads the `connectionChanged` events appended since it last looked: a
/// pause recorded by an earlier process pauses the guard again (so a restart does not call the
/// provider with a revoked credential), and an `authorised` event resumes it.
public final class ConnectionGuards: Sendable {
    private struct State {
        /// The next position of the log to read.
        var next = SequenceNumber.zero
        var pauses: ConnectionPauses
    }

    private let guards: [String: ConnectionGuard]
    private let credentials: [String: String]
    private let state: Mutex<State>

    /// Guards for the connections of `configuration`, recording their pauses in `log`.
    public init(configuration: Configuration, log: EventLog) {
        var guards: [String: ConnectionGuard] = [:]
        var credentials: [String: String] = [:]
        for connection in configuration.connections {
            guards[connection.name] = ConnectionGuard(connection: connection.name) { event in
                _ = try await log.append(AppendBatch([event]))
            }
            credentials[connection.name] = connection.credential
        }
        self.guards = guards
        self.credentials = credentials
        state = Mutex(State(pauses: ConnectionPauses(connections: configuration.connections)))
    }

    /// The guard of `connection`; `nil` for a connection the configuration does not name.
    public subscript(connection: String) -> ConnectionGuard? {
        guards[connection]
    }

    /// Whether `connection`'s work is refused for now.
    public func isPaused(_ connection: String) -> Bool {
        guards[connection]?.pause != nil
    }

    /// Reads the `connectionChanged` events appended since the last call and pauses or resumes
    /// the guards to match. A guard paused by work whose event could not be recorded stays
    /// paused until an `authorised` event resumes it.
    public func catchUp(with log: EventLog) throws {
        let (pauses, resumed) = try state.withLock { state in
            var resumed: Set<String> = []
            var last: SequenceNumber?
            try log.scan(from: state.next) { result in
                // An event that does not decode is left to the commands that report damage.
                guard let event = try? result.get() else {
                    return true
                }
                last = event.sequence
                resumed.formUnion(state.pauses.apply(event))
                return true
            }
            if let last {
                state.next = last.next
            }
            return (state.pauses.paused, resumed)
        }
        for (name, connectionGuard) in guards {
            if let pause = pauses[name] {
                connectionGuard.pause(
                    NeedsReauthorization(
                        connection: credentials[name] ?? name, reason: pause.reason))
            } else if resumed.contains(name) {
                connectionGuard.resume()
            }
        }
    }

    /// The pauses in force, by connection, with what the log says of each; a pause the log
    /// could not be told of has no time or event.
    public var pauses: [String: ConnectionPauses.Pause] {
        let recorded = state.withLock { $0.pauses.paused }
        var pauses: [String: ConnectionPauses.Pause] = [:]
        for (name, connectionGuard) in guards {
            guard let needed = connectionGuard.pause else {
                continue
            }
            pauses[name] =
                recorded[name]
                ?? ConnectionPauses.Pause(
                    connection: name, reason: needed.reason,
                    command: "syncledger connect \(needed.connection)")
        }
        return pauses
    }
}
