/// Plain text into the tree: paragraphs split at blank lines, other line endings as breaks.
enum PlainTextReader {
    /// The document for `text`, which is taken as it is: nothing in it is markup.
    static func document(from text: String) -> Document {
        var blocks: [Block] = []
        var builder = InlineBuilder()
        var pendingBreak = false
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            var index = 0
            func endLine(at end: Int) {
                let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
                if line.allSatisfy(\.isSpaceOrTab) {
                    if !builder.isEmpty {
                        blocks.append(.paragraph(builder.items))
                        builder = InlineBuilder()
                    }
                    pendingBreak = false
                    return
                }
                if pendingBreak {
                    builder.appendBreak()
                }
                builder.append(String(decoding: line, as: UTF8.self), [], link: nil)
                pendingBreak = true
            }
            while index < bytes.count {
                let byte = bytes[index]
                if byte == .newline || byte == .carriageReturn {
                    endLine(at: index)
                    if byte == .carriageReturn && index + 1 < bytes.count
                        && bytes[index + 1] == .newline
                    {
                        index += 1
                    }
                    start = index + 1
                }
                index += 1
            }
            endLine(at: bytes.count)
        }
        if !builder.isEmpty {
            blocks.append(.paragraph(builder.items))
        }
        return Document(blocks: blocks)
    }
}

/// The tree as plain text: marks dropped, list items with their markers, quotations with `> `.
struct PlainTextWriter {
    private var output = ""
    private var prefix = ""

    /// The text of `document`, blocks separated by blank lines.
    static func text(of document: Document) -> String {
        var writer = PlainTextWriter()
        writer.writeBlocks(document.blocks)
        return writer.output
    }

    private mutating func writeBlocks(_ blocks: [Block]) {
        var first = true
        for block in blocks {
            if case .paragraph(let inlines) = block, inlines.isEmpty {
                continue
            }
            if !first {
                newLine()
                newLine()
            }
            first = false
            writeBlock(block)
        }
    }

    private mutating func writeBlock(_ block: Block) {
        switch block {
        case .paragraph(let inlines), .heading(_, let inlines):
            writeInlines(inlines)
        case .codeBlock(_, let text):
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false)
                .enumerated()
            {
                if index > 0 {
                    newLine()
                }
                output += line
            }
        case .blockquote(let paragraphs):
            let saved = prefix
            prefix += "> "
            for (index, paragraph) in paragraphs.enumerated() {
                if index > 0 {
                    newLine()
                    newLine()
                } else {
                    output += "> "
                }
                writeInlines(paragraph)
            }
            prefix = saved
        case .bulletList(let items):
            writeItems(items) { _ in "- " }
        case .orderedList(let start, let items):
            writeItems(items) { "\(start + $0). " }
        case .rule:
            output += "---"
        }
    }

    private mutating func writeItems(_ items: [ListItem], marker: (Int) -> String) {
        for (index, item) in items.enumerated() {
            if index > 0 {
                newLine()
            }
            let itemMarker = marker(index)
            output += itemMarker
            let saved = prefix
            prefix += String(repeating: " ", count: itemMarker.count)
            var firstBlock = true
            for block in item.blocks {
                if case .paragraph(let inlines) = block, inlines.isEmpty {
                    continue
                }
                if !firstBlock {
                    newLine()
                }
                firstBlock = false
                writeBlock(block)
            }
            prefix = saved
        }
    }

    private mutating func writeInlines(_ inlines: [Inline]) {
        for inline in inlines {
            switch inline {
            case .hardBreak:
                newLine()
            case .text(let text, _, _):
                output += text
            }
        }
    }

    /// Ends the line; the next starts with the prefix, trailing spaces of an empty one dropped.
    private mutating func newLine() {
        while output.utf8.last == .space {
            output.removeLast()
        }
        output += "\n"
        output += prefix
    }
}
