/// JSON text for ``Value``: how the command line reads and prints values, and how providers
/// send them.
///
/// Numbers without a fraction or exponent that fit in 64 bits become ``Value/integer(_:)``;
/// other numbers become exact ``Value/decimal(_:)`` values. Nothing is rounded: a number that
/// cannot be kept exactly is an error. Objects print with their keys in the canonical order.
extension Value {
    /// Parses JSON text holding exactly one value.
    ///
    /// Arrays and objects may nest `maximumDepth` levels. Throws ``JSONError`` with the line
    /// and column of the first problem.
    public init(json text: String, maximumDepth: Int = Value.maximumDepth) throws(JSONError) {
        var text = text
        let parsed = text.withUTF8 { bytes in
            Result { () throws(JSONError) -> Value in
                try Self.parseJSON(bytes, maximumDepth: maximumDepth)
            }
        }
        self = try parsed.get()
    }

    /// Parses JSON text given as UTF-8 bytes, which are checked: invalid UTF-8 and NUL bytes
    /// inside strings are errors, never repaired.
    public init(jsonBytes bytes: [UInt8], maximumDepth: Int = Value.maximumDepth)
        throws(JSONError)
    {
        let parsed = bytes.withUnsafeBufferPointer { bytes in
            Result { () throws(JSONError) -> Value in
                try Self.parseJSON(bytes, maximumDepth: maximumDepth)
            }
        }
        self = try parsed.get()
    }

    private static func parseJSON(_ bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int)
        throws(JSONError) -> Value
    {
        var parser = JSONParser(bytes, maximumDepth: maximumDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.isAtEnd else {
            throw parser.error("unexpected text after the value")
        }
        return value
    }

    /// How many levels of arrays and objects the value nests: 0 for a scalar.
    public var nestingDepth: Int {
        switch self {
        case .array(let values):
            1 + (values.lazy.map(\.nestingDepth).max() ?? 0)
        case .object(let object):
            1 + (object.members.lazy.map(\.value.nestingDepth).max() ?? 0)
        default:
            0
        }
    }

    /// The value as compact JSON text, object keys in canonical order.
    public var json: String {
        var output = ""
        writeJSON(to: &output)
        return output
    }

    func writeJSON(to output: inout String) {
        switch self {
        case .null:
            output += "null"
        case .bool(let value):
            output += value ? "true" : "false"
        case .integer(let value):
            output += String(value)
        case .decimal(let value):
            output += value.description
        case .string(let value):
            Self.writeJSONString(value, to: &output)
        case .array(let values):
            output += "["
            for (index, value) in values.enumerated() {
                if index > 0 {
                    output += ","
                }
                value.writeJSON(to: &output)
            }
            output += "]"
        case .object(let object):
            output += "{"
            for (index, member) in object.members.enumerated() {
                if index > 0 {
                    output += ","
                }
                Self.writeJSONString(member.key, to: &output)
                output += ":"
                member.value.writeJSON(to: &output)
            }
            output += "}"
        }
    }

    /// Writes `string` as a JSON string literal, escaping quotes, backslashes and control
    /// characters.
    ///
    /// Only ASCII bytes are ever escaped, and in UTF-8 they never occur inside another
    /// character, so the text is copied in runs between them.
    static func writeJSONString(_ string: String, to output: inout String) {
        output += "\""
        var text = string
        let copiedInRuns = text.withUTF8 { bytes -> Bool in
            var runStart = 0
            for index in bytes.indices {
                let escaped: String
                switch bytes[index] {
                case UInt8(ascii: "\""): escaped = "\\\""
                case UInt8(ascii: "\\"): escaped = "\\\\"
                case UInt8(ascii: "\n"): escaped = "\\n"
                case UInt8(ascii: "\r"): escaped = "\\r"
                case UInt8(ascii: "\t"): escaped = "\\t"
                case 0x08: escaped = "\\b"
                case 0x0C: escaped = "\\f"
                case 0x00..<0x20:
                    let hex = String(bytes[index], radix: 16)
                    escaped = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default:
                    continue
                }
                if runStart < index {
                    output += String(
                        decoding: UnsafeBufferPointer(rebasing: bytes[runStart..<index]),
                        as: UTF8.self)
                }
                output += escaped
                runStart = index + 1
            }
            guard runStart > 0 else {
                return false
            }
            if runStart < bytes.count {
                output += String(
                    decoding: UnsafeBufferPointer(rebasing: bytes[runStart...]), as: UTF8.self)
            }
            return true
        }
        if !copiedInRuns {
            output += string
        }
        output += "\""
    }
}

/// Why JSON text could not be read, and where.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The line of the problem, from 1.
    public let line: Int
    /// The column of the problem, from 1, counted in bytes.
    public let column: Int
    /// What is wrong.
    public let reason: String

