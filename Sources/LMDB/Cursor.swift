import CLMDB

/// A position in a database, moved key by key in sorted order.
///
/// A cursor lives only inside ``Transaction/withCursor(on:_:)``. The buffers it passes to a
/// closure point into the memory map and are valid only inside that closure.
public struct Cursor: ~Copyable {
    let pointer: OpaquePointer

    /// Where to move the cursor.
    public enum Move: Sendable {
        /// The first entry of the database.
        case first
        /// The last entry of the database.
        case last
        /// The entry after the current one.
        case next
        /// The entry before the current one.
        case previous
        /// The entry the cursor is on.
        case current

        var operation: MDB_cursor_op {
            switch self {
            case .first: MDB_FIRST
            case .last: MDB_LAST
            case .next: MDB_NEXT
            case .previous: MDB_PREV
            case .current: MDB_GET_CURRENT
            }
        }
    }

    /// Moves the cursor and calls `body` with the entry it lands on.
    ///
    /// Returns `nil`, without calling `body`, when there is no such entry (the end of the
    /// database, or an empty one).
    public func withEntry<R>(
        _ move: Move,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> R
    ) throws -> R? {
        var key = MDB_val()
        var value = MDB_val()
        let result = mdb_cursor_get(pointer, &key, &value, move.operation)
        if result == MDB_NOTFOUND {
            return nil
        }
        try check(result, "mdb_cursor_get")
        return try body(
            UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size),
            UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
    }

    /// Moves the cursor to the first entry whose key is at least `key`, and calls `body` with it.
    ///
    /// Returns `nil` when every key sorts before `key`.
    public func withEntry<R>(
        atLeast key: UnsafeRawBufferPointer,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> R
    ) throws -> R? {
        var keyValue = MDB_val(
            mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var value = MDB_val()
        let result = mdb_cursor_get(pointer, &keyValue, &value, MDB_SET_RANGE)
        if result == MDB_NOTFOUND {
            return nil
        }
        try check(result, "mdb_cursor_get(MDB_SET_RANGE)")
        return try body(
            UnsafeRawBufferPointer(start: keyValue.mv_data, count: keyValue.mv_size),
            UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
    }

    /// The entry the move lands on, copied out of the map, or `nil` when there is none.
    public func entry(_ move: Move) throws -> (key: [UInt8], value: [UInt8])? {
        try withEntry(move) { (Array($0), Array($1)) }
    }

    /// The first entry whose key is at least `key`, copied out of the map.
    public func entry(atLeast key: [UInt8]) throws -> (key: [UInt8], value: [UInt8])? {
        try key.withUnsafeBytes { key in
            try withEntry(atLeast: key) { (Array($0), Array($1)) }
        }
    }

    /// Stores `value` under `key` through the cursor, leaving the cursor on the new entry.
    ///
    /// With ``PutFlags/append`` this is the fastest way to add keys in sorted order.
    public func put(
        _ value: UnsafeRawBufferPointer,
        forKey key: UnsafeRawBufferPointer,
        flags: PutFlags = []
    ) throws {
        var keyValue = MDB_val(
            mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var data = MDB_val(
            mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try check(mdb_cursor_put(pointer, &keyValue, &data, flags.rawValue), "mdb_cursor_put")
    }
}
