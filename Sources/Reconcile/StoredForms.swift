import Glibc
import Ledger

/// The binary forms of the sync projection's hot tables.
///
/// A replay touches a field, a link and a pair entry for most events, so these are kept as
/// small binary records with values as their canonical bytes: comparing two values is then
/// comparing bytes, and a value becomes a Swift ``Value`` only when authority or a query needs
/// it. Every integer is an unsigned LEB128 varint unless said otherwise; `bytes` is a varint
/// length and the bytes. `docs/projections.md` lists the layouts.

/// A record in the `records` table: whether it lives, and every field it holds.
///
/// Layout: state (1 byte: 0 live, 1 deleted, 2 known only from the ledger's own writes, never
/// reported), the deleting event's position if deleted, the field count, then each field in
/// the byte order of its name: the name (bytes) and the field (bytes, a ``FieldRecord``).
/// A live record's entry starts with a zero byte, so a scan can tell the live ones apart
/// without decoding.
///
/// One entry per record keeps an observation to one read and one write of this table, however
/// many fields it reports. The fields stay as stored bytes until one is asked for; changes are
/// kept aside and merged in when the entry is stored again.
struct RecordEntry {
    /// Whether the record lives, as ``state`` stores it.
    enum State: UInt8 {
        case live = 0
        case deleted = 1
        case unreported = 2
    }

    var state: State
    /// The event that reported the record deleted, when it is.
    var deletedBy: UInt64 = 0

    /// The entry as read.
    private let bytes: [UInt8]
    /// Where each stored field's name and value lie in ``bytes``, in name order.
    private let slots: [(name: Range<Int>, field: Range<Int>)]
    /// Fields set since the entry was read, in name order.
    private var changes: [(name: [UInt8], field: FieldRecord)] = []

    /// A record the table does not hold yet.
    init(state: State) {
        self.state = state
        bytes = []
        slots = []
    }

    init(stored buffer: UnsafeRawBufferPointer) throws {
        var reader = ByteReader(buffer)
        var slots: [(name: Range<Int>, field: Range<Int>)] = []
        do {
            guard let state = State(rawValue: try reader.readByte("state")) else {
                throw reader.failure("unknown record state")
            }
            self.state = state
            if state == .deleted {
                deletedBy = try reader.readVarint("deleted by")
            }
            let count = try reader.readLength("field count")
            slots.reserveCapacity(count)
            for _ in 0..<count {
                let name = try reader.skipString("field name")
                slots.append((name, try reader.skipString("field")))
            }
            guard reader.isAtEnd else {
                throw reader.failure("\(reader.remaining) bytes follow the record")
            }
        } catch {
            throw LedgerError(.corrupt, "a stored record does not decode \(error)")
        }
        bytes = Array(buffer)
        self.slots = slots
    }

    /// The record's state as ``SyncTables/deletedBy(_:in:)`` reports it: `nil` for a record
    /// never reported, zero while it lives.
    var deletion: UInt64? {
        switch state {
        case .live: 0
        case .deleted: deletedBy
        case .unreported: nil
        }
    }

    /// Whether the entry holds no field.
    var isEmpty: Bool { slots.isEmpty && changes.isEmpty }

    /// The field called `name`, or `nil` when the record holds none.
    func field(_ name: String) throws -> FieldRecord? {
        var name = name
        return try name.withUTF8 { name in
            if let index = changes.firstIndex(where: { $0.name.elementsEqual(name) }) {
                return changes[index].field
            }
            return try withStoredField(name) { try $0.map(FieldRecord.init(stored:)) }
        }
    }

    /// Calls `body` with the stored bytes of the field whose name is the UTF-8 `name`, or with
    /// `nil` when none is stored; changes made since the entry was read are not seen.
    func withStoredField<R>(
        _ name: UnsafeBufferPointer<UInt8>, _ body: (UnsafeRawBufferPointer?) throws -> R
    ) rethrows -> R {
        try bytes.withUnsafeBytes { buffer in
            for slot in slots where slot.name.count == name.count {
                if name.isEmpty
                    || memcmp(
                        buffer.baseAddress! + slot.name.lowerBound, name.baseAddress!, name.count)
                        == 0
                {
                    return try body(UnsafeRawBufferPointer(rebasing: buffer[slot.field]))
                }
            }
            return try body(nil)
        }
    }

    /// Sets the field called `name`, replacing what the record held.
    mutating func set(_ field: FieldRecord, named name: String) {
        let name = Array(name.utf8)
        if let index = changes.firstIndex(where: { $0.name == name }) {
            changes[index].field = field
            return
        }
        let index =
            changes.firstIndex { name.lexicographicallyPrecedes($0.name) } ?? changes.endIndex
        changes.insert((name, field), at: index)
    }

