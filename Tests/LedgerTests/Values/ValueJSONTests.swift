import Ledger
import Testing

/// JSON text that must be refused, and where the error must point.
struct BadJSON: Sendable, CustomTestStringConvertible {
    let name: String
    let text: String
    let line: Int
    let column: Int

    var testDescription: String { name }

    init(_ name: String, _ text: String, at position: (line: Int, column: Int)) {
        self.name = name
        self.text = text
        (line, column) = position
    }

    static let all = [
        BadJSON("missing colon", #"{"a" 1}"#, at: (1, 6)),
        BadJSON("missing value", #"{"a":}"#, at: (1, 6)),
        BadJSON("trailing comma in an object", #"{"a":1,}"#, at: (1, 8)),
        BadJSON("trailing comma in an array", "[1,2,]", at: (1, 6)),
        BadJSON("trailing comma on its own line", "[\n  1,\n]", at: (3, 1)),
        BadJSON("unterminated string", #""abc"#, at: (1, 1)),
        BadJSON("unterminated string on line 2", "{\n  \"a\": \"abc", at: (2, 8)),
        BadJSON("leading zero", "[01]", at: (1, 2)),
        BadJSON("negative leading zeros", "-007", at: (1, 1)),
        BadJSON("point without digits", "1.", at: (1, 3)),
        BadJSON("exponent without digits", "1e", at: (1, 3)),
        BadJSON("minus without digits", "-", at: (1, 2)),
        BadJSON("duplicate key", #"{"a":1,"a":2}"#, at: (1, 8)),
        BadJSON("duplicate key on line 3", "{\n\"a\": 1,\n  \"a\": 2\n}", at: (3, 3)),
        BadJSON("tab inside a string", "\"a\tb\"", at: (1, 3)),
        BadJSON("newline inside a string", "[\"a\nb\"]", at: (1, 4)),
        BadJSON("text after the value", "1 2", at: (1, 3)),
        BadJSON("text after an object", "{} x", at: (1, 4)),
        BadJSON("text after the value on line 2", "true\n  x", at: (2, 3)),
        BadJSON("columns count bytes", "\"\u{E9}\" x", at: (1, 6)),
        BadJSON("no value at all", "", at: (1, 1)),
        BadJSON("misspelt literal", "[tru]", at: (1, 2)),
        BadJSON("single-quoted key", "{'a':1}", at: (1, 2)),
        BadJSON("unquoted key", "{a:1}", at: (1, 2)),
        BadJSON("unknown escape", #"["\x"]"#, at: (1, 3)),
        BadJSON("lone low surrogate", #""\udc00""#, at: (1, 2)),
        BadJSON("high surrogate alone", #""\ud83dx""#, at: (1, 2)),
        BadJSON("non-hex digit in an escape", #""\u12g4""#, at: (1, 6)),
        BadJSON("integer too large to keep exactly", "[1, 123456789012345678901]", at: (1, 5)),
        BadJSON("just past the 64-bit range", "9223372036854775808", at: (1, 1)),
        BadJSON("just below the 64-bit range", "-9223372036854775809", at: (1, 1)),
        BadJSON("exponent beyond 64", "1e65", at: (1, 1)),
        BadJSON("nesting deeper than 64", String(repeating: "[", count: 65), at: (1, 65)),
    ]
}

@Suite struct ValueJSONTests {
    @Test(
        arguments: [
            ("null", Value.null),
            ("true", true),
            ("false", false),
            ("0", 0),
            ("-0", 0),
            ("42", 42),
            ("-42", -42),
            ("9223372036854775807", .integer(.max)),
            ("-9223372036854775808", .integer(.min)),
            ("1.5", decimal(15, -1)),
            ("1.0", decimal(1, 0)),
            ("-0.0", decimal(0, 0)),
            ("1e2", decimal(1, 2)),
            ("2.50E-3", decimal(25, -4)),
            ("10000000000000000000", decimal(1, 19)),
            ("-12345678901234567800", decimal(-123_456_789_012_345_678, 2)),
            (#""""#, ""),
            (#""text""#, "text"),
            ("\"\u{E9}\"", "\u{E9}"),
            ("\"e\u{301}\"", "e\u{301}"),
            ("[]", []),
            ("{}", [:]),
            (" \t\r\n[ 1 , [ 2 , [ ] ] ]\n ", [1, [2, []]]),
            (#"{"b":1,"a":{"c":[null]}}"#, ["a": ["c": [nil]], "b": 1]),
            (#"{ "a" : 1 , "b" : [ true , false ] }"#, ["a": 1, "b": [true, false]]),
        ] as [(String, Value)])
    func parsesEveryKindOfValue(_ text: String, _ expected: Value) throws {
        #expect(try Value(json: text) == expected)
        #expect(try Value(jsonBytes: Array(text.utf8)) == expected)
    }

    @Test func integersAndDecimalsStayApart() throws {
        #expect(try Value(json: "1") == .integer(1))
        #expect(try Value(json: "1.0") == decimal(1, 0))
        #expect(try Value(json: "1e0") == decimal(1, 0))
        #expect(try Value(json: "1") != Value(json: "1.0"))
    }

    @Test(
        arguments: [
            (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{08}\u{0C}\n\r\t"),
            (#""\u0041\u00e9\u00E9""#, "A\u{E9}\u{E9}"),
            (#""\ud83d\ude00""#, "😀"),
            (#""\uD83D\uDE00x""#, "😀x"),
            (#""\u0000""#, "\u{0}"),
            (#""a\u0301""#, "a\u{301}"),
            (#""plain \u0022quoted\u0022""#, "plain \"quoted\""),
        ])
    func decodesEscapesAndSurrogatePairs(_ text: String, _ expected: String) throws {
        let parsed = try #require(try Value(json: text).stringValue)
        #expect(Array(parsed.utf8) == Array(expected.utf8))
    }

    @Test(arguments: BadJSON.all)
    func refusesInvalidTextNamingTheLineAndColumn(_ bad: BadJSON) {
        let error = #expect(throws: JSONError.self) {
            try Value(json: bad.text)
        }
        #expect(error?.line == bad.line, "\(error?.description ?? "")")
        #expect(error?.column == bad.column, "\(error?.description ?? "")")
        #expect(error?.reason.isEmpty == false)
        #expect(error?.description.hasPrefix("line \(bad.line), column \(bad.column): ") == true)
    }

    @Test(
        arguments: [
            [0x22, 0xFF, 0x22],
            [0x22, 0xC3, 0x22],
            [0x22, 0xC0, 0x80, 0x22],
            [0x22, 0xED, 0xA0, 0x80, 0x22],
            [0x22, 0x00, 0x22],
        ] as [[UInt8]])
    func refusesInvalidUTF8AndRawNULInStrings(_ bytes: [UInt8]) {
        #expect(throws: JSONError.self) {
            try Value(jsonBytes: bytes)
        }
    }

    @Test func honoursACallersNestingLimit() throws {
        #expect(try Value(json: "[[1]]", maximumDepth: 2) == [[1]])
        #expect(throws: JSONError.self) {
            try Value(json: "[[1]]", maximumDepth: 1)
        }
        #expect(try Value(json: nestedArrays(depth: 64).json) == nestedArrays(depth: 64))
    }

    @Test(
        arguments: [
            (Value.null, "null"),
            (true, "true"),
            (-5, "-5"),
            (.integer(.min), "-9223372036854775808"),
            (decimal(125, -1), "12.5"),
            (decimal(15, 2), "1500.0"),
            (decimal(-3, -2), "-0.03"),
            (decimal(0, 0), "0.0"),
            ("q\"b\\s/", #""q\"b\\s/""#),
            ("n\nr\rt\tb\u{08}f\u{0C}", #""n\nr\rt\tb\bf\f""#),
            ("\u{1}\u{1F}\u{0}", #""\u0001\u001f\u0000""#),
            ("\u{E9}😀", "\"\u{E9}😀\""),
            ([1, [], [:], nil], "[1,[],{},null]"),
            (
                ["b": 1, "a": [true, nil], "\u{E9}": "x", "B": 2],
                #"{"B":2,"a":[true,null],"b":1,"é":"x"}"#
            ),
        ] as [(Value, String)])
    func printsCompactJSONWithMembersInCanonicalOrder(_ value: Value, _ json: String) {
        #expect(value.json == json)
    }

    @Test(arguments: ValueSamples.all)
    func printedJSONParsesBackToTheSameValue(_ value: Value) throws {
        #expect(try Value(json: value.json) == value)
    }

    @Test func randomValuesRoundTripThroughJSONAndTheEncoding() throws {
        var generator = SeededGenerator(seed: 0x5eed)
        for _ in 0..<300 {
            let value = Self.randomValue(depth: 0, using: &generator)
            #expect(try Value(json: value.json) == value, "\(value.json)")
            #expect(try Value(encoded: value.encoded) == value, "\(value.json)")
        }
    }

    @Test func aDecimalWithTheMostNegativeSignificandRoundTripsThroughJSON() throws {
        for value in [decimal(.min, 0), decimal(.min, -1)] {
            #expect(try Value(json: value.json) == value, "\(value.json)")
        }
    }

    private static func randomValue(depth: Int, using generator: inout SeededGenerator) -> Value {
        let kind = Int.random(in: 0..<(depth < 4 ? 8 : 6), using: &generator)
        switch kind {
        case 0:
            return .null
        case 1:
            return .bool(Bool.random(using: &generator))
        case 2:
            return .integer(Int64.random(in: .min ... .max, using: &generator))
        case 3:
            let significand = Int64.random(
                in: -999_999_999_999_999_999...999_999_999_999_999_999, using: &generator)
            let exponent = Int32.random(in: -40...40, using: &generator)
            return .decimal(DecimalNumber(significand: significand, exponent: exponent)!)
        case 4, 5:
            return .string(randomString(using: &generator))
        case 6:
            let count = Int.random(in: 0..<5, using: &generator)
            return .array(
                (0..<count).map { _ in randomValue(depth: depth + 1, using: &generator) })
        default:
            let count = Int.random(in: 0..<5, using: &generator)
            return .object(
                ValueObject(
                    (0..<count).map { _ in
                        (
                            randomString(using: &generator),
                            randomValue(depth: depth + 1, using: &generator)
                        )
                    }))
        }
    }

    private static func randomString(using generator: inout SeededGenerator) -> String {
        let alphabet: [Unicode.Scalar] = [
            "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}",
            "\u{E9}", "\u{301}", "\u{FF5E}", "😀", "\u{10FFFF}",
        ]
        var scalars = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0..<8, using: &generator) {
            scalars.append(alphabet.randomElement(using: &generator)!)
        }
        return String(scalars)
    }
}
