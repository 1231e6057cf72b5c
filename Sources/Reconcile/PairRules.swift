import Ledger

/// Which records of one side take part in a pair: each condition names a field and the values
/// it may hold, and a record takes part when it meets every condition.
public struct RecordFilter: Sendable, Hashable {
    /// One condition: `field` holds one of `values`.
    public struct Condition: Sendable, Hashable {
        /// The field.
        public var field: String
        /// The values it may hold.
        public var values: [Value]

        /// Creates a condition.
        public init(field: String, values: [Value]) {
            self.field = field
            self.values = values
        }
    }

    /// The conditions, all of which must hold.
    public var conditions: [Condition]

    /// Creates a filter.
    public init(_ conditions: [Condition] = []) {
        self.conditions = conditions
    }

    /// Whether a record with these fields takes part. A field the record lacks holds `null`.
    public func admits(_ state: RecordState) -> Bool {
        conditions.allSatisfy { condition in
            condition.values.contains(state.fields[condition.field]?.value ?? .null)
        }
    }
}

/// A field that the pair writes on one side from something other than one field of the
/// other: a constant, or a template over the other side's fields. It is written when the
/// counterpart is created, and nothing flows back from it.
public struct DerivedField: Sendable, Hashable {
    /// Where the value comes from.
    public enum Source: Sendable, Hashable {
        /// Always this value.
        case constant(Value)
        /// Text in which `{name}` stands for the other side's field `name` and `{id}` for
        /// its record's id; `{{` and `}}` are literal braces.
        case template(String)
    }

    /// The side the field is written on.
    public var side: Side
    /// The field's name on that side.
    public var field: String
    /// Where its value comes from.
    public var source: Source

    /// Creates a derived field.
    public init(side: Side, field: String, source: Source) {
        self.side = side
        self.field = field
        self.source = source
    }

    /// The field's value for a counterpart of `record`, whose state is `state`. A template
    /// field the record lacks, or holds as `null`, reads as empty text.
    public func value(for record: RecordReference, state: RecordState) -> Value {
        switch source {
        case .constant(let value):
            return value
        case .template(let template):
            return .string(
                Self.fill(template) { name in
                    if name == "id" {
                        return record.remoteID
                    }
                    return Self.text(of: state.fields[name]?.value)
                })
        }
    }

    /// The names a template refers to, in order, each once.
    public static func references(in template: String) -> [String] {
        var names: [String] = []
        _ = fill(template) { name in
            if !names.contains(name) {
                names.append(name)
            }
            return ""
        }
        return names
    }

    /// `template` with each `{name}` replaced by `lookup(name)`.
    static func fill(_ template: String, _ lookup: (String) -> String) -> String {
        var output = ""
        var index = template.startIndex
        while index < template.endIndex {
            let character = template[index]
            let next = template.index(after: index)
            if character == "{", next < template.endIndex, template[next] == "{" {
                output.append("{")
                index = template.index(after: next)
            } else if character == "}", next < template.endIndex, template[next] == "}" {
                output.append("}")
                index = template.index(after: next)
            } else if character == "{", let close = template[next...].firstIndex(of: "}") {
                output += lookup(String(template[next..<close]))
                index = template.index(after: close)
            } else {
                output.append(character)
                index = next
            }
        }
        return output
    }

    private static func text(of value: Value?) -> String {
        switch value {
        case nil, .null?: ""
        case .string(let text)?: text
        case .array(let elements)?: elements.map { text(of: $0) }.joined(separator: ", ")
        case let other?: other.json
        }
    }
}