    /// Calls `body` with every field's name and value, in name order.
    func forEachField(_ body: (String, FieldRecord) throws -> Void) throws {
        try merged { name, stored, change in
            let field = try change ?? FieldRecord(stored: stored!)
            try body(String(decoding: name, as: UTF8.self), field)
        }
    }

    /// The entry as the table stores it, changes merged in.
    var stored: [UInt8] {
        var writer = ByteWriter(capacity: bytes.count + changes.count * 64 + 16)
        writer.write(state.rawValue)
        if state == .deleted {
            writer.write(varint: deletedBy)
        }
        var count = 0
        // Counted first, written second; neither step decodes a stored field, so neither fails.
        try? merged { _, _, _ in count += 1 }
        writer.write(varint: UInt64(count))
        try? merged { name, stored, change in
            writer.write(varint: UInt64(name.count))
            writer.write(contentsOf: name)
            if let change {
                writer.write(bytes: change.stored)
            } else if let stored {
                writer.write(varint: UInt64(stored.count))
                writer.write(contentsOf: stored)
            }
        }
        return writer.bytes
    }

    /// Walks stored fields and changes together in name order; a change replaces the stored
    /// field of the same name. `body` gets the name, the stored bytes of an unchanged field,
    /// and the change of a changed one.
    private func merged(
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer?, FieldRecord?) throws -> Void
    ) throws {
        try bytes.withUnsafeBytes { buffer in
            var next = 0
            for change in changes {
                try change.name.withUnsafeBytes { changed in
                    while next < slots.count {
                        let name = UnsafeRawBufferPointer(rebasing: buffer[slots[next].name])
                        guard name.lexicographicallyPrecedes(changed) else {
                            break
                        }
                        try body(
                            name, UnsafeRawBufferPointer(rebasing: buffer[slots[next].field]), nil)
                        next += 1
                    }
                    if next < slots.count,
                        UnsafeRawBufferPointer(rebasing: buffer[slots[next].name])
                            .elementsEqual(changed)
                    {
                        next += 1
                    }
                    try body(changed, nil, change.field)
                }
            }
            while next < slots.count {
                try body(
                    UnsafeRawBufferPointer(rebasing: buffer[slots[next].name]),
                    UnsafeRawBufferPointer(rebasing: buffer[slots[next].field]), nil)
                next += 1
            }
        }
    }
}

/// A field of a record in the `records` table.
///
/// Layout: flags (1 byte: 1 has value, 2 has upstream time, 4 echo, 8 has written value,
/// 16 written value awaits its echo), set-by position, upstream time (8 bytes, big-endian,
/// two's complement) if flagged, value bytes if flagged, then the written value's intent
/// position and bytes if flagged.
struct FieldRecord: Equatable {
    var value: [UInt8]?
    var setBy: UInt64 = 0
    var upstreamAt: Int64?
    var isEcho = false
    var written: Written?

    struct Written: Equatable {
        var value: [UInt8]
        var intent: UInt64
        var isOpen: Bool
    }

    private static let hasValue: UInt8 = 1
    private static let hasUpstream: UInt8 = 2
    private static let echo: UInt8 = 4
    private static let hasWritten: UInt8 = 8
    private static let writtenOpen: UInt8 = 16

    init() {}

    /// Whether a stored field has been observed holding exactly `value` with an upstream time
    /// no older than `upstreamAt`, or holds a newer one: either way a report of `value` at
    /// `upstreamAt` changes nothing. Reads the head of the field, and decodes nothing.
    static func settles(
        stored buffer: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, upstreamAt: Int64?
    ) throws -> Bool {
        var reader = ByteReader(buffer)
        do {
            let flags = try reader.readByte("flags")
            let setBy = try reader.readVarint("set by")
            if flags & Self.hasUpstream != 0 {
                let known = Int64(bitPattern: try reader.readBigEndianUInt64("upstream time"))
                if let upstreamAt, upstreamAt < known {
                    return true
                }
            }
            guard setBy != 0, flags & Self.hasValue != 0 else {
                return false
            }
            let range = try reader.skipString("value")
            return range.count == value.count
                && (value.isEmpty
                    || memcmp(
                        buffer.baseAddress! + range.lowerBound, value.baseAddress!, value.count)
                        == 0)
        } catch {
            throw LedgerError(.corrupt, "a stored field does not decode \(error)")
        }
    }

    /// The upstream time of a stored field, read without the rest of it.
    static func upstreamAt(stored buffer: UnsafeRawBufferPointer) throws -> Int64? {
        var reader = ByteReader(buffer)
        do {
            let flags = try reader.readByte("flags")
            _ = try reader.readVarint("set by")
            guard flags & Self.hasUpstream != 0 else {
                return nil
            }
            return Int64(bitPattern: try reader.readBigEndianUInt64("upstream time"))
        } catch {
            throw LedgerError(.corrupt, "a stored field does not decode \(error)")
        }
    }

