import Ledger

/// Builds Atlassian Document Format values for the seeded issues, and reads their text back.
enum ADFDocument {
    /// A version 1 document holding `blocks`.
    static func document(_ blocks: [Value]) -> Value {
        ["version": 1, "type": "doc", "content": .array(blocks)]
    }

    /// A paragraph of `inline` nodes.
    static func paragraph(_ inline: [Value]) -> Value {
        ["type": "paragraph", "content": .array(inline)]
    }

    /// A paragraph of plain text.
    static func paragraph(_ text: String) -> Value {
        paragraph([self.text(text)])
    }

    /// A text node, with `marks` such as `strong` when given.
    static func text(_ text: String, marks: [String] = []) -> Value {
        guard !marks.isEmpty else {
            return ["type": "text", "text": .string(text)]
        }
        return [
            "type": "text", "text": .string(text),
            "marks": .array(marks.map { ["type": .string($0)] }),
        ]
    }

    /// A text node linking to `href`.
    static func link(_ text: String, href: String) -> Value {
        [
            "type": "text", "text": .string(text),
            "marks": [["type": "link", "attrs": ["href": .string(href)]]],
        ]
    }

    /// A heading of `level` 1 to 6.
    static func heading(_ text: String, level: Int64) -> Value {
        [
            "type": "heading", "attrs": ["level": .integer(level)],
            "content": [self.text(text)],
        ]
    }

    /// A bullet list with one plain paragraph per item.
    static func bulletList(_ items: [String]) -> Value {
        [
            "type": "bulletList",
            "content": .array(
                items.map { item in ["type": "listItem", "content": [paragraph(item)]] }),
        ]
    }

    /// A code block in `language`.
    static func codeBlock(_ code: String, language: String) -> Value {
        [
            "type": "codeBlock", "attrs": ["language": .string(language)],
            "content": [["type": "text", "text": .string(code)]],
        ]
    }

    /// The document's text: each block on its own line, inline nodes run together.
    ///
    /// Jira's change history shows rich-text fields as text; this is the sandbox's version of
    /// that rendering.
    static func plainText(_ document: Value) -> String {
        var lines: [String] = []
        collect(document, into: &lines)
        return lines.joined(separator: "\n")
    }

    private static func collect(_ node: Value, into lines: inout [String]) {
        let children = node["content"]?.arrayValue ?? []
        switch node["type"]?.stringValue {
        case "paragraph", "heading", "codeBlock":
            lines.append(children.map(inlineText).joined())
        case "listItem":
            var inner: [String] = []
            for child in children {
                collect(child, into: &inner)
            }
            lines += inner.enumerated().map { index, line in index == 0 ? "* " + line : line }
        case "rule":
            lines.append("----")
        default:
            for child in children {
                collect(child, into: &lines)
            }
        }
    }

    private static func inlineText(_ node: Value) -> String {
        switch node["type"]?.stringValue {
        case "text": node["text"]?.stringValue ?? ""
        case "hardBreak": "\n"
        case "mention": node["attrs"]?["text"]?.stringValue ?? "@user"
        case "emoji": node["attrs"]?["shortName"]?.stringValue ?? ""
        case "inlineCard": node["attrs"]?["url"]?.stringValue ?? ""
        default: ""
        }
    }
}
