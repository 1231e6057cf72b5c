/// Appends the ledger's binary forms to a growing byte buffer.
///
/// Integers are big-endian when fixed-width and unsigned LEB128 when variable-width; the
/// layouts are in `docs/event-format.md`.
struct ByteWriter {
    private(set) var bytes: [UInt8]

    init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Empties the buffer, keeping its storage for the next use.
    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
    }

    mutating func write(_ byte: UInt8) {
        bytes.append(byte)
    }

    mutating func write(bigEndian value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func write(varint value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// Zigzag maps signed to unsigned so that small magnitudes stay short: 0, -1, 1, -2 ...
    mutating func write(zigzag value: Int64) {
        write(varint: UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// A string as its UTF-8 byte count, then the bytes.
    mutating func write(string: String) {
        var string = string
        string.withUTF8 { utf8 in
            write(varint: UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func write(_ id: EventID) {
        write(bigEndian: id.high)
        write(bigEndian: id.low)
    }
}

/// Why bytes could not be decoded, and at which offset.
struct DecodingFailure: Error, Sendable, CustomStringConvertible {
    let offset: Int
    let reason: String

    var description: String { "at byte \(offset): \(reason)" }
}

/// Reads the ledger's binary forms from a buffer, strictly: every form must be the canonical
/// one, so that a byte sequence decodes only when re-encoding it gives it back.
struct ByteReader: ~Copyable {
    private let buffer: UnsafeRawBufferPointer
    private(set) var offset: Int = 0

    init(_ buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
    }

    var remaining: Int { buffer.count - offset }

    var isAtEnd: Bool { offset == buffer.count }

    func failure(_ reason: String) -> DecodingFailure {
        DecodingFailure(offset: offset, reason: reason)
    }

    private func need(_ count: Int, _ what: String) throws(DecodingFailure) {
        if remaining < count {
            throw failure("\(what) needs \(count) bytes, \(remaining) left")
        }
    }

    mutating func readByte(_ what: String) throws(DecodingFailure) -> UInt8 {
        try need(1, what)
        defer { offset += 1 }
        return buffer[offset]
    }

    mutating func readBigEndianUInt64(_ what: String) throws(DecodingFailure) -> UInt64 {
        try need(8, what)
        var value: UInt64 = 0
        for index in offset..<offset + 8 {
            value = value << 8 | UInt64(buffer[index])
        }
        offset += 8
        return value
    }

    mutating func readVarint(_ what: String) throws(DecodingFailure) -> UInt64 {
        let start = offset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readByte(what)
            if shift == 63 && byte > 1 {
                throw DecodingFailure(offset: start, reason: "\(what) overflows 64 bits")
            }
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 {
                // A final zero byte after the first adds nothing: the form is not the shortest.
                if byte == 0 && offset - start > 1 {
                    throw DecodingFailure(offset: start, reason: "\(what) is not minimally encoded")
                }
                return value
            }
            shift += 7
        }
    }

    mutating func readZigzag(_ what: String) throws(DecodingFailure) -> Int64 {
        let raw = try readVarint(what)
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    mutating func readLength(_ what: String) throws(DecodingFailure) -> Int {
        let length = try readVarint(what)
        guard length <= UInt64(remaining) else {
            throw failure("\(what) of \(length) runs past the end (\(remaining) bytes left)")
        }
        return Int(length)
    }

    mutating func readString(_ what: String) throws(DecodingFailure) -> String {
        let length = try readLength("\(what) length")
        let start = offset
        let slice = UnsafeRawBufferPointer(rebasing: buffer[start..<start + length])
        guard let string = String(validating: slice.assumingMemoryBound(to: UInt8.self), as: UTF8.self)
        else {
            throw DecodingFailure(offset: start, reason: "\(what) is not valid UTF-8")
        }
        offset += length
        return string
    }

    mutating func readEventID(_ what: String) throws(DecodingFailure) -> EventID {
        EventID(high: try readBigEndianUInt64(what), low: try readBigEndianUInt64(what))
    }
}
