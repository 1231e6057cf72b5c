import CYAML
import Ledger

/// Where a YAML text is wrong: the line and column (from 1) and what is wrong there.
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The line, from 1.
    public let line: Int
    /// The column, from 1.
    public let column: Int
    /// What is wrong.
    public let reason: String

    /// `line 3, column 5: mapping values are not allowed in this context`.
    public var description: String { "line \(line), column \(column): \(reason)" }
}

/// Reads YAML documents into ``Value``s with libyaml's event parser.
///
/// Plain scalars resolve as YAML 1.2's core schema does: `null`, `~` and nothing are null;
/// `true` and `false` (in any of their three spellings) are booleans; numbers that fit are
/// integers or exact decimals; everything else, and every quoted scalar, is a string. Anchors
/// and aliases are followed. Mapping keys become strings; a key given twice is an error.
public enum YAMLReader {
    /// The first document of `text`; `null` for an empty text.
    public static func value(of text: String) throws(YAMLError) -> Value {
        try value(of: Array(text.utf8))
    }

    /// The first document of the UTF-8 `bytes`; `null` when there is none.
    public static func value(of bytes: [UInt8]) throws(YAMLError) -> Value {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw YAMLError(line: 1, column: 1, reason: "the YAML parser could not start")
        }
        defer { yaml_parser_delete(&parser) }
        return try bytes.withUnsafeBufferPointer { buffer throws(YAMLError) -> Value in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = Builder()
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    throw failure(of: parser)
                }
                defer { yaml_event_delete(&event) }
                let mark = event.start_mark
                switch event.type {
                case YAML_STREAM_END_EVENT, YAML_DOCUMENT_END_EVENT:
                    return builder.result ?? .null
                case YAML_MAPPING_START_EVENT:
                    builder.open(mapping: true, anchor: text(event.data.mapping_start.anchor))
                case YAML_SEQUENCE_START_EVENT:
                    builder.open(mapping: false, anchor: text(event.data.sequence_start.anchor))
                case YAML_MAPPING_END_EVENT, YAML_SEQUENCE_END_EVENT:
                    try builder.close(at: mark)
                case YAML_SCALAR_EVENT:
                    let scalar = event.data.scalar
                    let value = String(
                        decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length),
                        as: UTF8.self)
                    let plain = scalar.style == YAML_PLAIN_SCALAR_STYLE && scalar.tag == nil
                    try builder.add(
                        plain ? resolve(value) : .string(value), anchor: text(scalar.anchor),
                        at: mark)
                case YAML_ALIAS_EVENT:
                    let name = text(event.data.alias.anchor) ?? ""
                    guard let target = builder.anchors[name] else {
                        throw YAMLError(
                            line: Int(mark.line) + 1, column: Int(mark.column) + 1,
                            reason: "alias *\(name) names no anchor")
                    }
                    try builder.add(target, anchor: nil, at: mark)
                default:
                    break
                }
            }
        }
    }

    /// A plain scalar's value under the core schema.
    static func resolve(_ text: String) -> Value {
        switch text {
        case "", "~", "null", "Null", "NULL":
            return .null
        case "true", "True", "TRUE":
            return true
        case "false", "False", "FALSE":
            return false
        default:
            break
        }
        let body = text.first == "+" || text.first == "-" ? text.dropFirst() : Substring(text)
        if !body.isEmpty, body.allSatisfy(\.isASCII), body.allSatisfy(\.isNumber),
            let integer = Int64(text.first == "+" ? String(body) : text)
        {
            return .integer(integer)
        }
        if body.first?.isNumber == true || body.first == ".",
            let decimal = DecimalNumber(Substring(text.first == "+" ? String(body) : text))
        {
            return .decimal(decimal)
        }
        return .string(text)
    }

    private static func text(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    private static func failure(of parser: yaml_parser_t) -> YAMLError {
        let mark = parser.problem_mark
        var reason = parser.problem.map { String(cString: $0) } ?? "the YAML does not parse"
        if let context = parser.context {
            reason += " (\(String(cString: context)))"
        }
        return YAMLError(line: Int(mark.line) + 1, column: Int(mark.column) + 1, reason: reason)
    }

    /// Builds values from events: a stack of open mappings and sequences.
    private struct Builder {
        private struct Open {
            var isMapping: Bool
            var anchor: String?
            var members: [(String, Value)] = []
            var keys: Set<String> = []
            var elements: [Value] = []
            var pendingKey: String?
        }

        private var stack: [Open] = []
        private(set) var result: Value?
        private(set) var anchors: [String: Value] = [:]

        mutating func open(mapping: Bool, anchor: String?) {
            stack.append(Open(isMapping: mapping, anchor: anchor))
        }

        mutating func close(at mark: yaml_mark_t) throws(YAMLError) {
            let open = stack.removeLast()
            let value: Value =
                open.isMapping ? .object(ValueObject(open.members)) : .array(open.elements)
            try add(value, anchor: open.anchor, at: mark)
        }

        mutating func add(_ value: Value, anchor: String?, at mark: yaml_mark_t) throws(YAMLError) {
            if let anchor {
                anchors[anchor] = value
            }
            guard !stack.isEmpty else {
                result = result ?? value
                return
            }
            let top = stack.count - 1
            guard stack[top].isMapping else {
                stack[top].elements.append(value)
                return
            }
            guard let key = stack[top].pendingKey else {
                let key = value.stringValue ?? value.json
                guard stack[top].keys.insert(key).inserted else {
                    throw YAMLError(
                        line: Int(mark.line) + 1, column: Int(mark.column) + 1,
                        reason: "the key '\(key)' appears twice in one mapping")
                }
                stack[top].pendingKey = key
                return
            }
            stack[top].members.append((key, value))
            stack[top].pendingKey = nil
        }
    }
}
