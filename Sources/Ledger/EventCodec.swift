/// The byte layouts of the log's keys and values (`docs/event-format.md`, version 1).
///
/// An event's key is its sequence number as a big-endian `UInt64`. Its value starts with an
/// encoding version byte, then the kind, id, recorded time, flags, optional upstream time and
/// record, causation, and the body as a canonical ``Value``.
enum EventCodec {
    /// The encoding version this build writes and reads.
    static let version: UInt8 = 1

    static let hasRecord: UInt8 = 0x01
    static let hasUpstreamTime: UInt8 = 0x02

    static func key(_ sequence: SequenceNumber) -> [UInt8] {
        withUnsafeBytes(of: sequence.rawValue.bigEndian, Array.init)
    }

    static func sequence(fromKey key: UnsafeRawBufferPointer) -> SequenceNumber? {
        guard key.count == 8 else {
            return nil
        }
        return SequenceNumber(key.loadUnaligned(as: UInt64.self).bigEndian)
    }

    /// Writes the value of `event`, appended as the `streamVersion`-th event of its record at
    /// time `recordedAt`.
    static func encode(
        _ event: NewEvent, streamVersion: UInt64, recordedAt: Timestamp,
        into writer: inout ByteWriter
    ) {
        writer.write(version)
        writer.write(event.kind.code)
        writer.write(event.id)
        writer.write(bigEndian: UInt64(bitPattern: recordedAt.microseconds))
        var flags: UInt8 = 0
        if event.record != nil {
            flags |= hasRecord
        }
        if event.upstreamAt != nil {
            flags |= hasUpstreamTime
        }
        writer.write(flags)
        if let upstreamAt = event.upstreamAt {
            writer.write(bigEndian: UInt64(bitPattern: upstreamAt.microseconds))
        }
        if let record = event.record {
            writer.write(string: record.connection)
            writer.write(string: record.recordType)
            writer.write(string: record.remoteID)
            writer.write(varint: streamVersion)
        }
        writer.write(varint: UInt64(event.causation.count))
        for cause in event.causation {
            writer.write(cause)
        }
        event.body.encode(into: &writer)
    }

    /// Decodes the value stored at `sequence`, checking and copying its body.
    ///
    /// Throws ``LedgerError``: ``LedgerError/Code/unsupportedEvent`` for an encoding version
    /// this build does not read, ``LedgerError/Code/corrupt`` for bytes that break the layout.
    static func decode(_ bytes: UnsafeRawBufferPointer, at sequence: SequenceNumber)
        throws(LedgerError) -> Event
    {
        try EventView(bytes, at: sequence).event()
    }

    // MARK: - Stream keys

    /// A record's stream key prefix: the three parts of the reference, each length-prefixed.
    static func streamPrefix(_ record: RecordReference) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.write(string: record.connection)
        writer.write(string: record.recordType)
        writer.write(string: record.remoteID)
        return writer.bytes
    }

    /// The key of one stream entry: the prefix, then the version as a big-endian `UInt64`.
    static func streamKey(prefix: [UInt8], version: UInt64) -> [UInt8] {
        var key = prefix
        withUnsafeBytes(of: version.bigEndian) { key.append(contentsOf: $0) }
        return key
    }
}
