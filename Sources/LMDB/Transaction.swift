import CLMDB

/// A named database inside an environment: a sorted map from byte keys to byte values.
///
/// A handle stays valid for the life of the environment once the transaction that opened it
/// has committed. Keys sort as unsigned bytes, so big-endian integers sort numerically.
public struct Database: Sendable, Hashable {
    let handle: MDB_dbi

    /// The database's name, or `nil` for the environment's main database.
    public let name: String?
}

/// Flags for ``Transaction/put(_:forKey:in:flags:)``.
public struct PutFlags: OptionSet, Sendable {
    /// The flags as LMDB takes them.
    public let rawValue: UInt32

    /// Creates flags from LMDB's raw value.
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Refuse to replace an existing key; the put reports the value already stored.
    public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))

    /// The key sorts after every existing key, so LMDB can skip the search. A key that does not
    /// sort last fails with `MDB_KEYEXIST`.
    public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
}

/// What a put did.
public enum PutOutcome: Sendable, Equatable {
    /// The value was stored.
    case stored
    /// The key existed and ``PutFlags/noOverwrite`` kept it; this is the value already stored.
    case keyExists([UInt8])
}

/// The counts LMDB keeps for one database.
public struct DatabaseStatistics: Sendable {
    /// The number of key/value entries.
    public var entries: Int
    /// The depth of the B-tree.
    public var depth: Int
    /// Branch, leaf and overflow pages together.
    public var pages: Int
}

/// A read or write transaction, valid only inside the closure that received it.
///
/// It cannot be copied or kept: the environment ends it when the closure returns. Raw buffers it
/// hands out point into the memory map and are valid only inside the closure they are passed to.
public struct Transaction: ~Copyable {
    let pointer: OpaquePointer

    /// Whether the transaction can only read.
    public let isReadOnly: Bool

    init(pointer: OpaquePointer, isReadOnly: Bool) {
        self.pointer = pointer
        self.isReadOnly = isReadOnly
    }

    // MARK: - Databases

    /// Opens the database called `name` (or the main database for `nil`), creating it if asked.
    ///
    /// Returns `nil` when the database does not exist and `create` is false. Creating needs a
    /// write transaction.
    public func openDatabase(named name: String?, create: Bool = false) throws -> Database? {
        var handle: MDB_dbi = 0
        let flags = create ? UInt32(MDB_CREATE) : 0
        let result = mdb_dbi_open(pointer, name, flags, &handle)
        if result == MDB_NOTFOUND {
            return nil
        }
        try check(result, "mdb_dbi_open(\(name ?? "main"))")
        return Database(handle: handle, name: name)
    }

    /// The entry count, depth and page count of `database`.
    public func statistics(of database: Database) throws -> DatabaseStatistics {
        var stat = MDB_stat()
        try check(mdb_stat(pointer, database.handle, &stat), "mdb_stat")
        return DatabaseStatistics(
            entries: stat.ms_entries,
            depth: Int(stat.ms_depth),
            pages: stat.ms_branch_pages + stat.ms_leaf_pages + stat.ms_overflow_pages
        )
    }

    // MARK: - Reading

    /// Calls `body` with the value stored for `key`, or returns `nil` when there is none.
    ///
    /// The buffer points into the map and is valid only inside `body`.
    @inlinable
    public func withValue<R>(
        forKey key: UnsafeRawBufferPointer,
        in database: Database,
        _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R? {
        // Inlined around a call that is not generic: hot lookups pay no generic dispatch.
        var result: R?
        try visitValue(forKey: key, in: database) { result = try body($0) }
        return result
    }

    /// Calls `body` with the value stored for `key`, if there is one; returns whether there
    /// was. The buffer points into the map and is valid only inside `body`.
    @discardableResult
    public func visitValue(
        forKey key: UnsafeRawBufferPointer,
        in database: Database,
        _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Bool {
        var keyValue = MDB_val(
            mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var data = MDB_val()
        let result = mdb_get(pointer, database.handle, &keyValue, &data)
        if result == MDB_NOTFOUND {
            return false
        }
        try check(result, "mdb_get")
        try body(UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size))
        return true
    }

    /// The value stored for `key`, copied out of the map, or `nil` when there is none.
    public func value(forKey key: [UInt8], in database: Database) throws -> [UInt8]? {
        try key.withUnsafeBytes { key in
            try withValue(forKey: key, in: database) { Array($0) }
        }
    }

    // MARK: - Writing

    /// Stores `value` under `key`.
    ///
    /// With ``PutFlags/noOverwrite``, an existing key is left alone and its value returned as
    /// ``PutOutcome/keyExists(_:)``. Throws `MDB_MAP_FULL` when the map is full; the
    /// environment's `write` handles that by growing the map and running again.
    @discardableResult
    public func put(
        _ value: UnsafeRawBufferPointer,
        forKey key: UnsafeRawBufferPointer,
        in database: Database,
        flags: PutFlags = []
    ) throws -> PutOutcome {
        var keyValue = MDB_val(
            mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var data = MDB_val(
            mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        let result = mdb_put(pointer, database.handle, &keyValue, &data, flags.rawValue)
        if result == MDB_KEYEXIST && flags.contains(.noOverwrite) {
            return .keyExists(
                Array(UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size)))
        }
        try check(result, "mdb_put")
        return .stored
    }

    /// Stores `value` under `key`; see ``put(_:forKey:in:flags:)-(UnsafeRawBufferPointer,_,_,_)``.
    @discardableResult
    public func put(
        _ value: [UInt8], forKey key: [UInt8], in database: Database, flags: PutFlags = []
    ) throws -> PutOutcome {
        try value.withUnsafeBytes { value in
            try key.withUnsafeBytes { key in
                try put(value, forKey: key, in: database, flags: flags)
            }
        }
    }

    /// Removes `key` and its value. Returns whether the key existed.
    @discardableResult
    public func delete(key: [UInt8], in database: Database) throws -> Bool {
        try key.withUnsafeBytes { key in
            var keyValue = MDB_val(
                mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
            let result = mdb_del(pointer, database.handle, &keyValue, nil)
            if result == MDB_NOTFOUND {
                return false
            }
            try check(result, "mdb_del")
            return true
        }
    }

    /// Runs `body` in a transaction nested in this write transaction.
    ///
    /// If `body` throws, what it wrote is discarded and this transaction goes on unharmed; if it
    /// returns, its writes become part of this transaction (and are durable only when this one
    /// commits).
    public func nested<R>(_ body: (borrowing Transaction) throws -> R) throws -> R {
        var child: OpaquePointer?
        try check(mdb_txn_begin(mdb_txn_env(pointer), pointer, 0, &child), "mdb_txn_begin(nested)")
        let result: R
        do {
            result = try body(Transaction(pointer: child!, isReadOnly: false))
        } catch {
            mdb_txn_abort(child)
            throw error
        }
        // A commit frees the transaction even when it fails, so it is never aborted after.
        try check(mdb_txn_commit(child), "mdb_txn_commit(nested)")
        return result
    }

    // MARK: - Cursors

    /// Runs `body` with a cursor over `database`, closing the cursor afterwards.
    public func withCursor<R>(
        on database: Database, _ body: (borrowing Cursor) throws -> R
    ) throws -> R {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(pointer, database.handle, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }
        return try body(Cursor(pointer: cursor!))
    }
}
