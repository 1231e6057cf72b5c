import ADF
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
        var object: ValueObject = [
            "name": .string(name),
            "left": left.value,
            "right": right.value,
            "direction": .string(direction.rawValue),
            "fields": .array(fields.map(\.value)),
        ]
        if onDelete != .ignore {
            object["onDelete"] = .string(onDelete.rawValue)
        }
        if !derived.isEmpty {
            object["derived"] = .array(derived.map(\.value))
        }
        if !filters.isEmpty {
            object["filters"] = .object(
                ValueObject(
                    filters.sorted { $0.key < $1.key }.map { ($0.key.rawValue, $0.value.value) }))
        }
        return .object(object)
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
        var onDelete = DeletionPolicy.ignore
        if reader.has("onDelete") {
            let policyName = try reader.string("onDelete")
            guard let policy = DeletionPolicy(rawValue: policyName) else {
                throw reader.error(
                    at: "onDelete",
                    "'\(policyName)' is not one of "
                        + DeletionPolicy.allCases.map(\.rawValue).joined(separator: ", "))
            }
            onDelete = policy
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
        var derived: [DerivedField] = []
        if reader.has("derived") {
            for (index, field) in try reader.array("derived").enumerated() {
                derived.append(try DerivedField(value: field, path: "\(path).derived[\(index)]"))
            }
        }
        var filters: [Side: RecordFilter] = [:]
        if reader.has("filters") {
            let sides = MemberReader(try reader.member("filters"), path: "\(path).filters")
            for side in Side.allCases where sides.has(side.rawValue) {
                filters[side] = try RecordFilter(
                    value: try sides.member(side.rawValue),
                    path: "\(path).filters.\(side.rawValue)")
            }
        }
        self.init(
            name: try reader.string("name"),
            left: try RecordSet(value: try reader.member("left"), path: "\(path).left"),
            right: try RecordSet(value: try reader.member("right"), path: "\(path).right"),
            direction: direction, fields: fields, derived: derived, filters: filters,
            onDelete: onDelete)
    }
}

extension DerivedField {
    var value: Value {
        var object: ValueObject = ["side": .string(side.rawValue), "field": .string(field)]
        switch source {
        case .constant(let value): object["constant"] = value
        case .template(let template): object["template"] = .string(template)
        }
        return .object(object)
    }

    init(value: Value, path: String) throws(ConfigurationError) {
        let reader = MemberReader(value, path: path)
        let sideName = try reader.string("side")
        guard let side = Side(rawValue: sideName) else {
            throw reader.error(at: "side", "'\(sideName)' is not left or right")
        }
        let source: Source
        if reader.has("constant") {
            source = .constant(try reader.member("constant"))
        } else {
            source = .template(try reader.string("template"))
        }
        self.init(side: side, field: try reader.string("field"), source: source)
    }
}

extension RecordFilter {
    var value: Value {
        .object(ValueObject(conditions.map { ($0.field, .array($0.values)) }))
    }

    init(value: Value, path: String) throws(ConfigurationError) {
        guard let object = value.objectValue else {
            throw ConfigurationError(path: path, reason: "expected an object of fields")
        }
        var conditions: [Condition] = []
        for (field, allowed) in object {
            guard case .array(let values) = allowed else {
                throw ConfigurationError(
                    path: "\(path).\(field)", reason: "expected an array of values")
            }
            conditions.append(Condition(field: field, values: values))
        }
        self.init(conditions)
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
        if !values.pairs.isEmpty {
            object["values"] = .array(values.pairs.map { .array([$0.left, $0.right]) })
        }
        if !values.isDerivedReverse {
            object["reverse"] = .array(values.reversePairs.map { .array([$0.right, $0.left]) })
        }
        if let leftDefault = values.leftDefault {
            object["leftDefault"] = leftDefault
        }
        if let rightDefault = values.rightDefault {
            object["rightDefault"] = rightDefault
        }
        if let formats {
            object["formats"] = [
                "left": .string(formats.left.rawValue), "right": .string(formats.right.rawValue),
            ]
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
        let forward = try Self.pairs(reader, "values")
        let backward = reader.has("reverse") ? try Self.pairs(reader, "reverse") : nil
        if backward == nil {
            var seen: [Value] = []
            for (index, pair) in forward.enumerated() {
                if seen.contains(pair.1) {
                    throw reader.error(
                        at: "values[\(index)]",
                        "\(pair.1.json) is mapped twice on the right, so the map needs 'reverse'")
                }
                seen.append(pair.1)
            }
        }
        var formats: FieldFormats?
        if reader.has("formats") {
            let both = MemberReader(try reader.member("formats"), path: "\(path).formats")
            var read: [TextFormat] = []
            for side in Side.allCases {
                let name = try both.string(side.rawValue)
                guard let format = TextFormat(rawValue: name) else {
                    throw both.error(
                        at: side.rawValue,
                        "'\(name)' is not one of "
                            + TextFormat.allCases.map(\.rawValue).joined(separator: ", "))
                }
                read.append(format)
            }
            formats = FieldFormats(left: read[0], right: read[1])
        }
        self.init(
            left: try reader.string("left"), right: try reader.string("right"),
            authority: authority,
            values: ValueMap(
                forward: forward, backward: backward ?? forward.map { ($1, $0) },
                leftDefault: reader.optional("leftDefault"),
                rightDefault: reader.optional("rightDefault")),
            formats: formats)
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

    func optional(_ name: String) -> Value? {
        object?[name]
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

extension FieldMapping {
    /// The pairs under `name`, each a two-element array, no first value twice.
    fileprivate static func pairs(
        _ reader: MemberReader, _ name: String
    ) throws(ConfigurationError) -> [(Value, Value)] {
        guard reader.has(name) else {
            return []
        }
        var pairs: [(Value, Value)] = []
        for (index, pair) in try reader.array(name).enumerated() {
            guard case .array(let both) = pair, both.count == 2 else {
                throw reader.error(at: "\(name)[\(index)]", "expected a pair [from, to]")
            }
            if pairs.contains(where: { $0.0 == both[0] }) {
                throw reader.error(at: "\(name)[\(index)]", "\(both[0].json) is mapped twice")
            }
            pairs.append((both[0], both[1]))
        }
        return pairs
    }
}
