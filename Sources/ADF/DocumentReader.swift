import Ledger

/// Reads an ADF value into the typed tree, degrading what the tree cannot hold to its text.
///
/// Reading never stops: a member that is not a node is skipped, and the first such problem is
/// kept in ``problem`` so that a strict caller can refuse the document.
struct DocumentReader {
    /// The first structural problem met, naming where it is.
    private(set) var problem: ConversionError?
    private var path: [PathStep] = []

    private enum PathStep {
        case key(String)
        case index(Int)
    }

    /// Reads a whole `doc` value.
    mutating func read(_ value: Value) -> Document {
        guard case .object(let object) = value else {
            report("the document is not an ADF doc: expected an object, found \(value.kindName)")
            return Document(blocks: [])
        }
        guard object["type"]?.stringValue == "doc" else {
            let found = object["type"].map { $0.stringValue.map { "\"\($0)\"" } ?? $0.kindName }
            report(
                "the document is not an ADF doc: its type is \(found ?? "missing"), "
                    + "expected \"doc\"")
            return Document(blocks: [])
        }
        var collector = BlockCollector()
        readBlocks(object, into: &collector)
        return Document(blocks: collector.finish())
    }

    // MARK: - Blocks

    /// Reads the `content` of `parent` in a place where blocks belong.
    private mutating func readBlocks(_ parent: ValueObject, into collector: inout BlockCollector) {
        forEachChild(of: parent) { reader, child in
            reader.readBlock(child, into: &collector)
        }
    }

    private mutating func readBlock(_ node: ValueObject, into collector: inout BlockCollector) {
        let type = node["type"]?.stringValue ?? ""
        switch type {
        case "paragraph":
            collector.add(.paragraph(readInlines(node)))
        case "heading":
            let level = Self.number(node["attrs"]?["level"]).map { min(max($0, 1), 6) } ?? 1
            collector.add(.heading(level: level, readInlines(node)))
        case "codeBlock":
            var text = ""
            readCode(node, into: &text)
            collector.add(
                .codeBlock(language: node["attrs"]?["language"]?.stringValue, text: text))
        case "blockquote":
            var inner = BlockCollector()
            readBlocks(node, into: &inner)
            let paragraphs = inner.finish().flatMap(\.paragraphs)
            if !paragraphs.isEmpty {
                collector.add(.blockquote(paragraphs))
            }
        case "bulletList", "orderedList":
            let items = readItems(node)
            guard !items.isEmpty else {
                return
            }
            if type == "bulletList" {
                collector.add(.bulletList(items))
            } else {
                let start = Self.number(node["attrs"]?["order"]).map { max($0, 0) } ?? 1
                collector.add(.orderedList(start: start, items))
            }
        case "rule":
            collector.add(.rule)
        case "tableRow":
            collector.add(.paragraph(readRow(node)))
        case "expand", "nestedExpand":
            if let title = node["attrs"]?["title"]?.stringValue, !title.isEmpty {
                collector.add(.paragraph([.text(title, .strong, link: nil)]))
            }
            readBlocks(node, into: &collector)
            collector.flush()
        case _ where Self.inlineTypes.contains(type):
            readInline(node, marks: [], link: nil, into: &collector.pending)
        default:
            if node["content"] != nil {
                collector.flush()
                readBlocks(node, into: &collector)
                collector.flush()
            } else if let text = Self.leafText(node) {
                collector.pending.append(text, [], link: nil)
            }
        }
    }

    /// The items of a list; a child that is not a `listItem` becomes an item of its own.
    private mutating func readItems(_ list: ValueObject) -> [ListItem] {
        var items: [ListItem] = []
        forEachChild(of: list) { reader, child in
            var collector = BlockCollector()
            if child["type"]?.stringValue == "listItem" {
                reader.readBlocks(child, into: &collector)
            } else {
                reader.readBlock(child, into: &collector)
            }
            let blocks = collector.finish().flatMap(\.listItemBlocks)
            items.append(ListItem(fitting: blocks))
        }
        return items
    }

