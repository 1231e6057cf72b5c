import Glibc

/// An event read where it lies in the log: its envelope decoded, its body still the stored
/// bytes.
///
/// ``EventLog/scanInPlace(from:direction:_:)`` lends one view at a time, borrowed, for the
/// length of a closure call. A view points into LMDB's memory map, so it cannot be copied or
/// kept: what a reader keeps it takes out through ``record``, ``causation``, ``body()`` or
/// ``event()``, which copy. The envelope is checked when the view is made; the body is
/// checked against the canonical encoding only when it is taken out, so a reader that skips an
/// event, or needs only its envelope, never reads the body's bytes.
public struct EventView: ~Copyable {
    /// Where the event stands in the log.
    public let sequence: SequenceNumber
    /// The unique id.
    public let id: EventID
    /// What happened.
    public let kind: EventKind
    /// The event's place in its record's stream; zero when it names no record.
    public let streamVersion: UInt64
    /// When the ledger appended the event.
    public let recordedAt: Timestamp
    /// When the provider says the change happened, if it says.
    public let upstreamAt: Timestamp?

    /// The stored value, valid while the read transaction lasts.
    private let bytes: UnsafeRawBufferPointer
    /// Where the record reference's three parts lie in ``bytes``, when the event has one.
    private let recordParts: (connection: Range<Int>, type: Range<Int>, remoteID: Range<Int>)?
    /// Where the causation ids start, and how many there are.
    private let causationStart: Int
    /// The number of causation ids.
    public let causationCount: Int
    /// Where the body starts; it runs to the end of ``bytes``.
    private let bodyStart: Int

    /// The stored size of an ``EventID``.
    static let idSize = 16
    /// Decodes the envelope of the value stored at `sequence` (layout version
    /// ``EventCodec/version``), leaving the body unread.
    ///
    /// Throws ``LedgerError``: ``LedgerError/Code/unsupportedEvent`` for an encoding version
    /// this build does not read, ``LedgerError/Code/corrupt`` for bytes that break the layout.
    init(_ bytes: UnsafeRawBufferPointer, at sequence: SequenceNumber) throws(LedgerError) {
        let envelope = try Envelope(bytes, at: sequence)
        self.sequence = sequence
        self.bytes = bytes
        id = envelope.id
        kind = envelope.kind
        streamVersion = envelope.streamVersion
        recordedAt = envelope.recordedAt
        upstreamAt = envelope.upstreamAt
        recordParts = envelope.recordParts
        causationStart = envelope.causationStart
        causationCount = envelope.causationCount
        bodyStart = envelope.bodyStart
    }

    /// Decodes the envelope of the entry at `key` and `value` in the events database.
    init(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws(LedgerError) {
        guard let sequence = EventCodec.sequence(fromKey: key) else {
            throw LedgerError(.corrupt, "the log holds a key of \(key.count) bytes")
        }
        try self.init(value, at: sequence)
    }

    /// The record concerned, or `nil` for an event about no one record.
    public var record: RecordReference? {
        guard let parts = recordParts else {
            return nil
        }
        return RecordReference(
            connection: string(at: parts.connection), recordType: string(at: parts.type),
            remoteID: string(at: parts.remoteID))
    }

    /// Whether the event concerns `record`, compared byte by byte without building a
    /// reference.
    public func concerns(_ record: RecordReference) -> Bool {
        guard let parts = recordParts else {
            return false
        }
        return bytes(at: parts.connection, equal: record.connection)
            && bytes(at: parts.type, equal: record.recordType)
            && bytes(at: parts.remoteID, equal: record.remoteID)
    }

    /// The events that led to this one.
    public var causation: [EventID] {
        (0..<causationCount).map { index in
            let offset = causationStart + index * Self.idSize
            return EventID(
                high: UInt64(
                    bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
                low: UInt64(
                    bigEndian: bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)))
        }
    }

    /// The size of the stored body in bytes.
    public var bodySize: Int { bytes.count - bodyStart }

    /// The number of members when the body is an object, of elements when it is an array;
    /// `nil` otherwise. Reads only the head of the body, and does not check the rest.
    public var bodyCount: Int? {
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[bodyStart...]))
        guard let tag = try? reader.readByte("value tag"),
            tag == Value.Tag.object.rawValue || tag == Value.Tag.array.rawValue
        else {
            return nil
        }
        return try? reader.readLength("count")
    }

    /// The body, checked against every rule of the canonical encoding and copied out.
    ///
    /// Throws ``LedgerError/Code/corrupt`` naming the event and the offset of the first
    /// broken rule.
    public func body() throws(LedgerError) -> EncodedValue {
        var reader = ByteReader(bytes)
        reader.move(to: bodyStart)
        do {
            try EncodedValue.validate(&reader)
            guard reader.isAtEnd else {
                throw reader.failure("\(reader.remaining) bytes follow the body")
            }
        } catch {
            throw LedgerError(.corrupt, "event \(sequence) does not decode \(error)")
        }
        return EncodedValue(validated: Array(bytes[bodyStart...]))
    }

    /// The whole event, copied out of the log, its body checked as ``body()`` checks it.
    public func event() throws(LedgerError) -> Event {
        Event(
            sequence: sequence, id: id, kind: kind, record: record, streamVersion: streamVersion,
            recordedAt: recordedAt, upstreamAt: upstreamAt, causation: causation,
            encodedBody: try body())
    }

    private func string(at range: Range<Int>) -> String {
        String(
            decoding: UnsafeBufferPointer(
                rebasing: bytes.assumingMemoryBound(to: UInt8.self)[range]),
            as: UTF8.self)
    }

    private func bytes(at range: Range<Int>, equal text: String) -> Bool {
        var text = text
        return text.withUTF8 { text in
            text.count == range.count
                && (text.isEmpty
                    || memcmp(bytes.baseAddress! + range.lowerBound, text.baseAddress!, text.count)
                        == 0)
        }
    }
}

