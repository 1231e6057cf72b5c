/// Writes the typed tree as Markdown that ``MarkdownReader`` reads back to the same tree.
///
/// Text is escaped wherever it would otherwise read as markup. Lines carry the prefix of the
/// blocks they sit in: spaces under a list item, `> ` in a quotation.
struct MarkdownWriter {
    var output: [UInt8] = []
    /// What every line after the first starts with in the current block.
    var prefix: [UInt8] = []

    /// The Markdown for `document`.
    static func markdown(of document: Document) -> String {
        var writer = MarkdownWriter()
        writer.output.reserveCapacity(2048)
        writer.writeBlocks(document.blocks)
        return String(decoding: writer.output, as: UTF8.self)
    }

    // MARK: - Blocks

    private mutating func writeBlocks(_ blocks: [Block]) {
        var previous: Block?
        var alternate = false
        for block in blocks {
            if case .paragraph(let inlines) = block, inlines.isEmpty {
                continue
            }
            if let previous {
                blankLine()
                alternate = Self.sameKindOfList(previous, block) ? !alternate : false
            }
            writeBlock(block, alternateMarker: alternate)
            previous = block
        }
    }

    /// Whether two neighbouring blocks are lists of the same kind, which must then use
    /// different markers so as not to be read as one list.
    private static func sameKindOfList(_ first: Block, _ second: Block) -> Bool {
        switch (first, second) {
        case (.bulletList, .bulletList), (.orderedList, .orderedList): true
        default: false
        }
    }

    private mutating func writeBlock(_ block: Block, alternateMarker: Bool) {
        switch block {
        case .paragraph(let inlines):
            writeInlines(inlines)
        case .heading(let level, let inlines):
            output.append(contentsOf: repeatElement(.hash, count: level))
            if !inlines.isEmpty {
                output.append(.space)
                writeInlines(inlines.map { $0 == .hardBreak ? .text(" ", [], link: nil) : $0 })
            }
        case .codeBlock(let language, let text):
            writeCode(text, language: language)
        case .blockquote(let paragraphs):
            let saved = prefix
            prefix += [.greaterThan, .space]
            for (index, paragraph) in paragraphs.enumerated() {
                if index > 0 {
                    blankLine()
                } else {
                    output.append(contentsOf: [.greaterThan, .space])
                }
                writeInlines(paragraph)
                trimLineEnd()
            }
            prefix = saved
        case .bulletList(let items):
            let marker: [UInt8] = [alternateMarker ? .asterisk : .hyphen]
            for (index, item) in items.enumerated() {
                if index > 0 {
                    newLine()
                }
                writeItem(item, marker: marker)
            }
        case .orderedList(let start, let items):
            for (index, item) in items.enumerated() {
                if index > 0 {
                    newLine()
                }
                let delimiter: UInt8 = alternateMarker ? .closingParenthesis : .period
                writeItem(item, marker: Array(String(start + index).utf8) + [delimiter])
            }
        case .rule:
            output.append(contentsOf: [.hyphen, .hyphen, .hyphen])
        }
    }

    private mutating func writeItem(_ item: ListItem, marker: [UInt8]) {
        output.append(contentsOf: marker)
        let saved = prefix
        prefix += repeatElement(.space, count: marker.count + 1)
        var blocks = item.blocks[...]
        if case .paragraph(let inlines)? = blocks.first, inlines.isEmpty {
            blocks = blocks.dropFirst()
            if !blocks.isEmpty {
                newLine()
            }
        } else {
            output.append(.space)
        }
        var previous: Block?
        var alternate = false
        for block in blocks {
            if let previous {
                switch block {
                case .bulletList, .orderedList:
                    newLine()
                default:
                    blankLine()
                }
                alternate = Self.sameKindOfList(previous, block) ? !alternate : false
            }
            writeBlock(block, alternateMarker: alternate)
            previous = block
        }
        prefix = saved
    }

    private mutating func writeCode(_ text: String, language: String?) {
        var longestRun = 0
        var run = 0
        for byte in text.utf8 {
            run = byte == .backtick ? run + 1 : 0
            longestRun = max(longestRun, run)
        }
        let fence = [UInt8](repeating: .backtick, count: max(3, longestRun + 1))
        output.append(contentsOf: fence)
        if let language {
            output.append(
                contentsOf: language.utf8.filter { $0 != .newline && $0 != .carriageReturn })
        }
        newLine()
        for byte in text.utf8 {
            if byte == .newline {
                newLine(trimming: false)
            } else {
                output.append(byte)
            }
        }
        if !text.isEmpty {
            newLine(trimming: false)
        }
        output.append(contentsOf: fence)
    }

    // MARK: - Lines

    /// Ends the line, without its trailing spaces unless `trimming` is off, and starts the
    /// next one with the current prefix.
    mutating func newLine(trimming: Bool = true) {
        if trimming {
            trimLineEnd()
        }
        output.append(.newline)
        output.append(contentsOf: prefix)
    }

    /// Ends the line and leaves an empty one, which inside a quotation is a bare `>`.
    private mutating func blankLine() {
        trimLineEnd()
        output.append(.newline)
        var end = prefix.count
        while end > 0 && prefix[end - 1] == .space {
            end -= 1
        }
        output.append(contentsOf: prefix[..<end])
        newLine()
    }

    /// Drops spaces and tabs at the end of the line written so far.
    mutating func trimLineEnd() {
        while let last = output.last, last == .space || last == .tab {
            output.removeLast()
        }
    }
}