    /// `line 3, column 17: expected ':' after an object key`.
    public var description: String {
        "line \(line), column \(column): \(reason)"
    }
}

/// A strict JSON reader (RFC 8259) over UTF-8 bytes.
private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let maximumDepth: Int
    var offset = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    var isAtEnd: Bool { offset >= bytes.count }

    func error(_ reason: String, at position: Int? = nil) -> JSONError {
        let position = min(position ?? offset, bytes.count)
        var line = 1
        var lineStart = 0
        for index in 0..<position where bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        return JSONError(line: line, column: position - lineStart + 1, reason: reason)
    }

    mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    private func describeNext() -> String {
        guard offset < bytes.count else {
            return "the end of the text"
        }
        let byte = bytes[offset]
        return byte >= 0x20 && byte < 0x7F ? "'\(Character(UnicodeScalar(byte)))'" : "byte \(byte)"
    }

    mutating func parseValue(depth: Int) throws(JSONError) -> Value {
        guard offset < bytes.count else {
            throw error("expected a value, found the end of the text")
        }
        switch bytes[offset] {
        case UInt8(ascii: "{"):
            return try parseObject(depth: depth)
        case UInt8(ascii: "["):
            return try parseArray(depth: depth)
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectWord("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectWord("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectWord("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        default:
            throw error("expected a value, found \(describeNext())")
        }
    }

    private mutating func expectWord(_ word: StaticString) throws(JSONError) {
        let length = word.utf8CodeUnitCount
        let matches =
            offset + length <= bytes.count
            && (0..<length).allSatisfy { bytes[offset + $0] == word.utf8Start[$0] }
        guard matches else {
            throw error("expected a value, found \(describeNext())")
        }
        offset += length
    }

    private mutating func parseObject(depth: Int) throws(JSONError) -> Value {
        guard depth < maximumDepth else {
            throw error("values nest deeper than \(maximumDepth) levels")
        }
        offset += 1
        var members: [(key: String, value: Value)] = []
        var keyStarts: [Int] = []
        skipWhitespace()
        if offset < bytes.count && bytes[offset] == UInt8(ascii: "}") {
            offset += 1
            return .object(ValueObject())
        }
        while true {
            skipWhitespace()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else {
                throw error("expected an object key in double quotes, found \(describeNext())")
            }
            keyStarts.append(offset)
            let key = try parseString()
            skipWhitespace()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else {
                throw error("expected ':' after an object key, found \(describeNext())")
            }
            offset += 1
            skipWhitespace()
            members.append((key, try parseValue(depth: depth + 1)))
            skipWhitespace()
            guard offset < bytes.count else {
                throw error("expected ',' or '}' in an object, found the end of the text")
            }
            if bytes[offset] == UInt8(ascii: ",") {
                offset += 1
            } else if bytes[offset] == UInt8(ascii: "}") {
                offset += 1
                return .object(try object(members, keyStarts: keyStarts))
            } else {
                throw error("expected ',' or '}' in an object, found \(describeNext())")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONError) -> Value {
        guard depth < maximumDepth else {
            throw error("values nest deeper than \(maximumDepth) levels")
        }
        offset += 1
        var values: [Value] = []
        skipWhitespace()
        if offset < bytes.count && bytes[offset] == UInt8(ascii: "]") {
            offset += 1
            return .array(values)
        }
        while true {
            skipWhitespace()
            values.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard offset < bytes.count else {
                throw error("expected ',' or ']' in an array, found the end of the text")
            }
            if bytes[offset] == UInt8(ascii: ",") {
                offset += 1
            } else if bytes[offset] == UInt8(ascii: "]") {
                offset += 1
                return .array(values)
            } else {
                throw error("expected ',' or ']' in an array, found \(describeNext())")
            }
        }
    }

    private mutating func parseString() throws(JSONError) -> String {
        let start = offset
        offset += 1
        // Only a string with escapes is rebuilt; others are the bytes between the quotes.
        var unescaped: [UInt8]?
        var runStart = offset
        func checkedRun(_ end: Int) throws(JSONError) -> UnsafeBufferPointer<UInt8> {
            let run = UnsafeBufferPointer(rebasing: bytes[runStart..<end])
            guard String(validating: run, as: UTF8.self) != nil else {
                throw error("the string is not valid UTF-8", at: runStart)
            }
            return run
        }
        while true {
            guard offset < bytes.count else {
                throw error("the string has no closing quote", at: start)
            }
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: "\""):
                let end = offset
                offset += 1
                guard var text = unescaped else {
                    let run = UnsafeBufferPointer(rebasing: bytes[runStart..<end])
                    guard let string = String(validating: run, as: UTF8.self) else {
                        throw error("the string is not valid UTF-8", at: runStart)
                    }
                    return string
                }
                text.append(contentsOf: try checkedRun(end))
                return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                var text = unescaped ?? []
                text.append(contentsOf: try checkedRun(offset))
                text.append(contentsOf: UTF8.encode(try parseEscape())!)
                unescaped = text
                runStart = offset
            case 0x00..<0x20:
                throw error("a control character (byte \(byte)) must be escaped in a string")
            default:
                offset += 1
            }
        }
    }

    /// The object of `members` (keys at `keyStarts`), sorted by key; a key that appears twice
    /// is an error at its second place.
    private func object(_ members: [(key: String, value: Value)], keyStarts: [Int])
        throws(JSONError) -> ValueObject
    {
        let order = members.indices.sorted { left, right in
            let order = ValueObject.compare(members[left].key, members[right].key)
            return order == 0 ? left < right : order < 0
        }
        var sorted: [(key: String, value: Value)] = []
        sorted.reserveCapacity(members.count)
        for (index, position) in order.enumerated() {
            if index > 0, ValueObject.compare(sorted[index - 1].key, members[position].key) == 0 {
                let key = members[position].key
                throw error(
                    "the key \"\(key)\" appears twice in one object", at: keyStarts[position])
            }
            sorted.append(members[position])
        }
        return ValueObject(sortedMembers: sorted)
    }

    private mutating func parseEscape() throws(JSONError) -> Unicode.Scalar {
        let start = offset
        offset += 1
        guard offset < bytes.count else {
            throw error("the string has no closing quote", at: start)
        }
        let byte = bytes[offset]
        offset += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let first = try parseHex4()
            if (0xD800..<0xDC00).contains(first) {
                guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"),
                    bytes[offset + 1] == UInt8(ascii: "u")
                else {
                    throw error(
                        "a high surrogate \\u escape must be followed by a low one", at: start)
                }
                offset += 2
                let second = try parseHex4()
                guard (0xDC00..<0xE000).contains(second) else {
                    throw error(
                        "a high surrogate \\u escape must be followed by a low one", at: start)
                }
                return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))!
            }
            guard let scalar = Unicode.Scalar(first) else {
                throw error("a lone low surrogate \\u escape is not a character", at: start)
            }
            return scalar
        default:
            throw error(
                "unknown escape '\\\(Character(UnicodeScalar(byte)))' in a string", at: start)
        }
    }

    private mutating func parseHex4() throws(JSONError) -> UInt32 {
        guard offset + 4 <= bytes.count else {
            throw error("a \\u escape needs four hexadecimal digits")
        }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - 48)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - 87)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - 55)
            default: throw error("a \\u escape needs four hexadecimal digits")
            }
            value = value << 4 | digit
            offset += 1
        }
        return value
    }

    private mutating func parseNumber() throws(JSONError) -> Value {
        let start = offset
        if bytes[offset] == UInt8(ascii: "-") {
            offset += 1
        }
        let integerStart = offset
        try skipDigits()
        if bytes[integerStart] == UInt8(ascii: "0") && offset - integerStart > 1 {
            throw error("a number may not have leading zeros", at: start)
        }
        var isInteger = true
        if offset < bytes.count && bytes[offset] == UInt8(ascii: ".") {
            isInteger = false
            offset += 1
            try skipDigits()
        }
        if offset < bytes.count
            && (bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E"))
        {
            isInteger = false
            offset += 1
            if offset < bytes.count
                && (bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-"))
            {
                offset += 1
            }
            try skipDigits()
        }
        let text = String(
            decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        if isInteger, let integer = Int64(text) {
            return .integer(integer)
        }
        guard let decimal = DecimalNumber(Substring(text)) else {
            throw error(
                "the number \(text) cannot be kept exactly (a significand within 64 bits "
                    + "and exponents within ±\(DecimalNumber.exponentLimit))", at: start)
        }
        return .decimal(decimal)
    }

    private mutating func skipDigits() throws(JSONError) {
        let start = offset
        while offset < bytes.count && bytes[offset] >= UInt8(ascii: "0")
            && bytes[offset] <= UInt8(ascii: "9")
        {
            offset += 1
        }
        if offset == start {
            throw error("expected a digit in a number, found \(describeNext())")
        }
    }
}