    /// A table row as one paragraph: each cell's text, separated by ` | `.
    private mutating func readRow(_ row: ValueObject) -> [Inline] {
        var cells: [String] = []
        forEachChild(of: row) { reader, cell in
            var collector = BlockCollector()
            reader.readBlocks(cell, into: &collector)
            let text = PlainTextWriter.text(of: Document(blocks: collector.finish()))
            cells.append(text.replacing("\n", with: " "))
        }
        var text = cells.joined(separator: " | ")
        while text.utf8.last == .space {
            text.removeLast()
        }
        var builder = InlineBuilder()
        builder.append(text, [], link: nil)
        return builder.items
    }

    // MARK: - Inline content

    /// Reads the `content` of a paragraph or heading.
    private mutating func readInlines(_ parent: ValueObject) -> [Inline] {
        var builder = InlineBuilder()
        forEachChild(of: parent) { reader, child in
            reader.readInline(child, marks: [], link: nil, into: &builder)
        }
        return builder.items
    }

    private mutating func readInline(
        _ node: ValueObject, marks: Marks, link: String?, into builder: inout InlineBuilder
    ) {
        switch node["type"]?.stringValue ?? "" {
        case "text":
            guard let text = node["text"]?.stringValue else {
                return
            }
            var marks = marks
            var link = link
            for mark in node["marks"]?.arrayValue ?? [] {
                switch mark["type"]?.stringValue {
                case "strong"?: marks.insert(.strong)
                case "em"?: marks.insert(.em)
                case "strike"?: marks.insert(.strike)
                case "code"?: marks.insert(.code)
                case "link"?: link = mark["attrs"]?["href"]?.stringValue ?? link
                default: break
                }
            }
            builder.append(text, marks, link: link)
        case "hardBreak":
            builder.appendBreak()
        case "inlineCard":
            if let url = node["attrs"]?["url"]?.stringValue {
                builder.append(url, marks, link: url)
            }
        default:
            if node["content"] != nil {
                forEachChild(of: node) { reader, child in
                    reader.readInline(child, marks: marks, link: link, into: &builder)
                }
            } else if let text = Self.leafText(node) {
                builder.append(text, marks, link: link)
            }
        }
    }

    /// Appends the text of a code block's children: text as it is, breaks as newlines.
    private mutating func readCode(_ parent: ValueObject, into text: inout String) {
        forEachChild(of: parent) { reader, child in
            switch child["type"]?.stringValue ?? "" {
            case "text":
                text += child["text"]?.stringValue ?? ""
            case "hardBreak":
                text += "\n"
            default:
                if child["content"] != nil {
                    reader.readCode(child, into: &text)
                } else {
                    text += Self.leafText(child) ?? ""
                }
            }
        }
    }

    // MARK: - Walking

    /// Calls `body` with each child node in `parent`'s `content`, noting the ones that are not
    /// nodes.
    private mutating func forEachChild(
        of parent: ValueObject, _ body: (inout DocumentReader, ValueObject) -> Void
    ) {
        guard let content = parent["content"] else {
            return
        }
        path.append(.key("content"))
        defer { path.removeLast() }
        guard case .array(let children) = content else {
            report("\(place) is not a list of nodes: expected an array, found \(content.kindName)")
            return
        }
        for (index, child) in children.enumerated() {
            path.append(.index(index))
            defer { path.removeLast() }
            guard case .object(let node) = child else {
                report("\(place) is not an ADF node: expected an object, found \(child.kindName)")
                continue
            }
            guard node["type"]?.stringValue != nil else {
                report("\(place) is not an ADF node: it has no \"type\" string")
                continue
            }
            body(&self, node)
        }
    }

    private mutating func report(_ message: String) {
        if problem == nil {
            problem = ConversionError(message)
        }
    }

    /// Where the walk is, as in `content[2].content[0]`.
    private var place: String {
        var text = ""
        for step in path {
            switch step {
            case .key(let key):
                text += text.isEmpty ? key : "." + key
            case .index(let index):
                text += "[\(index)]"
            }
        }
        return text
    }
}
