import Glibc
import LMDB

/// Where a projection keeps its state: an LMDB environment of its own, holding the
/// projection's named tables and a `meta` table with the projection's identity and its
/// checkpoint, the last log position applied.
///
/// The checkpoint moves in the same transaction as the state it describes, so after a crash
/// the store holds exactly the events up to its checkpoint, and catching up resumes after it.
/// A store is separate from the log's environment, so it can be dropped and rebuilt by replay
/// without touching the log.
public final class ProjectionStore: Sendable {
    /// The directory of the store's environment.
    public let path: String
    /// The projection that owns the store, as ``Projection/identity`` names it.
    public let identity: String
    /// Whether the store was opened without writing.
    public let isReadOnly: Bool

    let environment: Environment
    private let meta: Database
    private let tables: [String: ProjectionTable]

    private static let identityKey = Array("projection.identity".utf8)
    private static let checkpointKey = Array("projection.checkpoint".utf8)
    private static let metaName = "meta"

    /// Opens the store at `directory` for the projection `identity` with `tableNames`,
    /// creating it when it does not exist (unless `readOnly`).
    ///
    /// A `scratch` store does not wait for the disk at each batch and writes straight into its
    /// memory map: for a rebuild that is thrown away, or synced once at the end with
    /// ``sync()``. A crash of the machine can damage it.
    ///
    /// Throws ``LedgerError/Code/projection`` when the store was built by another projection
    /// (another identity): its contents mean something else, and it must be rebuilt.
    public init(
        at directory: String, identity: String, tableNames: [String], readOnly: Bool = false,
        scratch: Bool = false
    ) throws {
        precondition(!tableNames.contains(Self.metaName), "'meta' is the store's own table")
        if !readOnly {
            try EventLog.makeDirectories(directory)
        }
        var options = Environment.Options()
        options.readOnly = readOnly
        options.maxDatabases = UInt32(tableNames.count + 1)
        options.syncsEachCommit = !scratch
        options.writesToMap = scratch
        let environment: Environment
        do {
            environment = try Environment(path: directory, options: options)
        } catch let error as LMDBError {
            throw LedgerError.storage(error, path: directory)
        }
        do {
            let opened = try environment.openDatabases(
                tableNames + [Self.metaName], create: !readOnly)
            guard let meta = opened[Self.metaName], opened.count == tableNames.count + 1 else {
                throw LedgerError(
                    .notFound, "the projection store at \(directory) is missing tables")
            }
            var tables: [String: ProjectionTable] = [:]
            for name in tableNames {
                tables[name] = ProjectionTable(name: name, database: opened[name]!)
            }
            let stored = try environment.read { try $0.value(forKey: Self.identityKey, in: meta) }
            switch stored {
            case nil where !readOnly:
                try environment.write { transaction in
                    try transaction.put(Array(identity.utf8), forKey: Self.identityKey, in: meta)
                }
            case let stored? where stored.elementsEqual(identity.utf8):
                break
            case let stored:
                let found = stored.map { String(decoding: $0, as: UTF8.self) } ?? "nothing"
                throw LedgerError(
                    .projection,
                    "the projection store at \(directory) was built by '\(found)', not by "
                        + "'\(identity)'; rebuild it with `syncledger replay`")
            }
            self.meta = meta
            self.tables = tables
        } catch let error as LMDBError {
            environment.close()
            throw LedgerError.storage(error, path: directory)
        } catch {
            environment.close()
            throw error
        }
        self.environment = environment
        self.path = directory
        self.identity = identity
        self.isReadOnly = readOnly
    }

    /// Closes the environment; later calls fail with ``LedgerError/Code/closed``.
    public func close() {
        environment.close()
    }

    deinit {
        environment.close()
    }

    /// Waits until everything committed is on disk: what a ``init(at:identity:tableNames:readOnly:scratch:)``
    /// scratch store needs before it is kept.
    public func sync() throws {
        try storage { try environment.sync() }
    }

    /// The size of the store's data file in bytes.
    public var fileBytes: Int {
        var status = stat()
        return stat(path + "/data.mdb", &status) == 0 ? Int(status.st_size) : 0
    }

    /// The last log position applied; ``SequenceNumber/zero`` for a new store.
    public func checkpoint() throws -> SequenceNumber {
        try storage {
            try environment.read { transaction in
                try Self.checkpoint(in: transaction, meta: meta)
            }
        }
    }

    /// The names of the projection's tables, sorted.
    public var tableNames: [String] { tables.keys.sorted() }

