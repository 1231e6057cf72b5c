import CYAML
import Ledger

/// A YAML node with where it stands in the text, so that a configuration's problems can be
/// reported at their line and column.
public struct YAMLNode: Sendable, Equatable {
    /// What the node is.
    public enum Kind: Sendable, Equatable {
        /// A scalar's text, and whether it was plain (unquoted, untagged), which decides how
        /// it resolves.
        case scalar(String, plain: Bool)
        /// A mapping's entries in the order written.
        case mapping([(key: YAMLNode, value: YAMLNode)])
        /// A sequence's elements.
        case sequence([YAMLNode])

        /// Whether two kinds hold the same text, entries or elements, positions included.
        public static func == (lhs: Kind, rhs: Kind) -> Bool {
            switch (lhs, rhs) {
            case (.scalar(let left, let leftPlain), .scalar(let right, let rightPlain)):
                return left == right && leftPlain == rightPlain
            case (.mapping(let left), .mapping(let right)):
                return left.count == right.count
                    && zip(left, right).allSatisfy { $0.key == $1.key && $0.value == $1.value }
            case (.sequence(let left), .sequence(let right)):
                return left == right
            default:
                return false
            }
        }
    }

    /// What the node is.
    public var kind: Kind
    /// Its line, from 1.
    public var line: Int
    /// Its column, from 1.
    public var column: Int

    /// The node as a ``Value``, scalars resolved as ``YAMLReader`` resolves them.
    public var value: Value {
        switch kind {
        case .scalar(let text, let plain):
            return plain ? YAMLReader.resolve(text) : .string(text)
        case .mapping(let entries):
            return .object(
                ValueObject(entries.map { ($0.key.text ?? $0.key.value.json, $0.value.value) }))
        case .sequence(let elements):
            return .array(elements.map(\.value))
        }
    }

    /// A scalar's text; `nil` for a mapping or a sequence.
    public var text: String? {
        if case .scalar(let text, _) = kind {
            return text
        }
        return nil
    }

    /// The value under `key` in a mapping.
    public subscript(key: String) -> YAMLNode? {
        guard case .mapping(let entries) = kind else {
            return nil
        }
        return entries.first { $0.key.text == key }?.value
    }

    /// `line 3, column 5`.
    public var position: String { "line \(line), column \(column)" }
}

extension YAMLReader {
    /// The first document of `text` as nodes with positions; `nil` for an empty text.
    public static func document(of text: String) throws(YAMLError) -> YAMLNode? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw YAMLError(line: 1, column: 1, reason: "the YAML parser could not start")
        }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer throws(YAMLError) -> YAMLNode? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var stack: [(node: YAMLNode, anchor: String?, pendingKey: YAMLNode?)] = []
            var anchors: [String: YAMLNode] = [:]
            var root: YAMLNode?

            func add(_ node: YAMLNode, anchor: String?) throws(YAMLError) {
                if let anchor {
                    anchors[anchor] = node
                }
                guard let top = stack.indices.last else {
                    root = root ?? node
                    return
                }
                switch stack[top].node.kind {
                case .sequence(var elements):
                    elements.append(node)
                    stack[top].node.kind = .sequence(elements)
                case .mapping(var entries):
                    guard let key = stack[top].pendingKey else {
                        if let text = node.text, entries.contains(where: { $0.key.text == text }) {
                            throw YAMLError(
                                line: node.line, column: node.column,
                                reason: "the key '\(text)' appears twice in one mapping")
                        }
                        stack[top].pendingKey = node
                        return
                    }
                    entries.append((key, node))
                    stack[top].node.kind = .mapping(entries)
                    stack[top].pendingKey = nil
                case .scalar:
                    break
                }
            }

            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    let mark = parser.problem_mark
                    let reason =
                        parser.problem.map { String(cString: $0) } ?? "the YAML does not parse"
                    throw YAMLError(
                        line: Int(mark.line) + 1, column: Int(mark.column) + 1, reason: reason)
                }
                defer { yaml_event_delete(&event) }
                let line = Int(event.start_mark.line) + 1
                let column = Int(event.start_mark.column) + 1
                switch event.type {
                case YAML_STREAM_END_EVENT, YAML_DOCUMENT_END_EVENT:
                    return root
                case YAML_MAPPING_START_EVENT:
                    let anchor = event.data.mapping_start.anchor.map { String(cString: $0) }
                    stack.append(
                        (YAMLNode(kind: .mapping([]), line: line, column: column), anchor, nil))
                case YAML_SEQUENCE_START_EVENT:
                    let anchor = event.data.sequence_start.anchor.map { String(cString: $0) }
                    stack.append(
                        (YAMLNode(kind: .sequence([]), line: line, column: column), anchor, nil))
                case YAML_MAPPING_END_EVENT, YAML_SEQUENCE_END_EVENT:
                    let finished = stack.removeLast()
                    try add(finished.node, anchor: finished.anchor)
                case YAML_SCALAR_EVENT:
                    let scalar = event.data.scalar
                    let text = String(
                        decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length),
                        as: UTF8.self)
                    let plain = scalar.style == YAML_PLAIN_SCALAR_STYLE && scalar.tag == nil
                    try add(
                        YAMLNode(kind: .scalar(text, plain: plain), line: line, column: column),
                        anchor: scalar.anchor.map { String(cString: $0) })
                case YAML_ALIAS_EVENT:
                    let name = event.data.alias.anchor.map { String(cString: $0) } ?? ""
                    guard let target = anchors[name] else {
                        throw YAMLError(
                            line: line, column: column, reason: "alias *\(name) names no anchor")
                    }
                    try add(target, anchor: nil)
                default:
                    break
                }
            }
        }
    }
}
