/// Reads the Markdown subset (see `docs/adf.md`) into the typed tree, working on UTF-8 bytes.
///
/// Blocks are found line by line; a list item's lines, with its indentation removed, are read
/// again as blocks of their own. Inline content is read by ``InlineReader``.
struct MarkdownReader {
    let bytes: UnsafeBufferPointer<UInt8>

    /// Where blocks are being read: list items hold no headings, quotations or rules, which ADF
    /// does not allow there, so such lines are read as text.
    enum Place {
        case document
        case listItem
    }

    /// One line of the input: the bytes from `start` to `end`, without its line ending.
    struct Line {
        var start: Int
        var end: Int
    }

    /// A list item's marker: which list it belongs to and where its content starts.
    private struct Marker {
        /// `-`, `*` or `+` for bullets; `.` or `)` for numbers. Lists continue only with the
        /// same character.
        var character: UInt8
        var number: Int?
        /// The column content lines must be indented to, from the line's start.
        var contentIndent: Int
        /// Where the first line's content starts.
        var contentStart: Int
    }

    /// Reads a whole document.
    static func document(from markdown: String) -> Document {
        var markdown = markdown
        return markdown.withUTF8 { bytes in
            let reader = MarkdownReader(bytes: bytes)
            return Document(blocks: reader.blocks(reader.lines(), in: .document))
        }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The input split at `\n`, `\r\n` and `\r`.
    private func lines() -> [Line] {
        var lines: [Line] = []
        lines.reserveCapacity(bytes.count / 40 + 1)
        var start = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == .newline || byte == .carriageReturn {
                lines.append(Line(start: start, end: index))
                if byte == .carriageReturn && index + 1 < bytes.count
                    && bytes[index + 1] == .newline
                {
                    index += 1
                }
                start = index + 1
            }
            index += 1
        }
        if start < bytes.count {
            lines.append(Line(start: start, end: bytes.count))
        }
        return lines
    }

    // MARK: - Blocks