    init(stored buffer: UnsafeRawBufferPointer) throws {
        var reader = ByteReader(buffer)
        do {
            let flags = try reader.readByte("flags")
            setBy = try reader.readVarint("set by")
            if flags & Self.hasUpstream != 0 {
                upstreamAt = Int64(bitPattern: try reader.readBigEndianUInt64("upstream time"))
            }
            if flags & Self.hasValue != 0 {
                value = try reader.readBytes("value")
            }
            isEcho = flags & Self.echo != 0
            if flags & Self.hasWritten != 0 {
                let intent = try reader.readVarint("written intent")
                written = Written(
                    value: try reader.readBytes("written value"), intent: intent,
                    isOpen: flags & Self.writtenOpen != 0)
            }
            guard reader.isAtEnd else {
                throw reader.failure("\(reader.remaining) bytes follow the field")
            }
        } catch {
            throw LedgerError(.corrupt, "a stored field does not decode \(error)")
        }
    }

    var stored: [UInt8] {
        var flags: UInt8 = 0
        if value != nil { flags |= Self.hasValue }
        if upstreamAt != nil { flags |= Self.hasUpstream }
        if isEcho { flags |= Self.echo }
        if let written {
            flags |= Self.hasWritten
            if written.isOpen { flags |= Self.writtenOpen }
        }
        var writer = ByteWriter(capacity: 32 + (value?.count ?? 0) + (written?.value.count ?? 0))
        writer.write(flags)
        writer.write(varint: setBy)
        if let upstreamAt {
            writer.write(bigEndian: UInt64(bitPattern: upstreamAt))
        }
        if let value {
            writer.write(bytes: value)
        }
        if let written {
            writer.write(varint: written.intent)
            writer.write(bytes: written.value)
        }
        return writer.bytes
    }

    /// The public form, with values decoded.
    func state() throws -> FieldState {
        FieldState(
            value: try value.map(Value.init(encoded:)), setBy: SequenceNumber(setBy),
            upstreamAt: upstreamAt.map(Timestamp.init(microsecondsSinceEpoch:)),
            origin: isEcho ? .echo : .observed,
            written: try written.map {
                FieldState.Written(
                    value: try Value(encoded: $0.value), intent: SequenceNumber($0.intent),
                    isOpen: $0.isOpen)
            })
    }
}

/// A pair field in the `pairs` table.
///
/// Layout: agreed-at position; flags (1 byte: 1 desired on the left, 2 on the right,
/// 4 conflict); each desired value as rule (bytes), basis position, value bytes; the conflict
/// as presence (1 byte: 1 left value, 2 right value), left value bytes if present, left set-by,
/// right value bytes if present, right set-by, rule, resolution (bytes each), position.
extension PairFieldState {
    init(stored buffer: UnsafeRawBufferPointer) throws {
        var reader = ByteReader(buffer)
        do {
            agreedAt = SequenceNumber(try reader.readVarint("agreed at"))
            let flags = try reader.readByte("flags")
            for side in Side.allCases where flags & Self.flag(side) != 0 {
                let rule = try Self.rule(&reader)
                let basis = SequenceNumber(try reader.readVarint("basis"))
                desired[side] = Desired(
                    value: try Value(encoded: try reader.readBytes("desired value")), rule: rule,
                    basis: basis)
            }
            if flags & 4 != 0 {
                let present = try reader.readByte("conflict values")
                let left = present & 1 != 0 ? try reader.readBytes("left value") : nil
                let leftSetBy = SequenceNumber(try reader.readVarint("left set by"))
                let right = present & 2 != 0 ? try reader.readBytes("right value") : nil
                let rightSetBy = SequenceNumber(try reader.readVarint("right set by"))
                let rule = try Self.rule(&reader)
                let resolution = try reader.readString("resolution")
                conflict = Conflict(
                    left: try left.map(Value.init(encoded:)), leftSetBy: leftSetBy,
                    right: try right.map(Value.init(encoded:)), rightSetBy: rightSetBy,
                    rule: rule, resolution: resolution,
                    at: SequenceNumber(try reader.readVarint("conflict position")))
            }
            guard reader.isAtEnd else {
                throw reader.failure("\(reader.remaining) bytes follow the pair field")
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(.corrupt, "a stored pair field does not decode \(error)")
        }
    }

    var stored: [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.write(varint: agreedAt.rawValue)
        var flags: UInt8 = conflict == nil ? 0 : 4
        for side in desired.keys {
            flags |= Self.flag(side)
        }
        writer.write(flags)
        for side in Side.allCases {
            guard let desired = desired[side] else {
                continue
            }
            writer.write(string: desired.rule.description)
            writer.write(varint: desired.basis.rawValue)
            writer.write(bytes: desired.value.encoded)
        }
        if let conflict {
            writer.write((conflict.left == nil ? 0 : 1) | (conflict.right == nil ? 0 : 2) as UInt8)
            if let left = conflict.left {
                writer.write(bytes: left.encoded)
            }
            writer.write(varint: conflict.leftSetBy.rawValue)
            if let right = conflict.right {
                writer.write(bytes: right.encoded)
            }
            writer.write(varint: conflict.rightSetBy.rawValue)
            writer.write(string: conflict.rule.description)
            writer.write(string: conflict.resolution)
            writer.write(varint: conflict.at.rawValue)
        }
        return writer.bytes
    }

    private static func flag(_ side: Side) -> UInt8 {
        side == .left ? 1 : 2
    }

    private static func rule(_ reader: inout ByteReader) throws -> AuthorityRule {
        let name = try reader.readString("rule")
        guard let rule = AuthorityRule(name) else {
            throw LedgerError(.corrupt, "a stored pair field names an unknown rule '\(name)'")
        }
        return rule
    }
}

/// A write intent in the `intents` table, with how it ended.
///
/// Layout: status (1 byte: 0 pending, 1 succeeded, 2 failed), operation (1 byte: 0 update,
/// 1 create), outcome position (0 while pending), record, idempotency key, pair, target
/// (empty for an update), and the fields written as an encoded object (bytes each).
struct IntentRecord {
    enum Status: UInt8 {
        case pending = 0
        case succeeded = 1
        case failed = 2

