import Glibc

/// Appends the ledger's binary forms to a growing byte buffer.
///
/// Integers are big-endian when fixed-width and unsigned LEB128 when variable-width; the
/// layouts are in `docs/event-format.md`.
package struct ByteWriter {
    package private(set) var bytes: [UInt8]

    package init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Empties the buffer, keeping its storage for the next use.
    package mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
    }

    package mutating func write(_ byte: UInt8) {
        bytes.append(byte)
    }

    /// Bytes as they are.
    package mutating func write(contentsOf other: [UInt8]) {
        bytes.append(contentsOf: other)
    }

    /// Bytes as they are, from a buffer.
    package mutating func write(contentsOf other: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: other)
    }

    package mutating func write(bigEndian value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    package mutating func write(varint value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// Zigzag maps signed to unsigned so that small magnitudes stay short: 0, -1, 1, -2 ...
    package mutating func write(zigzag value: Int64) {
        write(varint: UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// A string as its UTF-8 byte count, then the bytes.
    package mutating func write(string: String) {
        var string = string
        string.withUTF8 { utf8 in
            write(varint: UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    package mutating func write(_ id: EventID) {
        write(bigEndian: id.high)
        write(bigEndian: id.low)
    }
}

/// Why bytes could not be decoded, and at which offset.
package struct DecodingFailure: Error, Sendable, CustomStringConvertible {
    package let offset: Int
    package let reason: String

    package var description: String { "at byte \(offset): \(reason)" }
}

/// Reads the ledger's binary forms from a buffer, strictly: every form must be the canonical
/// one, so that a byte sequence decodes only when re-encoding it gives it back.
package struct ByteReader: ~Copyable {
    private let buffer: UnsafeRawBufferPointer
    package private(set) var offset: Int = 0

    package init(_ buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
    }

    package var remaining: Int { buffer.count - offset }

    /// The whole buffer being read.
    package var contents: UnsafeRawBufferPointer { buffer }

    /// Moves to `position`, which a caller has checked lies within the buffer.
    package mutating func move(to position: Int) {
        offset = position
    }

    package var isAtEnd: Bool { offset == buffer.count }

    package func failure(_ reason: String) -> DecodingFailure {
        DecodingFailure(offset: offset, reason: reason)
    }

    @inline(__always)
    private func need(_ count: Int, _ what: @autoclosure () -> String) throws(DecodingFailure) {
        if remaining < count {
            throw failure("\(what()) needs \(count) bytes, \(remaining) left")
        }
    }

    @inline(__always)
    package mutating func readByte(_ what: @autoclosure () -> String) throws(DecodingFailure)
        -> UInt8
    {
        try need(1, what())
        defer { offset += 1 }
        return buffer[offset]
    }

    package mutating func readBigEndianUInt64(_ what: @autoclosure () -> String)
        throws(DecodingFailure)
        -> UInt64
    {
        try need(8, what())
        defer { offset += 8 }
        return UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inline(__always)
    package mutating func readVarint(_ what: @autoclosure () -> String) throws(DecodingFailure)
        -> UInt64
    {
        // Most varints in an event are lengths and counts below 128: one byte.
        if offset < buffer.count && buffer[offset] < 0x80 {
            defer { offset += 1 }
            return UInt64(buffer[offset])
        }
        return try readLongVarint(what())
    }

    /// The name `what` is made only when the varint breaks a rule: most reads succeed.
    private mutating func readLongVarint(_ what: @autoclosure () -> String)
        throws(DecodingFailure) -> UInt64
    {
        let start = offset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readByte(what())
            if shift == 63 && byte > 1 {
                throw DecodingFailure(offset: start, reason: "\(what()) overflows 64 bits")
            }
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 {
                // A final zero byte after the first adds nothing: the form is not the shortest.
                if byte == 0 && offset - start > 1 {
                    throw DecodingFailure(
                        offset: start, reason: "\(what()) is not minimally encoded")
                }
                return value
            }
            shift += 7
        }
    }

    package mutating func readZigzag(_ what: @autoclosure () -> String) throws(DecodingFailure)
        -> Int64
    {
        let raw = try readVarint(what())
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    @inline(__always)
    package mutating func readLength(_ what: @autoclosure () -> String) throws(DecodingFailure)
        -> Int
    {
        let length = try readVarint(what())
        guard length <= UInt64(remaining) else {
            throw failure("\(what()) of \(length) runs past the end (\(remaining) bytes left)")
        }
        return Int(length)
    }

    /// Reads a length-prefixed UTF-8 string, refusing invalid UTF-8.
    package mutating func readString(_ what: @autoclosure () -> String) throws(DecodingFailure)
        -> String
    {
        let length = try readLength(what())
        let start = offset
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[start..<start + length])
            .assumingMemoryBound(to: UInt8.self)
        offset += length
        if isASCII(bytes) {
            return String(decoding: bytes, as: UTF8.self)
        }
        // Decoding repairs invalid UTF-8 with replacement characters, which always changes the
        // bytes; comparing them back is a strict check, and much faster than a validating
        // initialiser.
        var string = String(decoding: bytes, as: UTF8.self)
        let unchanged = string.withUTF8 { decoded in
            decoded.count == length
                && (length == 0 || memcmp(decoded.baseAddress!, bytes.baseAddress!, length) == 0)
        }
        guard unchanged else {
            throw DecodingFailure(offset: start, reason: "\(what()) is not valid UTF-8")
        }
        return string
    }

    /// Reads a length-prefixed string that must sort strictly after the bytes at `previous`,
    /// comparing in the buffer before any string is made. Returns the string and where its
    /// bytes are, for the next comparison.
    package mutating func readString(
        _ what: @autoclosure () -> String, after previous: Range<Int>?
    ) throws(DecodingFailure) -> (String, Range<Int>) {
        let lengthOffset = offset
        let length = try readLength(what())
        let range = offset..<offset + length
        offset = lengthOffset
        if let previous, compareBytes(previous, range) >= 0 {
            throw DecodingFailure(
                offset: lengthOffset, reason: "\(what()) does not sort after the one before it")
        }
        return (try readString(what()), range)
    }

    /// Orders the bytes at two ranges as unsigned bytes, then by length: -1, 0 or 1.
    private func compareBytes(_ left: Range<Int>, _ right: Range<Int>) -> Int {
        // Keys are short and usually differ early, so a plain loop beats a call to memcmp.
        let common = min(left.count, right.count)
        for offset in 0..<common {
            let leftByte = buffer[left.lowerBound + offset]
            let rightByte = buffer[right.lowerBound + offset]
            if leftByte != rightByte {
                return leftByte < rightByte ? -1 : 1
            }
        }
        return left.count == right.count ? 0 : (left.count < right.count ? -1 : 1)
    }

    /// Moves past a length-prefixed string without making one, and returns where its bytes
    /// are. The bytes are not checked: use it only on validated values.
    package mutating func skipString(_ what: @autoclosure () -> String) throws(DecodingFailure)
        -> Range<
            Int
        >
    {
        let length = try readLength(what())
        defer { offset += length }
        return offset..<offset + length
    }

    /// Whether the bytes at `range` equal `other`.
    package func bytes(at range: Range<Int>, equal other: UnsafeBufferPointer<UInt8>) -> Bool {
        range.count == other.count
            && (other.isEmpty
                || memcmp(buffer.baseAddress! + range.lowerBound, other.baseAddress!, other.count)
                    == 0)
    }

    package mutating func readEventID(_ what: @autoclosure () -> String) throws(DecodingFailure)
        -> EventID
    {
        EventID(high: try readBigEndianUInt64(what()), low: try readBigEndianUInt64(what()))
    }
}

/// Whether every byte is below 0x80, checked eight bytes at a time.
@inline(__always)
func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let base = bytes.baseAddress else {
        return true
    }
    let raw = UnsafeRawPointer(base)
    var index = 0
    var combined: UInt64 = 0
    while index &+ 8 <= bytes.count {
        combined |= raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
        index &+= 8
    }
    while index < bytes.count {
        combined |= UInt64(base[index])
        index &+= 1
    }
    return combined & 0x8080_8080_8080_8080 == 0
}

/// Whether `bytes` are well-formed UTF-8 (Unicode's table 3-7: no overlong forms, no
/// surrogates, nothing above U+10FFFF). Runs of ASCII are checked eight bytes at a time.
func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let base = bytes.baseAddress else {
        return true
    }
    let count = bytes.count
    var index = 0
    func continuation(_ position: Int, _ lower: UInt8 = 0x80, _ upper: UInt8 = 0xBF) -> Bool {
        position < count && base[position] >= lower && base[position] <= upper
    }
    while index < count {
        while index + 8 <= count
            && UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                & 0x8080_8080_8080_8080 == 0
        {
            index += 8
        }
        guard index < count else {
            break
        }
        let lead = base[index]
        switch lead {
        case 0x00..<0x80:
            index += 1
        case 0xC2..<0xE0:
            guard continuation(index + 1) else { return false }
            index += 2
        case 0xE0..<0xF0:
            let lower: UInt8 = lead == 0xE0 ? 0xA0 : 0x80
            let upper: UInt8 = lead == 0xED ? 0x9F : 0xBF
            guard continuation(index + 1, lower, upper), continuation(index + 2) else {
                return false
            }
            index += 3
        case 0xF0..<0xF5:
            let lower: UInt8 = lead == 0xF0 ? 0x90 : 0x80
            let upper: UInt8 = lead == 0xF4 ? 0x8F : 0xBF
            guard continuation(index + 1, lower, upper), continuation(index + 2),
                continuation(index + 3)
            else {
                return false
            }
            index += 4
        default:
            return false
        }
    }
    return true
}
