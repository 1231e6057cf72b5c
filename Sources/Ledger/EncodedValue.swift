/// A ``Value`` kept as its canonical bytes, checked but not yet turned into Swift values.
///
/// Reading the log hands out event bodies in this form: the bytes are validated once (every
/// rule of the canonical encoding), so turning them into a ``Value`` later cannot fail, and a
/// reader that needs one member, or none, does not pay for building the whole tree. Two encoded
/// values are equal exactly when their values are, because the encoding is canonical.
public struct EncodedValue: Sendable, Hashable {
    /// The canonical bytes.
    public let bytes: [UInt8]

    /// Encodes `value`.
    public init(_ value: Value) {
        bytes = value.encoded
    }

    /// Checks `bytes` against every rule of the canonical encoding and keeps them.
    ///
    /// Throws ``LedgerError`` with code ``LedgerError/Code/corrupt`` naming the offset and the
    /// rule broken.
    public init(validating bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { buffer in
            do {
                var reader = ByteReader(buffer)
                try Self.validate(&reader)
            } catch {
                throw LedgerError(.corrupt, "value does not decode \(error)")
            }
        }
        self.bytes = bytes
    }

    /// Keeps bytes already validated by ``validate(_:)``.
    init(validated bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The value. Decoding cannot fail, since the bytes were checked when this was made.
    public var value: Value {
        do {
            return try Value(encoded: bytes)
        } catch {
            // Every initialiser validates or encodes, so this is a bug in the codec itself.
            preconditionFailure("validated bytes failed to decode: \(error)")
        }
    }

    /// Whether the value is an object.
    public var isObject: Bool {
        bytes.first == Value.Tag.object.rawValue
    }

    /// The number of members when the value is an object, of elements when it is an array;
    /// `nil` otherwise. Reads only the head of the value.
    public var count: Int? {
        bytes.withUnsafeBytes { buffer in
            var reader = ByteReader(buffer)
            guard let tag = try? reader.readByte("value tag"),
                tag == Value.Tag.object.rawValue || tag == Value.Tag.array.rawValue
            else {
                return nil
            }
            return try? reader.readLength("count")
        }
    }

    /// The members when the value is an object, each as its key and its value still encoded,
    /// in key order; `nil` for any other value. Only the object's structure is read.
    public var members: [(key: String, value: EncodedValue)]? {
        bytes.withUnsafeBytes { buffer in
            var reader = ByteReader(buffer)
            do {
                guard try reader.readByte("value tag") == Value.Tag.object.rawValue else {
                    return nil
                }
                let count = try reader.readLength("member count")
                var members: [(key: String, value: EncodedValue)] = []
                members.reserveCapacity(count)
                for _ in 0..<count {
                    let key = try reader.readString("object key")
                    let start = reader.offset
                    try Value.skip(&reader)
                    let value = EncodedValue(
                        validated: Array(buffer[start..<reader.offset]))
                    members.append((key, value))
                }
                return members
            } catch {
                preconditionFailure("validated bytes failed to decode: \(error)")
            }
        }
    }

    /// Calls `body` with each member's key (UTF-8) and encoded value, in key order, read where
    /// they lie: nothing is copied. Returns `false`, calling nothing, when the value is not an
    /// object.
    public func forEachMember(
        _ body: (UnsafeBufferPointer<UInt8>, UnsafeRawBufferPointer) throws -> Void
    ) rethrows -> Bool {
        try bytes.withUnsafeBytes { buffer in
            var reader = ByteReader(buffer)
            let members: Int
            do {
                guard try reader.readByte("value tag") == Value.Tag.object.rawValue else {
                    return false
                }
                members = try reader.readLength("member count")
            } catch {
                preconditionFailure("validated bytes failed to decode: \(error)")
            }
            let utf8 = buffer.assumingMemoryBound(to: UInt8.self)
            for _ in 0..<members {
                let key: Range<Int>
                let start: Int
                do {
                    key = try reader.skipString("object key")
                    start = reader.offset
                    try Value.skip(&reader)
                } catch {
                    preconditionFailure("validated bytes failed to decode: \(error)")
                }
                try body(
                    UnsafeBufferPointer(rebasing: utf8[key]),
                    UnsafeRawBufferPointer(rebasing: buffer[start..<reader.offset]))
            }
            return true
        }
    }

    /// The member called `key` when the value is an object that has one, decoding that member
    /// alone.
    public subscript(member key: String) -> Value? {
        var key = key
        return key.withUTF8 { key in
            bytes.withUnsafeBytes { buffer -> Value? in
                var reader = ByteReader(buffer)
                do {
                    guard try reader.readByte("value tag") == Value.Tag.object.rawValue else {
                        return nil
                    }
                    let count = try reader.readLength("member count")
                    for _ in 0..<count {
                        let keyBytes = try reader.skipString("object key")
                        if reader.bytes(at: keyBytes, equal: key) {
                            return try Value(from: &reader, depth: 1)
                        }
                        try Self.validate(&reader, depth: 1)
                    }
                    return nil
                } catch {
                    preconditionFailure("validated bytes failed to decode: \(error)")
                }
            }
        }
    }

    /// Checks one value at the reader's position against the canonical encoding and moves
    /// past it, without building it.
    static func validate(_ reader: inout ByteReader, depth: Int = 0) throws(DecodingFailure) {
        var validator = CanonicalValidator(reader.contents, at: reader.offset)
        try validator.validateValue(depth: depth)
        reader.move(to: validator.position)
    }
}
