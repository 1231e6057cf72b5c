import Ledger
import Synchronization

/// Pauses one connection's work when its authorisation is gone, and says so once in the log.
///
/// Work for the connection runs through ``run(_:)``. When an operation fails with
/// ``NeedsReauthorization``, the guard records one `connectionChanged` event (`change:
/// needsReauthorization`, the reason, and the command to run: `syncledger connect` with the
/// vault name the error gives, which is the credential's name) through `record`, and from then
/// on refuses the connection's work at once, without calling the provider, until ``resume()``
/// (after `syncledger connect`). Other connections have guards of their own and go on.
public final class ConnectionGuard: Sendable {
    /// The connection guarded.
    public let connection: String
    private let record: @Sendable (NewEvent) async throws -> Void
    private let pausedBy = Mutex<NeedsReauthorization?>(nil)

    /// A guard for `connection` that records its events with `record` (an append to the log).
    public init(connection: String, record: @escaping @Sendable (NewEvent) async throws -> Void) {
        self.connection = connection
        self.record = record
    }

    /// Why the connection is paused; `nil` while it works.
    public var pause: NeedsReauthorization? {
        pausedBy.withLock { $0 }
    }

    /// Runs `operation` unless the connection is paused; pauses it when the operation finds
    /// the authorisation gone.
    public func run<R: Sendable>(_ operation: @Sendable () async throws -> R) async throws -> R {
        if let paused = pause {
            throw paused
        }
        do {
            return try await operation()
        } catch let needed as NeedsReauthorization {
            let first = pausedBy.withLock { paused -> Bool in
                defer { paused = paused ?? needed }
                return paused == nil
            }
            if first {
                try await record(
                    NewEvent(
                        kind: .connectionChanged, record: nil,
                        body: [
                            "connection": .string(connection), "change": "needsReauthorization",
                            "reason": .string(needed.reason),
                            "command": .string("syncledger connect \(needed.connection)"),
                        ]))
            }
            throw needed
        }
    }

    /// Pauses the connection without recording anything: for a pause the log already holds,
    /// found again when a process starts. A pause in force is kept as it is.
    public func pause(_ reason: NeedsReauthorization) {
        pausedBy.withLock { paused in
            paused = paused ?? reason
        }
    }

    /// Lets the connection's work run again, once it is authorised anew.
    public func resume() {
        pausedBy.withLock { $0 = nil }
    }
}
