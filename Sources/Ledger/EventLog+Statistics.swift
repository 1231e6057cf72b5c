import Glibc
import LMDB

/// Counts and sizes of a ledger, as `syncledger stats` shows them.
public struct LedgerStatistics: Sendable {
    /// The ledger's format version.
    public var formatVersion: UInt8
    /// The position of the last event.
    public var lastSequence: SequenceNumber
    /// The number of events.
    public var eventCount: UInt64
    /// The number of distinct records with at least one event.
    public var recordCount: UInt64
    /// The number of events of each kind, for the kinds present.
    public var eventsByKind: [EventKind: UInt64]
    /// The size of the data file on disk, in bytes.
    public var fileBytes: Int
    /// The bytes of the data file in use.
    public var usedBytes: Int
    /// The size of the memory map, in bytes; it grows as needed.
    public var mapBytes: Int
}

extension EventLog {
    /// Reads the ledger's counts and sizes. Counts are kept as events are appended, so this
    /// does not scan the log.
    public func statistics() throws -> LedgerStatistics {
        let (last, records, byKind) = try store.read { transaction in
            let last = try store.lastSequence(in: transaction)
            let records = try store.counter(LogStore.recordCountKey, in: transaction)
            var byKind: [EventKind: UInt64] = [:]
            for code in UInt8.min...UInt8.max {
                let kind = EventKind(code: code)
                let count = try store.counter(LogStore.kindCountKey(kind), in: transaction)
                if count > 0 {
                    byKind[kind] = count
                }
            }
            return (last, records, byKind)
        }
        let info: Environment.Info
        do {
            info = try store.environment.info()
        } catch let error as LMDBError {
            throw LedgerError.storage(error, path: path)
        }
        var status = stat()
        let fileBytes = stat(path + "/data.mdb", &status) == 0 ? Int(status.st_size) : 0
        return LedgerStatistics(
            formatVersion: EventLog.formatVersion, lastSequence: last,
            eventCount: byKind.values.reduce(0, +), recordCount: records, eventsByKind: byKind,
            fileBytes: fileBytes, usedBytes: info.usedBytes, mapBytes: info.mapSize)
    }
}