    /// Runs `body` in a read transaction: a consistent snapshot of every table.
    public func read<R>(_ body: (borrowing ProjectionTables) throws -> R) throws -> R {
        try storage {
            try environment.read { transaction in
                try withUnsafePointer(to: transaction) { pointer in
                    try body(ProjectionTables(pointer, tables: tables, path: path))
                }
            }
        }
    }

    /// Runs `body` in a write transaction that moves the checkpoint from `start` to `end`, and
    /// commits both durably together. Returns `nil`, without running `body`, when the store is
    /// no longer at `start`: another process applied those events first.
    ///
    /// `body` may run more than once (when the map grows, the transaction starts over), so it
    /// must change nothing but the tables. Throws ``LedgerError/Code/projection`` when `end`
    /// is before `start`: a store never moves backwards.
    public func write<R>(
        advancingFrom start: SequenceNumber, to end: SequenceNumber,
        _ body: (borrowing ProjectionTables) throws -> R
    ) throws -> R? {
        guard end >= start else {
            throw LedgerError(
                .projection,
                "the projection store at \(path) cannot move back from \(start) to \(end)")
        }
        return try storage {
            try environment.write { transaction -> R? in
                guard try Self.checkpoint(in: transaction, meta: meta) == start else {
                    return nil
                }
                let result = try withUnsafePointer(to: transaction) { pointer in
                    try body(ProjectionTables(pointer, tables: tables, path: path))
                }
                try transaction.put(EventCodec.key(end), forKey: Self.checkpointKey, in: meta)
                return result
            }
        }
    }

    /// Calls `body` with every entry of every table, tables in name order and entries in key
    /// order, the `meta` table last. Two stores hold the same state exactly when these calls
    /// see the same bytes.
    public func forEachEntry(
        _ body: (_ table: String, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer)
            throws -> Void
    ) throws {
        let named = tables.values.sorted { $0.name < $1.name }
        let all = named.map { ($0.name, $0.database) } + [(Self.metaName, meta)]
        try storage {
            try environment.read { transaction in
                for (name, database) in all {
                    try transaction.withCursor(on: database) { cursor in
                        var move = Cursor.Move.first
                        while try cursor.withEntry(
                            move,
                            { key, value in
                                try body(name, key, value)
                            }) != nil
                        {
                            move = .next
                        }
                    }
                }
            }
        }
    }

    private static func checkpoint(in transaction: borrowing Transaction, meta: Database) throws
        -> SequenceNumber
    {
        let stored = try checkpointKey.withUnsafeBytes { key in
            try transaction.withValue(forKey: key, in: meta) { EventCodec.sequence(fromKey: $0) }
        }
        switch stored {
        case nil:
            return .zero
        case let sequence??:
            return sequence
        case .some(nil):
            throw LedgerError(.corrupt, "a projection store's checkpoint is not 8 bytes long")
        }
    }

    private func storage<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as LMDBError {
            throw LedgerError.storage(error, path: path)
        }
    }
}

extension ProjectionStore {
    /// The projection digest: SHA-256 over every entry ``forEachEntry(_:)`` visits, each as the
    /// table name, key and value, every part preceded by its length (4 bytes, big-endian).
    ///
    /// Two stores have the same digest exactly when they hold the same state at the same
    /// checkpoint, whatever order their events were applied in batches.
    public func digest() throws -> Digest {
        var hasher = Hasher256()
        try forEachEntry { table, key, value in
            hasher.update(length: table.utf8.count)
            hasher.update(Array(table.utf8))
            hasher.update(length: key.count)
            hasher.update(key)
            hasher.update(length: value.count)
            hasher.update(value)
        }
        return hasher.finish()
    }

    /// Where this store's state first differs from `other`'s: the table and key of the first
    /// entry that is missing from one or holds other bytes; `nil` when they are the same.
    public func firstDifference(from other: ProjectionStore) throws -> (
        table: String, key: [UInt8]
    )? {
        var mine: [(String, [UInt8], [UInt8])] = []
        try forEachEntry { table, key, value in mine.append((table, Array(key), Array(value))) }
        var index = 0
        var difference: (String, [UInt8])?
        try other.forEachEntry { table, key, value in
            guard difference == nil else {
                return
            }
            guard index < mine.count else {
                difference = (table, Array(key))
                return
            }
            let (myTable, myKey, myValue) = mine[index]
            if myTable != table || !myKey.elementsEqual(key) || !myValue.elementsEqual(value) {
                // Within one table the smaller key is the one the other store lacks.
                let theirsFirst = table == myTable && Array(key).lexicographicallyPrecedes(myKey)
                difference = theirsFirst ? (table, Array(key)) : (myTable, myKey)
            }
            index += 1
        }
        if difference == nil, index < mine.count {
            difference = (mine[index].0, mine[index].1)
        }
        return difference
    }
}
