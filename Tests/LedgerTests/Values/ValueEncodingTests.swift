import Glibc
import Ledger
import Testing

/// Bytes that are not the canonical encoding of any value, and the offset an error must name.
struct MalformedEncoding: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let offset: Int

    var testDescription: String { name }

    init(_ name: String, _ bytes: [UInt8], at offset: Int) {
        self.name = name
        self.bytes = bytes
        self.offset = offset
    }

    static let all = [
        MalformedEncoding("integer varint padded with a zero byte", [3, 0x80, 0x00], at: 1),
        MalformedEncoding("integer varint padded after a real byte", [3, 0x81, 0x80, 0x00], at: 1),
        MalformedEncoding("array count padded", [6, 0x80, 0x00], at: 1),
        MalformedEncoding("string length padded", [5, 0x81, 0x00, 0x61], at: 1),
        MalformedEncoding(
            "varint beyond 64 bits", [3] + Array(repeating: 0xFF, count: 9) + [0x02], at: 1),
        MalformedEncoding("object keys out of order", [7, 2, 1, 0x62, 0, 1, 0x61, 0], at: 5),
        MalformedEncoding("object key repeated", [7, 2, 1, 0x61, 0, 1, 0x61, 0], at: 5),
        MalformedEncoding(
            "longer key before its own prefix", [7, 2, 2, 0x61, 0x62, 0, 1, 0x61, 0], at: 6),
        MalformedEncoding(
            "keys ordered as UTF-16 instead of as UTF-8 bytes",
            [7, 2, 4, 0xF0, 0x9F, 0x98, 0x80, 0, 3, 0xEF, 0xBD, 0x9E, 0], at: 8),
        MalformedEncoding("decimal with a trailing zero", [4, 20, 0], at: 1),
        MalformedEncoding("decimal zero with an exponent", [4, 0, 2], at: 1),
        MalformedEncoding("decimal exponent above 64", [4, 2, 0x82, 0x01], at: 1),
        MalformedEncoding("decimal exponent below -64", [4, 2, 0x81, 0x01], at: 1),
        MalformedEncoding("a byte after the value", [0, 0], at: 1),
        MalformedEncoding("a byte after an array", [6, 1, 2, 9], at: 3),
        MalformedEncoding("invalid UTF-8 byte", [5, 1, 0xFF], at: 2),
        MalformedEncoding("overlong UTF-8", [5, 2, 0xC0, 0x80], at: 2),
        MalformedEncoding("UTF-8 for a surrogate", [5, 3, 0xED, 0xA0, 0x80], at: 2),
        MalformedEncoding("UTF-8 sequence cut short", [5, 1, 0xC3], at: 2),
        MalformedEncoding("invalid UTF-8 in a key", [7, 1, 1, 0xFF, 0], at: 3),
        MalformedEncoding("unknown tag", [8], at: 0),
        MalformedEncoding("unknown tag inside an array", [6, 1, 0xFF], at: 2),
        MalformedEncoding("no bytes at all", [], at: 0),
        MalformedEncoding("integer without its varint", [3], at: 1),
        MalformedEncoding("varint cut short", [3, 0x80], at: 2),
        MalformedEncoding("string shorter than its length", [5, 3, 0x61], at: 2),
        MalformedEncoding("array shorter than its count", [6, 2, 0], at: 2),
        MalformedEncoding("object member without a value", [7, 1, 1, 0x61], at: 4),
        MalformedEncoding("decimal without its exponent", [4, 2], at: 2),
    ]
}

/// A value and its encoding as `docs/event-format.md` lays it out.
struct DocumentedLayout: Sendable, CustomTestStringConvertible {
    let value: Value
    let bytes: [UInt8]

    var testDescription: String { value.json }

    init(_ value: Value, _ bytes: [UInt8]) {
        self.value = value
        self.bytes = bytes
    }

