import LMDB

/// The log's LMDB environment and databases, and the reads and writes on them.
///
/// Four named databases (laid out in `docs/event-format.md`):
/// - `events`: sequence number → event;
/// - `ids`: event id → sequence number, for idempotent appends and lookups by id;
/// - `streams`: record reference and stream version → sequence number;
/// - `meta`: the format version and the counters `stats` shows.
struct LogStore: Sendable {
    let path: String
    let environment: Environment
    let events: Database
    let ids: Database
    let streams: Database
    let meta: Database

    static let databaseNames = ["events", "ids", "streams", "meta"]
    static let formatKey = Array("format.version".utf8)
    static let recordCountKey = Array("count.records".utf8)

    static func kindCountKey(_ kind: EventKind) -> [UInt8] {
        Array("count.kind.".utf8) + [kind.code]
    }

    init(directory: String, options: EventLog.Options) throws {
        path = directory
        var environmentOptions = Environment.Options()
        environmentOptions.readOnly = options.readOnly
        environmentOptions.initialMapSize = options.initialMapSize
        let environment: Environment
        do {
            environment = try Environment(path: directory, options: environmentOptions)
        } catch let error as LMDBError {
            throw LedgerError.storage(error, path: directory)
        }
        self.environment = environment

        do {
            let isNew = try !options.readOnly && environment.mainDatabaseEntries() == 0
            let opened =
                isNew
                ? try Self.create(in: environment)
                : try environment.openDatabases(Self.databaseNames, create: false)
            guard let events = opened["events"], let ids = opened["ids"],
                let streams = opened["streams"], let meta = opened["meta"]
            else {
                throw LedgerError(
                    .notALedger,
                    "\(directory) holds an LMDB environment, but not a SyncLedger ledger "
                        + "(its databases are missing)")
            }
            (self.events, self.ids, self.streams, self.meta) = (events, ids, streams, meta)
            try checkFormat()
        } catch let error as LMDBError {
            environment.close()
            throw LedgerError.storage(error, path: directory)
        } catch {
            environment.close()
            throw error
        }
    }

    /// Creates the databases and records the format version in one transaction, so that a
    /// crash while creating leaves either nothing or a whole, empty ledger.
    private static func create(in environment: Environment) throws -> [String: Database] {
        try environment.write { transaction in
            var databases: [String: Database] = [:]
            for name in databaseNames {
                databases[name] = try transaction.openDatabase(named: name, create: true)
            }
            try transaction.put(
                [EventLog.formatVersion], forKey: formatKey, in: databases["meta"]!)
            return databases
        }
    }

    private func checkFormat() throws {
        let stored = try environment.read { try $0.value(forKey: Self.formatKey, in: meta) }
        guard let stored, stored.count == 1 else {
            throw LedgerError(
                .notALedger, "\(path) holds an LMDB environment without a ledger format version")
        }
        if stored[0] > EventLog.formatVersion {
            throw LedgerError(
                .newerFormat,
                "the ledger at \(path) has format version \(stored[0]), but this build reads "
                    + "up to version \(EventLog.formatVersion); use a newer syncledger")
        }
    }

    /// Runs a read transaction, turning LMDB's errors into ``LedgerError``.
    func read<R>(_ body: (borrowing Transaction) throws -> R) throws -> R {
        do {
            return try environment.read(body)
        } catch let error as LMDBError {
            throw LedgerError.storage(error, path: path)
        }
    }

    // MARK: - Reading inside a transaction

    func lastSequence(in transaction: borrowing Transaction) throws -> SequenceNumber {
        try transaction.withCursor(on: events) { cursor in
            try cursor.withEntry(.last) { key, _ in EventCodec.sequence(fromKey: key) } ?? nil
        } ?? .zero
    }

    func sequence(ofEventID id: EventID, in transaction: borrowing Transaction) throws
        -> SequenceNumber?
    {
        try id.bytes.withUnsafeBytes { key in
            try transaction.withValue(forKey: key, in: ids) { value in
                EventCodec.sequence(fromKey: value)
            } ?? nil
        }
    }

    func event(at sequence: SequenceNumber, in transaction: borrowing Transaction) throws -> Event?
    {
        try EventCodec.key(sequence).withUnsafeBytes { key in
            try transaction.withValue(forKey: key, in: events) { value in
                try EventCodec.decode(value, at: sequence)
            }
        }
    }

    /// The version of a record's stream: the number of events it has.
    func streamVersion(prefix: [UInt8], in transaction: borrowing Transaction) throws -> UInt64 {
        let probe = EventCodec.streamKey(prefix: prefix, version: .max)
        return try transaction.withCursor(on: streams) { cursor in
            let landed = try probe.withUnsafeBytes { probe in
                try cursor.withEntry(atLeast: probe) { _, _ in true }
            }
            // The probe sorts after every entry of this stream, so its last entry is the one
            // before wherever the cursor landed (or the database's last entry).
            let previous: Cursor.Move = landed == nil ? .last : .previous
            return try cursor.withEntry(previous) { key, _ in
                Self.version(inStreamKey: key, prefix: prefix)
            } ?? 0
        }
    }

    static func version(inStreamKey key: UnsafeRawBufferPointer, prefix: [UInt8]) -> UInt64 {
        guard key.count == prefix.count + 8, key.prefix(prefix.count).elementsEqual(prefix) else {
            return 0
        }
        return UInt64(bigEndian: key.loadUnaligned(fromByteOffset: prefix.count, as: UInt64.self))
    }

    func counter(_ key: [UInt8], in transaction: borrowing Transaction) throws -> UInt64 {
        try key.withUnsafeBytes { key in
            try transaction.withValue(forKey: key, in: meta) { value in
                value.count == 8 ? UInt64(bigEndian: value.loadUnaligned(as: UInt64.self)) : 0
            }
        } ?? 0
    }
}
