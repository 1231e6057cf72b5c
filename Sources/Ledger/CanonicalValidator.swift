/// Checks canonical value bytes in place (see `docs/event-format.md`) without building values.
///
/// This runs for the body of every event read, so it works on raw bytes with a plain position
/// and builds error messages only when something is wrong. The rules are those of
/// ``Value/init(encoded:)``: known tags, shortest varints, normalised decimals, valid UTF-8,
/// object keys strictly ascending, nesting within ``Value/maximumDepth``.
struct CanonicalValidator {
    private let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position: Int

    init(_ buffer: UnsafeRawBufferPointer, at position: Int) {
        self.bytes = buffer.assumingMemoryBound(to: UInt8.self)
        self.position = position
    }

    mutating func validateValue(depth: Int) throws(DecodingFailure) {
        guard position < bytes.count else {
            throw failure("value tag needs 1 byte, 0 left")
        }
        let tag = bytes[position]
        position += 1
        switch tag {
        case Value.Tag.null.rawValue, Value.Tag.false.rawValue, Value.Tag.true.rawValue:
            return
        case Value.Tag.integer.rawValue:
            _ = try varint("integer")
        case Value.Tag.decimal.rawValue:
            let start = position
            let significand = Self.unzigzag(try varint("decimal significand"))
            let exponent = Self.unzigzag(try varint("decimal exponent"))
            let normalised =
                significand == 0
                ? exponent == 0
                : significand % 10 != 0
                    && exponent.magnitude <= UInt64(DecimalNumber.exponentLimit)
            guard normalised else {
                throw DecodingFailure(
                    offset: start, reason: "decimal \(significand)e\(exponent) is not normalised")
            }
        case Value.Tag.string.rawValue:
            _ = try string("string")
        case Value.Tag.array.rawValue:
            try checkDepth(depth)
            let count = try length("array count")
            for _ in 0..<count {
                try validateValue(depth: depth + 1)
            }
        case Value.Tag.object.rawValue:
            try checkDepth(depth)
            let count = try length("object member count")
            var previous = 0..<0
            for index in 0..<count {
                let key = try string("object key")
                if index > 0 && !sortsBefore(previous, key) {
                    throw DecodingFailure(
                        offset: key.lowerBound,
                        reason: "object key does not sort after the one before it")
                }
                previous = key
                try validateValue(depth: depth + 1)
            }
        default:
            throw DecodingFailure(offset: position - 1, reason: "unknown value tag \(tag)")
        }
    }

    private func failure(_ reason: String) -> DecodingFailure {
        DecodingFailure(offset: position, reason: reason)
    }

    private func checkDepth(_ depth: Int) throws(DecodingFailure) {
        if depth >= Value.maximumDepth {
            throw failure("values nest deeper than \(Value.maximumDepth) levels")
        }
    }

    private static func unzigzag(_ raw: UInt64) -> Int64 {
        Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    /// The varint rule of ``ByteReader``, kept here in line: sharing one out-of-line decoder
    /// made every scan measurably slower.
    @inline(__always)
    private mutating func varint(_ what: StaticString) throws(DecodingFailure) -> UInt64 {
        if position < bytes.count && bytes[position] < 0x80 {
            defer { position += 1 }
            return UInt64(bytes[position])
        }
        let start = position
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.count else {
                throw DecodingFailure(offset: start, reason: "\(what) runs past the end")
            }
            let byte = bytes[position]
            position += 1
            if shift == 63 && byte > 1 {
                throw DecodingFailure(offset: start, reason: "\(what) overflows 64 bits")
            }
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 {
                if byte == 0 && position - start > 1 {
                    throw DecodingFailure(offset: start, reason: "\(what) is not minimally encoded")
                }
                return value
            }
            shift += 7
        }
    }

    @inline(__always)
    private mutating func length(_ what: StaticString) throws(DecodingFailure) -> Int {
        let start = position
        let value = try varint(what)
        guard value <= UInt64(bytes.count - position) else {
            throw DecodingFailure(
                offset: start,
                reason:
                    "\(what) of \(value) runs past the end (\(bytes.count - position) bytes left)")
        }
        return Int(value)
    }

    /// Checks a length-prefixed UTF-8 string and returns where its bytes are.
    @inline(__always)
    private mutating func string(_ what: StaticString) throws(DecodingFailure) -> Range<Int> {
        let count = try length(what)
        let range = position..<position + count
        let text = UnsafeBufferPointer(rebasing: bytes[range])
        // ASCII, the common case, needs no further check.
        if !isASCII(text) {
            guard isValidUTF8(text) else {
                throw DecodingFailure(
                    offset: range.lowerBound, reason: "\(what) is not valid UTF-8")
            }
        }
        position = range.upperBound
        return range
    }

    /// Whether the bytes at `left` sort strictly before those at `right`.
    @inline(__always)
    private func sortsBefore(_ left: Range<Int>, _ right: Range<Int>) -> Bool {
        let common = min(left.count, right.count)
        var index = 0
        while index < common {
            let leftByte = bytes[left.lowerBound + index]
            let rightByte = bytes[right.lowerBound + index]
            if leftByte != rightByte {
                return leftByte < rightByte
            }
            index += 1
        }
        return left.count < right.count
    }
}