    static let all: [DocumentedLayout] = {
        let maximumZigzag: [UInt8] = [0xFE] + [UInt8](repeating: 0xFF, count: 8) + [0x01]
        let minimumZigzag: [UInt8] = [UInt8](repeating: 0xFF, count: 9) + [0x01]
        let status: [UInt8] = [0x06] + Array("status".utf8)
        let pending: [UInt8] = [0x05, 0x07] + Array("pending".utf8)
        return [
            DocumentedLayout(.null, [0x00]),
            DocumentedLayout(.bool(false), [0x01]),
            DocumentedLayout(.bool(true), [0x02]),
            DocumentedLayout(.integer(0), [0x03, 0x00]),
            DocumentedLayout(.integer(-1), [0x03, 0x01]),
            DocumentedLayout(.integer(1), [0x03, 0x02]),
            DocumentedLayout(.integer(64), [0x03, 0x80, 0x01]),
            DocumentedLayout(.integer(-65), [0x03, 0x81, 0x01]),
            DocumentedLayout(.integer(.max), [0x03] + maximumZigzag),
            DocumentedLayout(.integer(.min), [0x03] + minimumZigzag),
            DocumentedLayout(decimal(125, -1), [0x04, 0xFA, 0x01, 0x01]),
            DocumentedLayout(.string(""), [0x05, 0x00]),
            DocumentedLayout(.string("\u{E9}"), [0x05, 0x02, 0xC3, 0xA9]),
            DocumentedLayout(.string("e\u{301}"), [0x05, 0x03, 0x65, 0xCC, 0x81]),
            DocumentedLayout(.array([]), [0x06, 0x00]),
            DocumentedLayout(.array([.null, .bool(true)]), [0x06, 0x02, 0x00, 0x02]),
            DocumentedLayout(.object(ValueObject()), [0x07, 0x00]),
            DocumentedLayout(["status": "pending"], [0x07, 0x01] + status + pending),
        ]
    }()
}

/// The byte offset a decoding error names, from its `at byte N` phrase.
func namedOffset(_ error: LedgerError) -> Int? {
    guard let match = error.message.firstMatch(of: /at byte (\d+)/) else {
        return nil
    }
    return Int(match.1)
}

@Suite struct ValueEncodingTests {
    @Test(arguments: ValueSamples.all)
    func decodingTheEncodingGivesTheSameValueBack(_ value: Value) throws {
        let bytes = value.encoded
        let decoded = try Value(encoded: bytes)
        #expect(decoded == value)
        #expect(decoded.encoded == bytes)
    }

    @Test(arguments: DocumentedLayout.all)
    func valuesEncodeToTheDocumentedBytes(_ layout: DocumentedLayout) throws {
        #expect(layout.value.encoded == layout.bytes)
        #expect(try Value(encoded: layout.bytes) == layout.value)
    }

    @Test func objectBytesDoNotDependOnTheOrderMembersWereAddedIn() {
        let members: [(String, Value)] = [
            ("zeta", 1), ("alpha", [1, 2]), ("Beta", nil), ("\u{E9}", "x"), ("", true),
            ("\u{FF5E}", 2), ("😀", 3), ("nested", ["y": 2, "x": 1]),
        ]
        let reference = Value.object(ValueObject(members)).encoded
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<50 {
            let shuffled = members.shuffled(using: &generator)
            #expect(Value.object(ValueObject(shuffled)).encoded == reference)

            var assigned = ValueObject()
            for (key, value) in shuffled {
                assigned[key] = value
            }
            #expect(Value.object(assigned).encoded == reference)
        }
    }

    @Test func objectKeysSortByTheirUTF8Bytes() {
        let object = ValueObject([
            ("b", 1), ("😀", 2), ("\u{FF5E}", 3), ("B", 4), ("a", 5), ("\u{E9}", 6), ("ab", 7),
        ])
        #expect(object.keys == ["B", "a", "ab", "b", "\u{E9}", "\u{FF5E}", "😀"])
    }

    @Test func aRepeatedKeyKeepsItsLastValue() {
        let object = ValueObject([("k", 1), ("other", 2), ("k", 3)])
        #expect(object.count == 2)
        #expect(object["k"] == 3)
        let literal: Value = ["k": 1, "k": 2]
        #expect(literal == ["k": 2])
    }