        var name: String {
            switch self {
            case .pending: "pending"
            case .succeeded: "succeeded"
            case .failed: "failed"
            }
        }
    }

    var status: Status
    var operation: WriteIntent.Operation
    var outcome: UInt64
    var record: RecordReference
    var idempotencyKey: String
    var pair: String
    var target: String
    /// The fields as an encoded object, checked only when read through ``writtenFields()``:
    /// most outcomes never need them.
    var fields: [UInt8]

    init(
        status: Status, operation: WriteIntent.Operation, outcome: UInt64,
        record: RecordReference, idempotencyKey: String, pair: String, target: String,
        fields: [UInt8]
    ) {
        self.status = status
        self.operation = operation
        self.outcome = outcome
        self.record = record
        self.idempotencyKey = idempotencyKey
        self.pair = pair
        self.target = target
        self.fields = fields
    }

    init(stored buffer: UnsafeRawBufferPointer) throws {
        var reader = ByteReader(buffer)
        do {
            guard let status = Status(rawValue: try reader.readByte("status")) else {
                throw reader.failure("unknown status")
            }
            self.status = status
            operation = try reader.readByte("operation") == 1 ? .create : .update
            outcome = try reader.readVarint("outcome")
            let record = try reader.skipString("record")
            guard let reference = RecordReference(utf8: reader.contents[record]) else {
                throw reader.failure("the record is not a reference")
            }
            self.record = reference
            idempotencyKey = try reader.readString("idempotency key")
            pair = try reader.readString("pair")
            target = try reader.readString("target")
            fields = try reader.readBytes("fields")
            guard reader.isAtEnd else {
                throw reader.failure("\(reader.remaining) bytes follow the intent")
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(.corrupt, "a stored intent does not decode \(error)")
        }
    }

    var stored: [UInt8] {
        var writer = ByteWriter(capacity: 128 + fields.count)
        writer.write(status.rawValue)
        writer.write(operation == .create ? 1 : 0)
        writer.write(varint: outcome)
        writer.write(string: record.description)
        writer.write(string: idempotencyKey)
        writer.write(string: pair)
        writer.write(string: target)
        writer.write(bytes: fields)
        return writer.bytes
    }

    /// The fields written, each still encoded.
    func writtenFields() throws -> [(key: String, value: EncodedValue)] {
        guard let members = try EncodedValue(validating: fields).members else {
            throw LedgerError(.corrupt, "the stored fields of an intent on \(record) are damaged")
        }
        return members
    }
}

extension ByteWriter {
    /// Bytes as their count, then the bytes.
    mutating func write(bytes: [UInt8]) {
        write(varint: UInt64(bytes.count))
        write(contentsOf: bytes)
    }
}

extension ByteReader {
    /// Reads bytes written by ``ByteWriter/write(bytes:)``.
    mutating func readBytes(_ what: String) throws(DecodingFailure) -> [UInt8] {
        let range = try skipString(what)
        return Array(contents[range])
    }
}
