import ADF
import Foundation
import Ledger
import Testing

/// The ADF version 1 schema shipped beside the repository, when it is there.
enum ADFSchema {
    /// `../shared/specs/adf-schema-v1-full.json` from the package root.
    static let path = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("../shared/specs/adf-schema-v1-full.json")
        .standardizedFileURL.path

    /// The validator, or `nil` when the schema file is absent.
    static let validator: SchemaValidator? = try? SchemaValidator(contentsOf: path)

    /// Whether the schema file could be read; schema checks are skipped without it.
    static let isAvailable = validator != nil

    /// Why the schema checks did not run.
    static let missing: Comment =
        "the ADF schema is not at ../shared/specs/adf-schema-v1-full.json; schema checks skipped"

    /// Records an issue when `document` does not match the schema.
    static func expectValid(
        _ document: Value, _ context: @autoclosure () -> String = "",
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let validator else {
            return
        }
        if let problem = validator.problem(with: document) {
            Issue.record(
                "not valid ADF: \(problem)\n\(context())\n\(document.json)",
                sourceLocation: sourceLocation)
        }
    }
}

/// Builders for the ADF values tests expect.
enum Node {
    static func doc(_ blocks: Value...) -> Value {
        ["version": 1, "type": "doc", "content": .array(blocks)]
    }

    static func paragraph(_ inlines: Value...) -> Value {
        ["type": "paragraph", "content": .array(inlines)]
    }

    static func heading(_ level: Int64, _ inlines: Value...) -> Value {
        ["type": "heading", "attrs": ["level": .integer(level)], "content": .array(inlines)]
    }

    static func text(_ text: String, _ marks: String...) -> Value {
        guard !marks.isEmpty else {
            return ["type": "text", "text": .string(text)]
        }
        return [
            "type": "text", "text": .string(text),
            "marks": .array(marks.map { ["type": .string($0)] }),
        ]
    }

    static func link(_ text: String, _ href: String, _ marks: String...) -> Value {
        let others: [Value] = marks.map { ["type": .string($0)] }
        return [
            "type": "text", "text": .string(text),
            "marks": .array([["type": "link", "attrs": ["href": .string(href)]]] + others),
        ]
    }

    static let hardBreak: Value = ["type": "hardBreak"]

    static func codeBlock(_ text: String, language: String? = nil) -> Value {
        var node: ValueObject = [
            "type": "codeBlock", "content": [["type": "text", "text": .string(text)]],
        ]
        if let language {
            node["attrs"] = ["language": .string(language)]
        }
        return .object(node)
    }

    static func quote(_ paragraphs: Value...) -> Value {
        ["type": "blockquote", "content": .array(paragraphs)]
    }

    static func bullets(_ items: Value...) -> Value {
        ["type": "bulletList", "content": .array(items)]
    }

    static func numbered(from start: Int64? = nil, _ items: Value...) -> Value {
        var node: ValueObject = ["type": "orderedList", "content": .array(items)]
        if let start {
            node["attrs"] = ["order": .integer(start)]
        }
        return .object(node)
    }

    static func item(_ blocks: Value...) -> Value {
        ["type": "listItem", "content": .array(blocks)]
    }

    static let rule: Value = ["type": "rule"]
}
