import Connectors
import Ledger
import Reconcile

extension SyncEngine {
    /// Runs `operation` as work of the connection named `name`, under its guard: refused at
    /// once while the connection is paused, and pausing it when the provider refuses its
    /// credential. Work for a name the configuration does not know runs unguarded.
    func guarded<R: Sendable>(
        _ name: String, _ operation: @Sendable () async throws -> R
    ) async throws -> R {
        guard let connectionGuard = guards[name],
            let connection = configuration.connection(named: name)
        else {
            return try await operation()
        }
        let connections = self.connections
        return try await connectionGuard.run {
            try await connections.confirmingAuthorization(of: connection, operation)
        }
    }

    /// Throws the pause of `connection` when it is paused, before anything is recorded.
    func refuseWhilePaused(_ connection: String) throws {
        if let pause = guards[connection]?.pause {
            throw pause
        }
    }

    /// Ends a pass: the pauses in force go into the report, and the rate limits the providers
    /// reported are kept beside the ledger for `syncledger status`.
    func finish(_ report: inout PassReport) throws {
        try guards.catchUp(with: log)
        report.paused = guards.pauses
        try BudgetSnapshot.update(
            ledger: log.path, with: connections.rateLimits.readings,
            at: connections.rateLimits.now())
    }
}

extension PlannedWrite {
    /// The connection the write goes to: a create's target, or the record updated.
    public var targetConnection: String {
        intent.operation == .create ? intent.target?.connection ?? "" : record.connection
    }
}

extension PendingIntent {
    /// The connection the write went to: a create's target, or the record updated.
    var targetConnection: String {
        operation == .create ? target?.connection ?? "" : record.connection
    }
}
