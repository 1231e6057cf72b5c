import LMDB

/// One named table of a ``ProjectionStore``: keys and values are bytes, keys sort byte-wise.
public struct ProjectionTable: Sendable, Hashable, CustomStringConvertible {
    /// The table's name.
    public let name: String
    let database: Database

    /// The name.
    public var description: String { name }
}

/// The tables of a projection store inside one transaction.
///
/// A projection receives this as a `borrowing` parameter: it cannot keep it past the call,
/// which is what makes the transaction underneath safe to reach. Buffers passed to closures
/// point into the memory map and are valid only inside the closure.
public struct ProjectionTables: ~Copyable {
    private let transaction: UnsafePointer<Transaction>
    private let tables: [String: ProjectionTable]
    private let path: String

    init(_ transaction: UnsafePointer<Transaction>, tables: [String: ProjectionTable], path: String)
    {
        self.transaction = transaction
        self.tables = tables
        self.path = path
    }

    /// Whether writes are allowed.
    public var isWritable: Bool { !transaction.pointee.isReadOnly }

    /// The table called `name`; it must be one the projection declared.
    public func table(_ name: String) throws -> ProjectionTable {
        guard let table = tables[name] else {
            throw LedgerError(.projection, "the projection store has no table '\(name)'")
        }
        return table
    }

    /// Calls `body` with the value stored for `key` in `table`; `nil` when there is none.
    @inlinable
    public func withValue<R>(
        in table: ProjectionTable, forKey key: [UInt8],
        _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R? {
        // The generic form is inlined into its caller around a call that is not generic, so a
        // fold that makes millions of lookups pays no generic dispatch for them.
        var result: R?
        try visitValue(in: table, forKey: key) { result = try body($0) }
        return result
    }

    /// Calls `body` with the value stored for `key` in `table`, if there is one; returns
    /// whether there was.
    @discardableResult
    public func visitValue(
        in table: ProjectionTable, forKey key: [UInt8],
        _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Bool {
        do {
            return try key.withUnsafeBytes { key in
                try transaction.pointee.visitValue(forKey: key, in: table.database, body)
            }
        } catch let error as LMDBError {
            throw LedgerError.storage(error, path: path)
        }
    }

    /// The value stored for `key` in `table`, copied out; `nil` when there is none.
    public func value(in table: ProjectionTable, forKey key: [UInt8]) throws -> [UInt8]? {
        try withValue(in: table, forKey: key) { Array($0) }
    }

    /// Stores `value` under `key` in `table`, replacing any value there.
    public func put(_ value: [UInt8], forKey key: [UInt8], in table: ProjectionTable) throws {
        _ = try storage {
            try transaction.pointee.put(value, forKey: key, in: table.database)
        }
    }

    /// Removes `key` from `table`; returns whether it was there.
    @discardableResult
    public func delete(_ key: [UInt8], in table: ProjectionTable) throws -> Bool {
        try storage {
            try transaction.pointee.delete(key: key, in: table.database)
        }
    }

    /// Calls `body` with each entry of `table` whose key starts with `prefix`, in key order,
    /// until it returns `false`.
    public func forEach(
        in table: ProjectionTable, withPrefix prefix: [UInt8] = [],
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try storage {
            try transaction.pointee.withCursor(on: table.database) { cursor in
                // LMDB refuses an empty key to search from: the whole table starts at its first
                // entry.
                var landed =
                    prefix.isEmpty
                    ? try cursor.withEntry(.first) { key, value in try body(key, value) }
                    : try prefix.withUnsafeBytes { start in
                        try cursor.withEntry(atLeast: start) { key, value in
                            key.starts(with: prefix) ? try body(key, value) : false
                        }
                    }
                while landed == true {
                    landed = try cursor.withEntry(.next) { key, value in
                        key.starts(with: prefix) ? try body(key, value) : false
                    }
                }
            }
        }
    }

    /// The number of entries in `table`.
    public func count(of table: ProjectionTable) throws -> Int {
        try storage { try transaction.pointee.statistics(of: table.database).entries }
    }

    /// Runs an LMDB call, naming the store in its errors. A full map is passed on untouched:
    /// the store's writer grows the map and runs the transaction again.
    private func storage<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as LMDBError where error.code == LMDBError.mapFull {
            throw error
        } catch let error as LMDBError {
            throw LedgerError.storage(error, path: path)
        }
    }
}
