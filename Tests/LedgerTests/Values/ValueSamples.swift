import Ledger

/// A decimal value known to be within range.
func decimal(_ significand: Int64, _ exponent: Int32) -> Value {
    guard let number = DecimalNumber(significand: significand, exponent: exponent) else {
        preconditionFailure("\(significand)e\(exponent) is outside the test data's range")
    }
    return .decimal(number)
}

/// Values of every kind, with the edges each kind has.
enum ValueSamples {
    static let scalars: [Value] = [
        .null, true, false,
        0, 1, -1, 63, -64, 64, -65, 1_000_000, .integer(.max), .integer(.min),
        decimal(125, -1), decimal(-3, -2), decimal(1, 64), decimal(1, -64), decimal(15, 2),
        decimal(.max, -5), decimal(-123_456_789_012_345_678, 10),
        "", "plain", "\u{E9}", "e\u{301}", "日本語のテキスト", "😀 emoji",
        "\u{0}nul\u{0}",
        "quote \" backslash \\ slash /", "line\nbreak\ttab\r\u{08}\u{0C}\u{1F}",
        .string(String(repeating: "long ", count: 200)),
    ]

    static let containers: [Value] = [
        [], [:], [nil], [[[]]], [1, "two", decimal(35, -1), nil, false],
        ["b": 1, "a": [true, nil], "c": ["nested": ["deeper": "yes"]]],
        ["": "empty key", "\u{E9}": 1, "e\u{301}": 2, "z": [:]],
        [["id": 1, "tags": ["x", "y"]], ["id": 2, "tags": []]],
        .array((0..<300).map { .integer(Int64($0)) }),
        nestedArrays(depth: 64), nestedObjects(depth: 64),
    ]

    static let all = scalars + containers
}