/// The decoded envelope of an ``EventView``, read in one pass before the view is made.
private struct Envelope {
    /// The bytes of version, kind, id, recorded time and flags.
    private static let fixedSize = 27

    var id: EventID
    var kind: EventKind
    var streamVersion: UInt64 = 0
    var recordedAt: Timestamp
    var upstreamAt: Timestamp?
    var recordParts: (connection: Range<Int>, type: Range<Int>, remoteID: Range<Int>)?
    var causationStart: Int
    var causationCount: Int
    var bodyStart: Int

    @inline(__always)
    init(_ bytes: UnsafeRawBufferPointer, at sequence: SequenceNumber) throws(LedgerError) {
        if let version = bytes.first, version != EventCodec.version {
            throw LedgerError(
                .unsupportedEvent,
                "event \(sequence) uses encoding version \(version), but this build reads "
                    + "version \(EventCodec.version) only; use a newer syncledger to read it")
        }
        var reader = ByteReader(bytes)
        do {
            // The fixed part (version, kind, id, recorded time, flags) is read with one check.
            guard bytes.count >= Self.fixedSize else {
                throw DecodingFailure(
                    offset: bytes.count,
                    reason: "the envelope's fixed part needs \(Self.fixedSize) bytes, "
                        + "\(bytes.count) stored")
            }
            kind = EventKind(code: bytes[1])
            id = EventID(high: bigEndian(bytes, at: 2), low: bigEndian(bytes, at: 10))
            recordedAt = Timestamp(
                microsecondsSinceEpoch: Int64(bitPattern: bigEndian(bytes, at: 18)))
            let flagsOffset = Self.fixedSize - 1
            let flags = bytes[flagsOffset]
            reader.move(to: Self.fixedSize)
            guard flags & ~(EventCodec.hasRecord | EventCodec.hasUpstreamTime) == 0 else {
                throw DecodingFailure(offset: flagsOffset, reason: "unknown flags \(flags)")
            }
            if flags & EventCodec.hasUpstreamTime != 0 {
                upstreamAt = Timestamp(
                    microsecondsSinceEpoch: Int64(
                        bitPattern: try reader.readBigEndianUInt64("upstream time")))
            }
            if flags & EventCodec.hasRecord != 0 {
                recordParts = (
                    try Self.text(&reader, "connection"), try Self.text(&reader, "record type"),
                    try Self.text(&reader, "remote id")
                )
                streamVersion = try reader.readVarint("stream version")
            }
            causationCount = try reader.readLength("causation count")
            causationStart = reader.offset
            guard causationCount <= reader.remaining / EventView.idSize else {
                throw reader.failure(
                    "\(causationCount) causation ids need \(causationCount * EventView.idSize) "
                        + "bytes, \(reader.remaining) left")
            }
            bodyStart = causationStart + causationCount * EventView.idSize
        } catch {
            throw LedgerError(.corrupt, "event \(sequence) does not decode \(error)")
        }
    }

    /// Moves past a length-prefixed UTF-8 string and returns where its bytes lie.
    @inline(__always)
    private static func text(_ reader: inout ByteReader, _ what: StaticString)
        throws(DecodingFailure) -> Range<Int>
    {
        let start = reader.offset
        let range = try reader.skipString("\(what)")
        let text = UnsafeBufferPointer(
            rebasing: reader.contents.assumingMemoryBound(to: UInt8.self)[range])
        guard isASCII(text) || isValidUTF8(text) else {
            throw DecodingFailure(offset: start, reason: "\(what) is not valid UTF-8")
        }
        return range
    }
}

@inline(__always)
private func bigEndian(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
    UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
}
