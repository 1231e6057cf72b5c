import Ledger

/// Writing the typed tree as ADF values.
///
/// Objects are built by setting members in their canonical key order (`attrs`, `content`,
/// `marks`, `text`, `type`, `version`), so each member is appended rather than inserted.
extension Document {
    /// The document as a version 1 ADF `doc` value.
    var value: Value {
        var object = ValueObject()
        object["content"] = .array(blocks.map(\.value))
        object["type"] = "doc"
        object["version"] = 1
        return .object(object)
    }
}

extension Block {
    /// The block as an ADF node.
    var value: Value {
        switch self {
        case .paragraph(let inlines):
            return Self.node("paragraph", content: inlines.map(\.value))
        case .heading(let level, let inlines):
            return Self.node(
                "heading", attrs: ["level": .integer(Int64(level))],
                content: inlines.map(\.value))
        case .codeBlock(let language, let text):
            let content: [Value] = text.isEmpty ? [] : [Inline.textNode(text, marks: nil)]
            return Self.node(
                "codeBlock", attrs: language.map { ["language": .string($0)] }, content: content)
        case .blockquote(let paragraphs):
            return Self.node(
                "blockquote",
                content: paragraphs.map { Self.node("paragraph", content: $0.map(\.value)) })
        case .bulletList(let items):
            return Self.node("bulletList", content: items.map(\.value))
        case .orderedList(let start, let items):
            return Self.node(
                "orderedList", attrs: start == 1 ? nil : ["order": .integer(Int64(start))],
                content: items.map(\.value))
        case .rule:
            return Self.node("rule")
        }
    }

    /// A node of `type` with optional attributes and content.
    static func node(_ type: String, attrs: ValueObject? = nil, content: [Value]? = nil) -> Value {
        var object = ValueObject()
        if let attrs {
            object["attrs"] = .object(attrs)
        }
        if let content {
            object["content"] = .array(content)
        }
        object["type"] = .string(type)
        return .object(object)
    }
}

extension ListItem {
    /// The item as an ADF `listItem` node.
    var value: Value {
        Block.node("listItem", content: blocks.map(\.value))
    }
}

extension Inline {
    /// The inline piece as an ADF node.
    var value: Value {
        switch self {
        case .hardBreak:
            return Self.hardBreakNode
        case .text(let text, let marks, let link):
            guard link != nil || !marks.isEmpty else {
                return Self.textNode(text, marks: nil)
            }
            var values: [Value] = []
            if let link {
                var attrs = ValueObject()
                attrs["href"] = .string(link)
                var mark = ValueObject()
                mark["attrs"] = .object(attrs)
                mark["type"] = "link"
                values.append(.object(mark))
            }
            for (flag, value) in Self.markValues where marks.contains(flag) {
                values.append(value)
            }
            return Self.textNode(text, marks: values)
        }
    }

    private static let hardBreakNode = Block.node("hardBreak")

    /// The marks besides `link`, in the order they are written.
    private static let markValues: [(Marks, Value)] = [
        (.strong, mark("strong")), (.em, mark("em")), (.strike, mark("strike")),
        (.code, mark("code")),
    ]

    /// A text node; `marks` is left out when `nil`.
    static func textNode(_ text: String, marks: [Value]?) -> Value {
        var object = ValueObject()
        if let marks {
            object["marks"] = .array(marks)
        }
        object["text"] = .string(text)
        object["type"] = "text"
        return .object(object)
    }

    private static func mark(_ type: String) -> Value {
        var object = ValueObject()
        object["type"] = .string(type)
        return .object(object)
    }
}
