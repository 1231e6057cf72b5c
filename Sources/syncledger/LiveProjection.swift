import Foundation
import Ledger
import Reconcile

/// A ledger's sync projection, kept in `<ledger>/projections/sync` and caught up with the log
/// before every question, so answers reflect every event appended so far.
struct LiveProjection {
    let log: EventLog
    let store: ProjectionStore

    /// Where the live projection of the ledger at `ledger` lives.
    static func directory(of ledger: String) -> String {
        ledger + "/projections/sync"
    }

    /// Opens the log for reading and the projection for writing, and catches it up. A store
    /// built by another version of the projection is rebuilt, with a note on standard error.
    static func open(ledger: String) throws -> LiveProjection {
        var options = EventLog.Options()
        options.readOnly = true
        let log = try EventLog.open(at: ledger, options: options)
        let projection = SyncProjection()
        let directory = directory(of: ledger)
        let store: ProjectionStore
        do {
            store = try ProjectionStore(
                at: directory, identity: projection.identity, tableNames: projection.tableNames)
        } catch let error as LedgerError where error.code == .projection {
            Output.note("the projections were built by another version; rebuilding them")
            try FileManager.default.removeItem(atPath: directory)
            store = try ProjectionStore(
                at: directory, identity: projection.identity, tableNames: projection.tableNames)
        }
        let live = LiveProjection(log: log, store: store)
        try live.catchUp()
        return live
    }

    /// Applies every event appended since the last question.
    func catchUp() throws {
        let last = try log.lastSequence()
        try Projector(log: log, store: store, projection: SyncProjection()).catchUp { position in
            Output.progress("projecting: \(position) of \(last) events")
        }
        Output.progress("", done: false)
    }

    func close() {
        store.close()
        log.close()
    }
}

/// A point in the log, given as a position (`1234`) or an RFC 3339 time, which means the last
/// event recorded at or before it.
enum LogPoint: Sendable {
    case sequence(SequenceNumber)
    case time(Timestamp)

    init?(_ text: String) {
        if let number = UInt64(text) {
            self = .sequence(SequenceNumber(number))
        } else if let time = Timestamp(rfc3339: text) {
            self = .time(time)
        } else {
            return nil
        }
    }

    static let expected = "a log position or an RFC 3339 time such as 2026-12-03T10:00:00Z"

    /// The position this point names in `log`.
    func resolve(in log: EventLog) throws -> SequenceNumber {
        switch self {
        case .sequence(let sequence): sequence
        case .time(let time): try log.lastSequence(recordedAtOrBefore: time)
        }
    }
}

extension Arguments {
    /// The positional argument at `index`, read as a record reference.
    func record(at index: Int, command: String) throws(UsageError) -> RecordReference {
        guard index < positionals.count else {
            throw UsageError(
                message: "missing the record, as connection:type/id", command: command)
        }
        guard let record = RecordReference(positionals[index]) else {
            throw UsageError(
                message: "'\(positionals[index])' is not a record; expected connection:type/id, "
                    + "as in zendesk:ticket/42",
                command: command)
        }
        return record
    }
}

extension Value {
    /// The value as JSON on one line, or `-` for none.
    static func show(_ value: Value?) -> String {
        value?.json ?? "-"
    }
}
