import Connectors
import Engine
import Foundation
import Ledger
import Mapping
import Reconcile

/// What the commands that talk to the providers open: the configuration file, checked to be
/// the one in force, the log, the sync projection's store, and an engine over them.
struct EngineSetup {
    /// The configuration file read.
    let file: ConfigurationFile
    /// The open log.
    let log: EventLog
    /// The sync projection's store.
    let store: ProjectionStore
    /// The engine over them.
    let engine: SyncEngine

    /// Opens everything for the ledger at `ledger` and the configuration at `path`; `nil`
    /// after saying what is wrong, when the file has problems or is not the one in force.
    static func open(ledger: String, configuration path: String, doing: String) throws
        -> EngineSetup?
    {
        guard let file = ConfigurationSource.file(path, consequence: "; nothing was \(doing)")
        else {
            return nil
        }
        let log = try EventLog.open(at: ledger)
        do {
            guard try ApplyCommand.digestInForce(log) == file.digest else {
                Output.error(
                    "\(path) is not the configuration in force; run syncledger apply \(path)")
                log.close()
                return nil
            }
            let store = try openStore(of: ledger)
            let retry = file.configuration.retry
            var policy = RetryPolicy()
            policy.maximumAttempts = retry.attempts ?? policy.maximumAttempts
            policy.baseDelay = retry.baseDelay ?? policy.baseDelay
            policy.maximumDelay = retry.maximumDelay ?? policy.maximumDelay
            policy.maximumTotalWait = retry.maximumWait ?? policy.maximumTotalWait
            var connections = try Connections(
                ledger: ledger, client: ConnectorClient(policy: policy))
            // Each refresh of an OAuth access token is recorded (never the token itself).
            connections.tokenRefresh.record = { event in
                _ = try await log.append(AppendBatch([event]))
            }
            let engine = SyncEngine(
                log: log, store: store, configuration: file.configuration,
                connections: connections)
            return EngineSetup(file: file, log: log, store: store, engine: engine)
        } catch {
            log.close()
            throw error
        }
    }

    /// Closes the store and the log.
    func close() {
        store.close()
        log.close()
    }

    /// The sync projection's store of the ledger at `ledger`, rebuilt when another version
    /// built it.
    private static func openStore(of ledger: String) throws -> ProjectionStore {
        let projection = SyncProjection()
        let directory = LiveProjection.directory(of: ledger)
        do {
            return try ProjectionStore(
                at: directory, identity: projection.identity, tableNames: projection.tableNames)
        } catch let error as LedgerError where error.code == .projection {
            Output.note("the projections were built by another version; rebuilding them")
            try FileManager.default.removeItem(atPath: directory)
            return try ProjectionStore(
                at: directory, identity: projection.identity, tableNames: projection.tableNames)
        }
    }
}
