/// Escaping text, code spans and link addresses so that they read back as written.
extension MarkdownWriter {
    /// Writes `text` with a backslash before each character that would read as markup.
    ///
    /// At the start of a line, spaces are left out (a line's edges are trimmed when read), and
    /// the characters that would start a heading, a quotation or a list are escaped.
    mutating func writeEscaped(_ text: Substring, atLineStart: inout Bool) {
        let bytes = text.utf8
        var index = bytes.startIndex
        var previous: UInt8?
        while index < bytes.endIndex {
            let byte = bytes[index]
            if atLineStart && (byte == .space || byte == .tab) {
                index = bytes.index(after: index)
                continue
            }
            if atLineStart {
                atLineStart = false
                if byte.isDigit {
                    index = writeNumberAtLineStart(bytes, from: index)
                    previous = nil
                    continue
                }
                if byte == .hash || byte == .greaterThan || byte == .hyphen || byte == .plus {
                    output.append(.backslash)
                    output.append(byte)
                    previous = byte
                    index = bytes.index(after: index)
                    continue
                }
            }
            let nextIndex = bytes.index(after: index)
            let next = nextIndex < bytes.endIndex ? bytes[nextIndex] : nil
            if Self.needsEscape(byte, previous: previous, next: next) {
                output.append(.backslash)
            }
            output.append(byte)
            previous = byte
            index = nextIndex
        }
    }

    /// Writes the digits starting a line, escaping a `.` or `)` after them that would make
    /// the line an ordered list item; returns the index after the last byte written.
    private mutating func writeNumberAtLineStart(
        _ bytes: Substring.UTF8View, from start: Substring.UTF8View.Index
    ) -> Substring.UTF8View.Index {
        var index = start
        while index < bytes.endIndex && bytes[index].isDigit {
            output.append(bytes[index])
            index = bytes.index(after: index)
        }
        if index < bytes.endIndex,
            bytes[index] == .period || bytes[index] == .closingParenthesis
        {
            output.append(.backslash)
            output.append(bytes[index])
            index = bytes.index(after: index)
        }
        return index
    }

    /// Whether `byte` needs a backslash wherever it stands. `_` and `~` are left alone between
    /// characters that keep them from pairing: letters around `_`, anything but `~` around `~`.
    private static func needsEscape(_ byte: UInt8, previous: UInt8?, next: UInt8?) -> Bool {
        switch byte {
        case .backslash, .asterisk, .backtick, .openingBracket, .closingBracket:
            return true
        case .underscore:
            guard let previous, let next else {
                return true
            }
            return !(previous.isWordByte && next.isWordByte)
        case .tilde:
            guard let previous, let next else {
                return true
            }
            return previous == .tilde || next == .tilde
        default:
            return false
        }
    }

    /// Writes `text` as a code span, its backtick fence longer than any run inside it.
    mutating func writeCodeSpan(_ text: Substring) {
        var longestRun = 0
        var run = 0
        var allSpaces = true
        for byte in text.utf8 {
            run = byte == .backtick ? run + 1 : 0
            longestRun = max(longestRun, run)
            allSpaces = allSpaces && byte == .space
        }
        let first = text.utf8.first
        let last = text.utf8.last
        // One space on each side is taken off when read, when both sides have one.
        let padded =
            first == .backtick || last == .backtick
            || (!allSpaces && first == .space && last == .space)
        let fence = repeatElement(UInt8.backtick, count: longestRun + 1)
        output.append(contentsOf: fence)
        if padded {
            output.append(.space)
        }
        output.append(contentsOf: text.utf8)
        if padded {
            output.append(.space)
        }
        output.append(contentsOf: fence)
    }

    /// Writes a link address: as it is when it has no spaces, controls or angle brackets and
    /// its parentheses balance, else between `<` and `>`.
    mutating func writeDestination(_ href: String) {
        var depth = 0
        var plain = true
        for byte in href.utf8 {
            switch byte {
            case .openingParenthesis:
                depth += 1
            case .closingParenthesis:
                depth -= 1
                plain = plain && depth >= 0
            case .lessThan, .greaterThan, .space:
                plain = false
            case _ where byte < 0x20 || byte == 0x7F:
                plain = false
            default:
                break
            }
        }
        plain = plain && depth == 0
        if !plain {
            output.append(.lessThan)
        }
        for byte in href.utf8 where byte != .newline && byte != .carriageReturn {
            if byte == .backslash || (!plain && (byte == .lessThan || byte == .greaterThan)) {
                output.append(.backslash)
            }
            output.append(byte)
        }
        if !plain {
            output.append(.greaterThan)
        }
    }
}
