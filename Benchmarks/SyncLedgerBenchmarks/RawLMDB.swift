import CLMDB
import Glibc
import Ledger
import Synchronization

/// A failed liblmdb call in the raw baselines, with LMDB's message.
struct RawLMDBError: Error, CustomStringConvertible {
    /// The liblmdb function that failed.
    let function: String
    /// Its return code.
    let code: Int32

    /// `"mdb_put failed: MDB_MAP_FULL: Environment mapsize limit reached"`.
    var description: String {
        "\(function) failed: \(String(cString: mdb_strerror(code))) (code \(code))"
    }
}

/// Throws a ``RawLMDBError`` for any return code but `MDB_SUCCESS`.
@inline(__always)
func checkLMDB(_ code: Int32, _ function: StaticString) throws(RawLMDBError) {
    if code != MDB_SUCCESS {
        throw RawLMDBError(function: "\(function)", code: code)
    }
}

/// An LMDB environment driven through liblmdb directly, laid out like a ledger: the databases
/// `events`, `ids`, `streams` and `meta`.
///
/// It is the baseline the ledger is measured against: the same puts and reads with no Swift
/// wrapper, no encoding and no checks beyond LMDB's return codes. Commits are durable (no
/// `MDB_NOSYNC`) and the map is sized up front.
///
/// `@unchecked Sendable`: LMDB allows an environment handle to be shared between threads; it
/// is opened with `MDB_NOTLS`, write transactions are serialised by LMDB itself, and the handle
/// is closed only after every thread using it has been joined.
final class RawEnvironment: @unchecked Sendable {
    /// The environment handle.
    let handle: OpaquePointer
    /// `events`: big-endian sequence number to stored event.
    let events: MDB_dbi
    /// `ids`: event id to big-endian sequence number.
    let ids: MDB_dbi
    /// `streams`: stream key to big-endian sequence number.
    let streams: MDB_dbi

    /// Opens (creating when `create` is true) the environment in the existing `directory`.
    init(directory: String, mapSize: Int, create: Bool) throws {
        var created: OpaquePointer?
        try checkLMDB(mdb_env_create(&created), "mdb_env_create")
        let handle = created!
        do {
            try checkLMDB(mdb_env_set_maxdbs(handle, 8), "mdb_env_set_maxdbs")
            try checkLMDB(mdb_env_set_mapsize(handle, mapSize), "mdb_env_set_mapsize")
            let flags = UInt32(MDB_NOTLS) | (create ? 0 : UInt32(MDB_RDONLY))
            try checkLMDB(mdb_env_open(handle, directory, flags, 0o644), "mdb_env_open")

            var transaction: OpaquePointer?
            try checkLMDB(
                mdb_txn_begin(handle, nil, create ? 0 : UInt32(MDB_RDONLY), &transaction),
                "mdb_txn_begin")
            var opened: [MDB_dbi] = []
            do {
                for name in ["events", "ids", "streams", "meta"] {
                    var database: MDB_dbi = 0
                    try checkLMDB(
                        mdb_dbi_open(transaction, name, create ? UInt32(MDB_CREATE) : 0, &database),
                        "mdb_dbi_open")
                    opened.append(database)
                }
            } catch {
                mdb_txn_abort(transaction)
                throw error
            }
            try checkLMDB(mdb_txn_commit(transaction), "mdb_txn_commit")
            (events, ids, streams) = (opened[0], opened[1], opened[2])
        } catch {
            mdb_env_close(handle)
            throw error
        }
        self.handle = handle
    }

    deinit {
        mdb_env_close(handle)
    }

    /// Writes `entries` in one durable write transaction: per event the `ids`, `streams` and
    /// `events` puts the ledger makes, in the same order and with the same flags.
    func write(_ entries: [RawEntry]) throws {
        var transaction: OpaquePointer?
        try checkLMDB(mdb_txn_begin(handle, nil, 0, &transaction), "mdb_txn_begin")
        do {
            for entry in entries {
                try put(entry, in: transaction)
            }
        } catch {
            mdb_txn_abort(transaction)
            throw error
        }
        try checkLMDB(mdb_txn_commit(transaction), "mdb_txn_commit")
    }

    /// Writes one event in its own durable write transaction, encoding it once the transaction
    /// has fixed its position; LMDB makes concurrent callers take turns.
    func writeOne(_ event: NewEvent, encoder: borrowing Mutex<RawEventEncoder>) throws {
        var transaction: OpaquePointer?
        try checkLMDB(mdb_txn_begin(handle, nil, 0, &transaction), "mdb_txn_begin")
        do {
            let recordedAt = SystemClock().now()
            let entry = encoder.withLock { $0.encode(event, recordedAt: recordedAt) }
            try put(entry, in: transaction)
        } catch {
            mdb_txn_abort(transaction)
            throw error
        }
        try checkLMDB(mdb_txn_commit(transaction), "mdb_txn_commit")
    }