    @Test func stringsThatDifferOnlyInNormalisationAreDifferentValues() throws {
        let precomposed = Value.string("\u{E9}")
        let decomposed = Value.string("e\u{301}")
        #expect(precomposed != decomposed)
        #expect(precomposed.encoded != decomposed.encoded)
        #expect(Set([precomposed, decomposed]).count == 2)

        let object = ValueObject([("\u{E9}", 1), ("e\u{301}", 2)])
        #expect(object.count == 2)
        #expect(object["\u{E9}"] == 1)
        #expect(object["e\u{301}"] == 2)

        let decoded = try #require(try Value(encoded: decomposed.encoded).stringValue)
        #expect(Array(decoded.utf8) == [0x65, 0xCC, 0x81])
    }

    @Test(arguments: MalformedEncoding.all)
    func decodingRefusesNonCanonicalBytesNamingTheOffset(_ malformed: MalformedEncoding) {
        let error = #expect(throws: LedgerError.self) {
            try Value(encoded: malformed.bytes)
        }
        #expect(error?.code == .corrupt)
        #expect(error.flatMap(namedOffset) == malformed.offset, "\(error?.message ?? "")")
    }

    @Test(arguments: [nestedArrays(depth: 65), nestedObjects(depth: 65)])
    func decodingRefusesNestingDeeperThanTheMaximum(_ value: Value) throws {
        #expect(Value.maximumDepth == 64)
        let error = #expect(throws: LedgerError.self) {
            try Value(encoded: value.encoded)
        }
        #expect(error?.code == .corrupt)
        #expect(error?.message.contains("64") == true)

        // The 65th level starts after 64 levels' worth of tags and counts (and keys).
        let levelWidth = value.arrayValue != nil ? 2 : 4
        let offset = try #require(error.flatMap(namedOffset))
        #expect((64 * levelWidth...64 * levelWidth + 1).contains(offset), "\(error!.message)")
    }

    @Test func decodingAcceptsNestingAtTheMaximum() throws {
        var mixed = Value.null
        for level in 0..<Value.maximumDepth {
            mixed = level.isMultiple(of: 2) ? [mixed] : ["level": mixed]
        }
        #expect(mixed.nestingDepth == 64)
        #expect(try Value(encoded: mixed.encoded) == mixed)
    }

    @Test(
        arguments: [
            [4, 2, 0x80, 0x80, 0x80, 0x80, 0x10],
            [4, 2] + [UInt8](repeating: 0xFF, count: 9) + [0x01],
            [4, 2] + [UInt8](repeating: 0xFF, count: 9) + [0x01, 0x00],
        ] as [[UInt8]])
    func aDecimalExponentBeyond32BitsIsRefused(_ bytes: [UInt8]) {
        // Exponents of 2^31 and of -2^63: neither fits an `Int32`.
        let error = #expect(throws: LedgerError.self) {
            try Value(encoded: bytes)
        }
        #expect(error?.code == .corrupt)
    }

    @Test func aDecimalWithTheSmallest32BitExponentIsRefusedNotACrash() async {
        await #expect(processExitsWith: .success) {
            // significand 1, exponent -2147483648 (zigzag 0xFFFF_FFFF)
            let bytes: [UInt8] = [4, 2, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]
            do {
                _ = try Value(encoded: bytes)
                exit(1)
            } catch let error as LedgerError where error.code == .corrupt {
                exit(0)
            } catch {
                exit(2)
            }
        }
    }

    @Test func aDecimalWithTrailingZeroAndTheLargest32BitExponentIsRefusedNotACrash() async {
        await #expect(processExitsWith: .success) {
            // significand 10, exponent 2147483647 (zigzag 0xFFFF_FFFE)
            let bytes: [UInt8] = [4, 20, 0xFE, 0xFF, 0xFF, 0xFF, 0x0F]
            do {
                _ = try Value(encoded: bytes)
                exit(1)
            } catch let error as LedgerError where error.code == .corrupt {
                exit(0)
            } catch {
                exit(2)
            }
        }
    }
}