    private func blocks(_ lines: [Line], in place: Place) -> [Block] {
        var blocks: [Block] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            let first = firstNonSpace(line)
            if first == line.end {
                index += 1
                continue
            }
            if let fence = fenceLength(line, at: first) {
                blocks.append(codeBlock(lines, from: &index, fence: fence))
            } else if place == .document, let level = headingLevel(line, at: first) {
                let content = trimmed(Line(start: first + level, end: line.end))
                blocks.append(.heading(level: level, inlines([content])))
                index += 1
            } else if place == .document, isRule(line, at: first) {
                blocks.append(.rule)
                index += 1
            } else if place == .document, bytes[first] == .greaterThan {
                blocks.append(quotation(lines, from: &index))
            } else if let marker = marker(line) {
                blocks.append(list(lines, from: &index, first: marker))
            } else {
                let content = inlines(paragraphLines(lines, from: &index, in: place))
                // A paragraph of lone backslashes has no content; Markdown cannot write it.
                if !content.isEmpty {
                    blocks.append(.paragraph(content))
                }
            }
        }
        return blocks
    }

    /// The lines of a paragraph from `index`: up to a blank line or a line starting a block.
    private func paragraphLines(_ lines: [Line], from index: inout Int, in place: Place) -> [Line] {
        var content: [Line] = [trimmed(lines[index])]
        index += 1
        while index < lines.count {
            let line = lines[index]
            let first = firstNonSpace(line)
            if first == line.end || startsBlock(line, at: first, in: place) {
                break
            }
            content.append(trimmed(line))
            index += 1
        }
        return content
    }

    private func startsBlock(_ line: Line, at first: Int, in place: Place) -> Bool {
        if fenceLength(line, at: first) != nil || marker(line) != nil {
            return true
        }
        guard place == .document else {
            return false
        }
        return headingLevel(line, at: first) != nil || isRule(line, at: first)
            || bytes[first] == .greaterThan
    }

    private func codeBlock(_ lines: [Line], from index: inout Int, fence: Int) -> Block {
        let opening = lines[index]
        let first = firstNonSpace(opening)
        let indent = first - opening.start
        let info = trimmed(Line(start: first + fence, end: opening.end))
        var languageEnd = info.start
        while languageEnd < info.end && !bytes[languageEnd].isSpaceOrTab {
            languageEnd += 1
        }
        let language = info.start < languageEnd ? string(info.start, languageEnd) : nil
        index += 1
        var text: [UInt8] = []
        var firstLine = true
        while index < lines.count {
            var line = lines[index]
            index += 1
            if isClosingFence(line, length: fence) {
                break
            }
            var removed = 0
            while removed < indent && line.start < line.end && bytes[line.start] == .space {
                line.start += 1
                removed += 1
            }
            if !firstLine {
                text.append(.newline)
            }
            firstLine = false
            text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[line.start..<line.end]))
        }
        return .codeBlock(language: language, text: String(decoding: text, as: UTF8.self))
    }

    /// A quotation: the following lines that start with `>`, read as paragraphs.
    private func quotation(_ lines: [Line], from index: inout Int) -> Block {
        var paragraphs: [[Inline]] = []
        var current: [Line] = []
        while index < lines.count {
            let line = lines[index]
            let first = firstNonSpace(line)
            guard first < line.end, bytes[first] == .greaterThan else {
                break
            }
            index += 1
            var start = first + 1
            if start < line.end && bytes[start].isSpaceOrTab {
                start += 1
            }
            let content = Line(start: start, end: line.end)
            if firstNonSpace(content) == content.end {
                appendParagraph(current, to: &paragraphs)
                current = []
            } else {
                current.append(trimmed(content))
            }
        }
        appendParagraph(current, to: &paragraphs)
        return .blockquote(paragraphs.isEmpty ? [[]] : paragraphs)
    }

    private func appendParagraph(_ lines: [Line], to paragraphs: inout [[Inline]]) {
        let content = lines.isEmpty ? [] : inlines(lines)
        if !content.isEmpty {
            paragraphs.append(content)
        }
    }

    // MARK: - Lists

    private func list(_ lines: [Line], from index: inout Int, first: Marker) -> Block {
        var items: [ListItem] = []
        var marker = first
        while true {
            var itemLines = [Line(start: marker.contentStart, end: lines[index].end)]
            index += 1
            var next: Marker?
            var blankRun = 0
            while index < lines.count {
                let line = lines[index]
                if firstNonSpace(line) == line.end {
                    blankRun += 1
                    index += 1
                    continue
                }
                if let stripped = removingIndent(line, columns: marker.contentIndent) {
                    let blank = Line(start: 0, end: 0)
                    itemLines.append(contentsOf: repeatElement(blank, count: blankRun))
                    itemLines.append(stripped)
                    blankRun = 0
                    index += 1
                    continue
                }
                if let following = self.marker(line), following.character == marker.character {
                    next = following
                }
                break
            }
            items.append(ListItem(fitting: blocks(itemLines, in: .listItem)))
            guard let following = next else {
                break
            }
            marker = following
        }
        if let start = first.number {
            return .orderedList(start: start, items)
        }
        return .bulletList(items)
    }

    /// The list marker that starts `line`, if any: a bullet, or up to nine digits and a `.` or
    /// `)`, then a space, a tab or the end of the line.
    private func marker(_ line: Line) -> Marker? {
        let first = firstNonSpace(line)
        guard first < line.end else {
            return nil
        }
        let indent = columns(line.start, first)
        var position = first
        var number: Int?
        let character: UInt8
        switch bytes[first] {
        case .hyphen, .asterisk, .plus:
            if isRule(line, at: first) {
                return nil
            }
            character = bytes[first]
            position += 1
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            var value = 0
            while position < line.end && position - first < 9 && bytes[position].isDigit {
                value = value * 10 + Int(bytes[position] - UInt8(ascii: "0"))
                position += 1
            }
            guard position < line.end,
                bytes[position] == .period || bytes[position] == .closingParenthesis
            else {
                return nil
            }
            number = value
            character = bytes[position]
            position += 1
        default:
            return nil
        }
        let width = indent + position - first
        guard position < line.end else {
            return Marker(
                character: character, number: number, contentIndent: width + 1,
                contentStart: position)
        }
        guard bytes[position].isSpaceOrTab else {
            return nil
        }
        var spaces = 0
        var contentStart = position
        while contentStart < line.end && bytes[contentStart] == .space && spaces < 5 {
            contentStart += 1
            spaces += 1
        }
        if contentStart == line.end || spaces == 5 || bytes[position] == .tab {
            return Marker(
                character: character, number: number, contentIndent: width + 1,
                contentStart: position + 1)
        }
        return Marker(
            character: character, number: number, contentIndent: width + spaces,
            contentStart: contentStart)
    }

    /// The line without its first `columns` columns of indentation, or `nil` when it is indented
    /// less. A tab reaches the next multiple of four.
    private func removingIndent(_ line: Line, columns wanted: Int) -> Line? {
        var column = 0
        var position = line.start
        while column < wanted {
            guard position < line.end else {
                return nil
            }
            switch bytes[position] {
            case .space: column += 1
            case .tab: column += 4 - column % 4
            default: return nil
            }
            position += 1
        }
        return Line(start: position, end: line.end)
    }
}