    private func put(_ entry: RawEntry, in transaction: OpaquePointer?) throws {
        try entry.sequenceKey.withUnsafeBytes { sequenceKey in
            var sequence = MDB_val(
                mv_size: 8, mv_data: UnsafeMutableRawPointer(mutating: sequenceKey.baseAddress))
            try entry.idKey.withUnsafeBytes { idKey in
                var key = MDB_val(
                    mv_size: 16, mv_data: UnsafeMutableRawPointer(mutating: idKey.baseAddress))
                try checkLMDB(
                    mdb_put(transaction, ids, &key, &sequence, UInt32(MDB_NOOVERWRITE)),
                    "mdb_put(ids)")
            }
            try entry.streamKey.withUnsafeBytes { streamKey in
                var key = MDB_val(
                    mv_size: streamKey.count,
                    mv_data: UnsafeMutableRawPointer(mutating: streamKey.baseAddress))
                try checkLMDB(mdb_put(transaction, streams, &key, &sequence, 0), "mdb_put(streams)")
            }
            try entry.value.withUnsafeBytes { value in
                var data = MDB_val(
                    mv_size: value.count,
                    mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
                var key = sequence
                try checkLMDB(
                    mdb_put(transaction, events, &key, &data, UInt32(MDB_APPEND)),
                    "mdb_put(events)")
            }
        }
    }

    /// Reads every entry of `events` with a cursor, touching each key and value without
    /// decoding: returns the entry count, the total value bytes and a checksum of first bytes.
    ///
    /// With `copyingValues`, each value is also copied out into an array of its own, as any
    /// reader that keeps the bytes past the transaction must; the checksum then takes the last
    /// byte of each copy.
    func scanEvents(copyingValues: Bool = false) throws -> (
        count: Int, valueBytes: Int, checksum: UInt64
    ) {
        var transaction: OpaquePointer?
        try checkLMDB(
            mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &transaction), "mdb_txn_begin")
        defer { mdb_txn_abort(transaction) }
        var cursor: OpaquePointer?
        try checkLMDB(mdb_cursor_open(transaction, events, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }

        var count = 0
        var valueBytes = 0
        var checksum: UInt64 = 0
        var key = MDB_val()
        var value = MDB_val()
        var operation = MDB_FIRST
        while true {
            let result = mdb_cursor_get(cursor, &key, &value, operation)
            if result == MDB_NOTFOUND {
                break
            }
            try checkLMDB(result, "mdb_cursor_get")
            count += 1
            valueBytes += value.mv_size
            let keyByte = key.mv_data.load(fromByteOffset: key.mv_size - 1, as: UInt8.self)
            let bytes = UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size)
            let valueByte = copyingValues ? Array(bytes).last ?? 0 : bytes.first ?? 0
            checksum &+= UInt64(keyByte) &+ UInt64(valueByte)
            operation = MDB_NEXT
        }
        return (count, valueBytes, checksum)
    }
}

/// One event's keys and value, ready to put.
struct RawEntry {
    /// The 16-byte event id: the key in `ids`.
    var idKey: [UInt8]
    /// The big-endian sequence number: the key in `events`, the value in `ids` and `streams`.
    var sequenceKey: [UInt8]
    /// The record's stream prefix and the big-endian stream version: the key in `streams`.
    var streamKey: [UInt8]
    /// The stored event, in the ledger's layout.
    var value: [UInt8]
}

/// Turns events into ``RawEntry`` values byte for byte as the ledger stores them, numbering
/// them and keeping each record's stream version.
///
/// The layout follows the ledger's event codec: encoding version, kind, id, recorded time,
/// flags, upstream time, the record's three parts and its stream version, the causation and
/// the body's canonical bytes.
struct RawEventEncoder {
    private var lastSequence: UInt64 = 0
    private var versions: [RecordReference: UInt64] = [:]

    /// Creates an encoder for an empty log.
    init() {}

    /// The entry for `event`, recorded at `recordedAt`, at the next position.
    mutating func encode(_ event: NewEvent, recordedAt: Timestamp) -> RawEntry {
        lastSequence += 1
        let sequenceKey = Self.bigEndian(lastSequence)
        var value: [UInt8] = [1, event.kind.code]
        value.reserveCapacity(512)
        value += event.id.bytes
        value += Self.bigEndian(UInt64(bitPattern: recordedAt.microseconds))
        value.append((event.record == nil ? 0 : 1) | (event.upstreamAt == nil ? 0 : 2))
        if let upstreamAt = event.upstreamAt {
            value += Self.bigEndian(UInt64(bitPattern: upstreamAt.microseconds))
        }
        var streamKey: [UInt8] = []
        if let record = event.record {
            var prefix: [UInt8] = []
            for part in [record.connection, record.recordType, record.remoteID] {
                Self.appendVarint(UInt64(part.utf8.count), to: &prefix)
                prefix += part.utf8
            }
            let version = versions[record, default: 0] + 1
            versions[record] = version
            value += prefix
            Self.appendVarint(version, to: &value)
            streamKey = prefix + Self.bigEndian(version)
        }
        Self.appendVarint(UInt64(event.causation.count), to: &value)
        for cause in event.causation {
            value += cause.bytes
        }
        value += event.body.encoded
        return RawEntry(
            idKey: event.id.bytes, sequenceKey: sequenceKey, streamKey: streamKey, value: value)
    }

    private static func bigEndian(_ number: UInt64) -> [UInt8] {
        withUnsafeBytes(of: number.bigEndian, Array.init)
    }

    private static func appendVarint(_ number: UInt64, to bytes: inout [UInt8]) {
        var number = number
        while number >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: number) | 0x80)
            number >>= 7
        }
        bytes.append(UInt8(number))
    }
}
