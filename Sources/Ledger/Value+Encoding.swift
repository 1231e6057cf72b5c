/// The canonical binary encoding of ``Value``, laid out in `docs/event-format.md`.
///
/// Each value starts with a tag byte. Decoding is strict: a byte sequence is accepted only
/// when it is the one encoding of its value (shortest varints, normalised decimals, object keys
/// strictly ascending, valid UTF-8), so equal values always have equal bytes.
extension Value {
    enum Tag: UInt8 {
        case null = 0
        case `false` = 1
        case `true` = 2
        case integer = 3
        case decimal = 4
        case string = 5
        case array = 6
        case object = 7
    }

    /// How deeply arrays and objects may nest; deeper input is refused rather than risk the
    /// stack.
    public static let maximumDepth = 64

    /// The value's canonical bytes.
    public var encoded: [UInt8] {
        var writer = ByteWriter()
        encode(into: &writer)
        return writer.bytes
    }

    /// Decodes a value from its canonical bytes, which must be consumed exactly.
    ///
    /// Throws ``LedgerError`` with code ``LedgerError/Code/corrupt`` naming the offset and the
    /// rule broken.
    public init(encoded bytes: [UInt8]) throws {
        self = try bytes.withUnsafeBytes { buffer in
            var reader = ByteReader(buffer)
            do {
                let value = try Value(from: &reader, depth: 0)
                guard reader.isAtEnd else {
                    throw reader.failure("\(reader.remaining) bytes follow the value")
                }
                return value
            } catch {
                throw LedgerError(.corrupt, "value does not decode \(error)")
            }
        }
    }

    func encode(into writer: inout ByteWriter) {
        switch self {
        case .null:
            writer.write(Tag.null.rawValue)
        case .bool(let value):
            writer.write(value ? Tag.true.rawValue : Tag.false.rawValue)
        case .integer(let value):
            writer.write(Tag.integer.rawValue)
            writer.write(zigzag: value)
        case .decimal(let value):
            writer.write(Tag.decimal.rawValue)
            writer.write(zigzag: value.significand)
            writer.write(zigzag: Int64(value.exponent))
        case .string(let value):
            writer.write(Tag.string.rawValue)
            writer.write(string: value)
        case .array(let values):
            writer.write(Tag.array.rawValue)
            writer.write(varint: UInt64(values.count))
            for value in values {
                value.encode(into: &writer)
            }
        case .object(let object):
            writer.write(Tag.object.rawValue)
            writer.write(varint: UInt64(object.count))
            for member in object.members {
                writer.write(string: member.key)
                member.value.encode(into: &writer)
            }
        }
    }

    init(from reader: inout ByteReader, depth: Int) throws(DecodingFailure) {
        let tagOffset = reader.offset
        let tagByte = try reader.readByte("value tag")
        guard let tag = Tag(rawValue: tagByte) else {
            throw DecodingFailure(offset: tagOffset, reason: "unknown value tag \(tagByte)")
        }
        switch tag {
        case .null:
            self = .null
        case .false:
            self = .bool(false)
        case .true:
            self = .bool(true)
        case .integer:
            self = .integer(try reader.readZigzag("integer"))
        case .decimal:
            let start = reader.offset
            let significand = try reader.readZigzag("decimal significand")
            let exponent = try reader.readZigzag("decimal exponent")
            guard let exponent32 = Int32(exactly: exponent),
                let number = DecimalNumber(significand: significand, exponent: exponent32),
                number.significand == significand, Int64(number.exponent) == exponent
            else {
                throw DecodingFailure(
                    offset: start, reason: "decimal \(significand)e\(exponent) is not normalised")
            }
            self = .decimal(number)
        case .string:
            self = .string(try reader.readString("string"))
        case .array:
            guard depth < Value.maximumDepth else {
                throw reader.failure("values nest deeper than \(Value.maximumDepth) levels")
            }
            let count = try reader.readLength("array count")
            var values: [Value] = []
            values.reserveCapacity(count)
            for _ in 0..<count {
                values.append(try Value(from: &reader, depth: depth + 1))
            }
            self = .array(values)
        case .object:
            guard depth < Value.maximumDepth else {
                throw reader.failure("values nest deeper than \(Value.maximumDepth) levels")
            }
            let count = try reader.readLength("object member count")
            var members: [ValueObject.Element] = []
            members.reserveCapacity(count)
            var previousKey: Range<Int>?
            for _ in 0..<count {
                let (key, keyBytes) = try reader.readString("object key", after: previousKey)
                previousKey = keyBytes
                members.append((key: key, value: try Value(from: &reader, depth: depth + 1)))
            }
            self = .object(ValueObject(sortedMembers: members))
        }
    }

    /// Moves past one encoded value by its structure alone, without checking or building
    /// it: only for bytes already validated.
    static func skip(_ reader: inout ByteReader) throws(DecodingFailure) {
        let tag = try reader.readByte("value tag")
        switch Tag(rawValue: tag) {
        case .null, .false, .true:
            break
        case .integer:
            _ = try reader.readVarint("integer")
        case .decimal:
            _ = try reader.readVarint("decimal significand")
            _ = try reader.readVarint("decimal exponent")
        case .string:
            _ = try reader.skipString("string")
        case .array:
            for _ in 0..<(try reader.readLength("array count")) {
                try skip(&reader)
            }
        case .object:
            for _ in 0..<(try reader.readLength("object member count")) {
                _ = try reader.skipString("object key")
                try skip(&reader)
            }
        case nil:
            throw reader.failure("unknown value tag \(tag)")
        }
    }
}
