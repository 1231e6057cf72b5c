import Ledger

/// A configuration value that does not describe a ``SyncConfiguration``, with the path of the
/// member at fault (`pairs[0].fields[2].authority`).
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where in the value: a dotted path with array indices.
    public let path: String
    /// What is wrong there.
    public let reason: String

    /// `path: reason`.
    public var description: String { "\(path): \(reason)" }
}

extension SyncConfiguration {
    /// The configuration as a ``Value``, the form a `configApplied` event carries.
    public var value: Value {
        ["pairs": .array(pairs.map(\.value))]
    }

    /// Reads a configuration from the form ``value`` writes.
    public init(value: Value) throws(ConfigurationError) {
        let reader = MemberReader(value, path: "configuration")
        var pairs: [SyncPair] = []
        for (index, pair) in try reader.array("pairs").enumerated() {
            let parsed = try SyncPair(value: pair, path: "pairs[\(index)]")
            if pairs.contains(where: { $0.name == parsed.name }) {
                throw ConfigurationError(
                    path: "pairs[\(index)].name", reason: "a second pair named '\(parsed.name)'")
            }
            pairs.append(parsed)
        }
        self.init(pairs: pairs)
    }
}

extension SyncPair {
    var value: Value {
        [
            "name": .string(name),
            "left": left.value,
            "right": right.value,
            "direction": .string(direction.rawValue),
            "fields": .array(fields.map(\.value)),
        ]
    }

    init(value: Value, path: String) throws(ConfigurationError) {
        let reader = MemberReader(value, path: path)
        let directionName = try reader.string("direction")
        guard let direction = Direction(rawValue: directionName) else {
            throw reader.error(
                at: "direction",
                "'\(directionName)' is not one of "
                    + Direction.allCases.map(\.rawValue).joined(separator: ", "))
        }
        var fields: [FieldMapping] = []
        for (index, field) in try reader.array("fields").enumerated() {
            let mapping = try FieldMapping(value: field, path: "\(path).fields[\(index)]")
            for side in Side.allCases {
                let name = mapping.field(on: side)
                if fields.contains(where: { $0.field(on: side) == name }) {
                    throw ConfigurationError(
                        path: "\(path).fields[\(index)].\(side.rawValue)",
                        reason: "field '\(name)' is mapped twice on the \(side.rawValue)")
                }
            }
            fields.append(mapping)
        }
        self.init(
            name: try reader.string("name"),
            left: try RecordSet(value: try reader.member("left"), path: "\(path).left"),
            right: try RecordSet(value: try reader.member("right"), path: "\(path).right"),
            direction: direction, fields: fields)
    }
}

extension RecordSet {
    var value: Value {
        ["connection": .string(connection), "recordType": .string(recordType)]
    }

    init(value: Value, path: String) throws(ConfigurationError) {
        let reader = MemberReader(value, path: path)
        self.init(
            connection: try reader.string("connection"),
            recordType: try reader.string("recordType"))
    }
}

extension FieldMapping {
    var value: Value {
        var object: ValueObject = [
            "left": .string(left), "right": .string(right),
            "authority": .string(authority.description),
        ]
        if !values.isEmpty {
            object["values"] = .array(values.pairs.map { .array([$0.left, $0.right]) })
        }
        return .object(object)
    }

    init(value: Value, path: String) throws(ConfigurationError) {
        let reader = MemberReader(value, path: path)
        let ruleName = try reader.string("authority")
        guard let authority = AuthorityRule(ruleName) else {
            throw reader.error(
                at: "authority",
                "'\(ruleName)' is not one of owner:left, owner:right, lastWriterWins, "
                    + "mergeSet, manual")
        }
        var pairs: [(Value, Value)] = []
        if reader.has("values") {
            for (index, pair) in try reader.array("values").enumerated() {
                guard case .array(let both) = pair, both.count == 2 else {
                    throw reader.error(
                        at: "values[\(index)]", "expected a pair [left value, right value]")
                }
                for (side, value) in zip(Side.allCases, both) {
                    let taken = pairs.contains { side == .left ? $0.0 == value : $0.1 == value }
                    if taken {
                        throw reader.error(
                            at: "values[\(index)]",
                            "\(value.json) is mapped twice on the \(side.rawValue)")
                    }
                }
                pairs.append((both[0], both[1]))
            }
        }
        self.init(
            left: try reader.string("left"), right: try reader.string("right"),
            authority: authority, values: ValueMap(pairs))
    }
}

/// Reads the members of an object value, naming the path in every error.
struct MemberReader {
    let object: ValueObject?
    let path: String

    init(_ value: Value, path: String) {
        self.object = value.objectValue
        self.path = path
    }

    func error(at member: String, _ reason: String) -> ConfigurationError {
        ConfigurationError(path: "\(path).\(member)", reason: reason)
    }

    func has(_ name: String) -> Bool {
        object?[name] != nil
    }

    func member(_ name: String) throws(ConfigurationError) -> Value {
        guard let object else {
            throw ConfigurationError(path: path, reason: "expected an object")
        }
        guard let value = object[name] else {
            throw error(at: name, "missing")
        }
        return value
    }

    func string(_ name: String) throws(ConfigurationError) -> String {
        guard case .string(let text) = try member(name), !text.isEmpty else {
            throw error(at: name, "expected a non-empty string")
        }
        return text
    }

    func array(_ name: String) throws(ConfigurationError) -> [Value] {
        guard case .array(let elements) = try member(name) else {
            throw error(at: name, "expected an array")
        }
        return elements
    }
}
