/// Recognising block syntax on one line.
extension MarkdownReader {
    /// The position of the line's first byte that is not a space or tab; `line.end` when blank.
    func firstNonSpace(_ line: Line) -> Int {
        var position = line.start
        while position < line.end && bytes[position].isSpaceOrTab {
            position += 1
        }
        return position
    }

    /// The line without spaces and tabs at either end.
    func trimmed(_ line: Line) -> Line {
        var end = line.end
        let start = firstNonSpace(line)
        while end > start && bytes[end - 1].isSpaceOrTab {
            end -= 1
        }
        return Line(start: start, end: end)
    }

    /// The level of an ATX heading: one to six `#`, then a space, a tab or the end of the line.
    func headingLevel(_ line: Line, at first: Int) -> Int? {
        var position = first
        while position < line.end && bytes[position] == .hash {
            position += 1
        }
        let level = position - first
        guard (1...6).contains(level), position == line.end || bytes[position].isSpaceOrTab else {
            return nil
        }
        return level
    }

    /// Whether the line is a rule: three or more `-` and nothing else.
    func isRule(_ line: Line, at first: Int) -> Bool {
        let end = trimmed(line).end
        guard end - first >= 3 else {
            return false
        }
        return bytes[first..<end].allSatisfy { $0 == .hyphen }
    }

    /// The length of the opening code fence at `first`: three or more backticks, with no
    /// backtick in the rest of the line.
    func fenceLength(_ line: Line, at first: Int) -> Int? {
        var position = first
        while position < line.end && bytes[position] == .backtick {
            position += 1
        }
        let length = position - first
        guard length >= 3, !bytes[position..<line.end].contains(.backtick) else {
            return nil
        }
        return length
    }

    /// Whether the line closes a fence of `length`: at least as many backticks, alone.
    func isClosingFence(_ line: Line, length: Int) -> Bool {
        let content = trimmed(line)
        return content.end - content.start >= length
            && bytes[content.start..<content.end].allSatisfy { $0 == .backtick }
    }

    /// The columns the bytes from `start` to `end` take, a tab reaching the next multiple of 4.
    func columns(_ start: Int, _ end: Int) -> Int {
        var column = 0
        for byte in bytes[start..<end] {
            column += byte == .tab ? 4 - column % 4 : 1
        }
        return column
    }

    /// The bytes from `start` to `end` as a string.
    func string(_ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    /// The inline content of a paragraph's trimmed lines, which are joined by line breaks; a
    /// line holding only `\` is an empty line.
    func inlines(_ lines: [Line]) -> [Inline] {
        if lines.count == 1, let line = lines.first,
            !(line.end - line.start == 1 && bytes[line.start] == .backslash)
        {
            return InlineReader.inlines(
                of: UnsafeBufferPointer(rebasing: bytes[line.start..<line.end]))
        }
        var text: [UInt8] = []
        text.reserveCapacity(lines.reduce(0) { $0 + $1.end - $1.start + 1 })
        for (index, line) in lines.enumerated() {
            if index > 0 {
                text.append(.newline)
            }
            if line.end - line.start == 1 && bytes[line.start] == .backslash {
                continue
            }
            text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[line.start..<line.end]))
        }
        return text.withUnsafeBufferPointer { InlineReader.inlines(of: $0) }
    }
}

extension UInt8 {
    static let tab = UInt8(ascii: "\t")
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static let space = UInt8(ascii: " ")
    static let hash = UInt8(ascii: "#")
    static let hyphen = UInt8(ascii: "-")
    static let plus = UInt8(ascii: "+")
    static let asterisk = UInt8(ascii: "*")
    static let underscore = UInt8(ascii: "_")
    static let tilde = UInt8(ascii: "~")
    static let backtick = UInt8(ascii: "`")
    static let backslash = UInt8(ascii: "\\")
    static let period = UInt8(ascii: ".")
    static let greaterThan = UInt8(ascii: ">")
    static let lessThan = UInt8(ascii: "<")
    static let openingBracket = UInt8(ascii: "[")
    static let closingBracket = UInt8(ascii: "]")
    static let openingParenthesis = UInt8(ascii: "(")
    static let closingParenthesis = UInt8(ascii: ")")
    static let quote = UInt8(ascii: "\"")
    static let apostrophe = UInt8(ascii: "'")
    static let ampersand = UInt8(ascii: "&")
    static let semicolon = UInt8(ascii: ";")

    var isSpaceOrTab: Bool { self == .space || self == .tab }

    /// A space, tab or line ending; the edges of the text count as whitespace too.
    var isWhitespace: Bool { isSpaceOrTab || self == .newline || self == .carriageReturn }

    var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }

    /// ASCII punctuation, which a backslash can escape.
    var isASCIIPunctuation: Bool {
        (0x21...0x2F).contains(self) || (0x3A...0x40).contains(self)
            || (0x5B...0x60).contains(self) || (0x7B...0x7E).contains(self)
    }

    /// A letter or digit, counting every byte of a non-ASCII character as one.
    var isWordByte: Bool {
        let lowered = self | 0x20
        return self >= 0x80 || isDigit
            || (lowered >= UInt8(ascii: "a") && lowered <= UInt8(ascii: "z"))
    }
}
