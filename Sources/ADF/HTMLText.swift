/// Reads HTML (such as a Zendesk comment's `html_body`) as plain text.
///
/// Tags are dropped; block elements end lines (paragraph-like ones leave a blank line), `<br>`
/// always breaks, table cells are separated by a space. Whitespace runs collapse to one space
/// except inside `<pre>`. Script, style and head content is skipped. Entities are decoded.
struct HTMLText {
    let bytes: UnsafeBufferPointer<UInt8>
    private var output: [UInt8] = []
    private var pendingSpace = false
    private var pendingBreaks = 0
    private var preformatted = 0

    /// Elements that start and end a paragraph: a blank line around them.
    private static let paragraphElements: Set<String> = [
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "ul", "ol", "table", "dl",
        "figure", "address", "section", "article", "header", "footer", "aside", "nav", "main",
        "form", "fieldset",
    ]

    /// Elements that start and end a line.
    private static let lineElements: Set<String> = [
        "div", "li", "tr", "dt", "dd", "caption", "hr", "figcaption",
    ]

    /// Elements whose content is not text for a reader.
    private static let skippedElements: Set<String> = [
        "script", "style", "head", "template", "noscript",
    ]

    /// The text of `html`.
    static func text(from html: String) -> String {
        var html = html
        return html.withUTF8 { bytes in
            var reader = HTMLText(bytes: bytes)
            reader.read()
            while let last = reader.output.last, last == .space || last == .newline {
                reader.output.removeLast()
            }
            return String(decoding: reader.output, as: UTF8.self)
        }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        output.reserveCapacity(bytes.count)
    }

    private mutating func read() {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case .lessThan:
                index = tag(at: index)
            case .ampersand:
                index = entity(at: index)
            case .space, .tab, .newline, .carriageReturn, 0x0C:
                if preformatted > 0 {
                    if byte == .carriageReturn {
                        break
                    }
                    emit(byte)
                } else {
                    pendingSpace = true
                }
                index += 1
            default:
                emit(byte)
                index += 1
            }
        }
    }

    /// Appends one byte of text, after the breaks or the space waiting before it.
    private mutating func emit(_ byte: UInt8) {
        if pendingBreaks > 0 {
            if !output.isEmpty {
                endLines(pendingBreaks)
            }
            pendingBreaks = 0
            pendingSpace = false
        } else if pendingSpace {
            if let last = output.last, last != .newline && last != .space {
                output.append(.space)
            }
            pendingSpace = false
        }
        output.append(byte)
    }

    /// Appends decoded text; its spaces are kept as they are.
    mutating func emit(_ text: some Sequence<UInt8>) {
        for byte in text {
            emit(byte)
        }
    }

    /// Ends lines until the output ends with `count` line endings.
    private mutating func endLines(_ count: Int) {
        if preformatted == 0 {
            while output.last == .space {
                output.removeLast()
            }
        }
        let present = output.reversed().prefix { $0 == .newline }.count
        for _ in present..<max(present, count) {
            output.append(.newline)
        }
    }

    private mutating func requestBreaks(_ count: Int) {
        pendingBreaks = max(pendingBreaks, count)
    }

    // MARK: - Tags

    /// Handles the tag, comment or declaration at `start`; returns where text goes on.
    private mutating func tag(at start: Int) -> Int {
        var index = start + 1
        guard index < bytes.count else {
            emit(UInt8.lessThan)
            return index
        }
        if bytes[index] == UInt8(ascii: "!") || bytes[index] == UInt8(ascii: "?") {
            if matches("!--", at: index) {
                return skip(past: Array("-->".utf8), from: index + 3)
            }
            return skip(past: [.greaterThan], from: index)
        }
        let closing = bytes[index] == UInt8(ascii: "/")
        if closing {
            index += 1
        }
        let nameStart = index
        while index < bytes.count && (bytes[index].isWordByte && bytes[index] < 0x80) {
            index += 1
        }
        guard index > nameStart, !bytes[nameStart].isDigit else {
            emit(UInt8.lessThan)
            return start + 1
        }
        let name = String(decoding: bytes[nameStart..<index].map { $0 | 0x20 }, as: UTF8.self)
        var end = tagEnd(from: index)
        if !closing && name == "pre" && end < bytes.count && bytes[end] == .newline {
            // A line ending right after <pre> is not part of its text.
            end += 1
        }
        if closing {
            closeElement(name)
        } else {
            openElement(name)
            if Self.skippedElements.contains(name) {
                return skipContent(of: name, from: end)
            }
        }
        return end
    }

    private mutating func openElement(_ name: String) {
        if name == "br" {
            if pendingBreaks > 0 && !output.isEmpty {
                endLines(pendingBreaks)
            }
            pendingBreaks = 0
            pendingSpace = false
            endLines(output.reversed().prefix { $0 == .newline }.count + 1)
        } else if Self.paragraphElements.contains(name) {
            requestBreaks(2)
            if name == "pre" {
                preformatted += 1
            }
        } else if Self.lineElements.contains(name) {
            requestBreaks(1)
        } else if name == "td" || name == "th" {
            pendingSpace = true
        }
    }

    private mutating func closeElement(_ name: String) {
        if Self.paragraphElements.contains(name) {
            requestBreaks(2)
            if name == "pre" && preformatted > 0 {
                preformatted -= 1
            }
        } else if Self.lineElements.contains(name) {
            requestBreaks(1)
        } else if name == "td" || name == "th" {
            pendingSpace = true
        }
    }

    /// The index after the `>` ending a tag, stepping over quoted attribute values.
    private func tagEnd(from start: Int) -> Int {
        var index = start
        var quote: UInt8?
        while index < bytes.count {
            let byte = bytes[index]
            if let open = quote {
                if byte == open {
                    quote = nil
                }
            } else if byte == .quote || byte == .apostrophe {
                quote = byte
            } else if byte == .greaterThan {
                return index + 1
            }
            index += 1
        }
        return index
    }

    /// Skips to after the end tag of `name`, or to the end of the input.
    private func skipContent(of name: String, from start: Int) -> Int {
        let endTag = Array(("</" + name).utf8)
        var index = start
        while index < bytes.count {
            if bytes[index] == .lessThan && matches(endTag, at: index, ignoringCase: true) {
                return tagEnd(from: index + endTag.count)
            }
            index += 1
        }
        return index
    }

    private func skip(past terminator: [UInt8], from start: Int) -> Int {
        var index = start
        while index < bytes.count {
            if matches(terminator, at: index) {
                return index + terminator.count
            }
            index += 1
        }
        return index
    }

    private func matches(_ text: String, at index: Int) -> Bool {
        matches(Array(text.utf8), at: index)
    }

    private func matches(_ pattern: [UInt8], at index: Int, ignoringCase: Bool = false) -> Bool {
        guard index + pattern.count <= bytes.count else {
            return false
        }
        for (offset, expected) in pattern.enumerated() {
            let byte = bytes[index + offset]
            let same = ignoringCase ? byte | 0x20 == expected | 0x20 : byte == expected
            if !same {
                return false
            }
        }
        return true
    }
}
