import Foundation
import Ledger

/// A JSON Schema (draft 4) validator for the keywords the ADF schema uses: `$ref` into
/// `#/definitions`, `type`, `enum`, `const`, `required`, `properties`, `additionalProperties`,
/// `items` (one schema or a tuple), `additionalItems`, `minItems`, `maxItems`, `minLength`,
/// `maxLength`, `pattern`, `minimum`, `maximum`, `anyOf`, `allOf`, `oneOf` and `not`.
///
/// A keyword it does not know makes validation fail, so the validator never passes a document
/// by ignoring part of the schema.
struct SchemaValidator {
    let root: Value

    /// The validator for the schema in the JSON file at `path`.
    init(contentsOf path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        root = try Value(jsonBytes: Array(data), maximumDepth: 256)
    }

    init(schema: Value) {
        root = schema
    }

    /// The first reason `instance` does not match the schema, or `nil` when it does.
    func problem(with instance: Value) -> String? {
        check(instance, against: root, at: "$")
    }

    private static let knownKeywords: Set<String> = [
        "$schema", "$ref", "description", "definitions", "type", "enum", "const", "required",
        "properties", "additionalProperties", "items", "additionalItems", "minItems", "maxItems",
        "minLength", "maxLength", "pattern", "minimum", "maximum", "anyOf", "allOf", "oneOf",
        "not", "title",
    ]

    private func check(_ instance: Value, against schema: Value, at path: String) -> String? {
        guard case .object(let keywords) = schema else {
            return "\(path): the schema is not an object"
        }
        for key in keywords.keys where !Self.knownKeywords.contains(key) {
            return "\(path): the validator does not know the keyword \(key)"
        }
        if let reference = keywords["$ref"]?.stringValue {
            guard let target = resolve(reference) else {
                return "\(path): cannot resolve \(reference)"
            }
            if let problem = check(instance, against: target, at: path) {
                return problem
            }
        }
        if let problem = checkType(instance, keywords, at: path) {
            return problem
        }
        if let options = keywords["enum"]?.arrayValue, !options.contains(instance) {
            return "\(path): \(instance.json) is not one of \(Value.array(options).json)"
        }
        if let constant = keywords["const"], constant != instance {
            return "\(path): \(instance.json) is not \(constant.json)"
        }
        if case .object(let object) = instance,
            let problem = checkObject(object, keywords, at: path)
        {
            return problem
        }
        if case .array(let elements) = instance,
            let problem = checkArray(elements, keywords, at: path)
        {
            return problem
        }
        if case .string(let string) = instance,
            let problem = checkString(string, keywords, at: path)
        {
            return problem
        }
        if let number = Self.number(instance) {
            if let minimum = Self.number(keywords["minimum"]), number < minimum {
                return "\(path): \(number) is below the minimum \(minimum)"
            }
            if let maximum = Self.number(keywords["maximum"]), number > maximum {
                return "\(path): \(number) is above the maximum \(maximum)"
            }
        }
        return checkCombinations(instance, keywords, at: path)
    }

    private func checkType(_ instance: Value, _ keywords: ValueObject, at path: String)
        -> String?
    {
        guard let type = keywords["type"] else {
            return nil
        }
        let allowed = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue ?? ""]
        let matches = allowed.contains { name in
            switch (name, instance) {
            case ("object", .object), ("array", .array), ("string", .string),
                ("boolean", .bool), ("null", .null), ("number", .integer),
                ("number", .decimal), ("integer", .integer):
                return true
            default:
                return false
            }
        }
        return matches ? nil : "\(path): expected \(allowed.joined(separator: " or "))"
    }

    private func checkObject(_ object: ValueObject, _ keywords: ValueObject, at path: String)
        -> String?
    {
        for name in keywords["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
        where object[name] == nil {
            return "\(path): the required member \(name) is missing"
        }
        let properties = keywords["properties"]?.objectValue ?? ValueObject()
        // Members whose schema is an enum (such as a node's `type`) are checked first: they
        // rule out a wrong alternative before its content is walked.
        let ordered = object.sorted { left, _ in properties[left.key]?["enum"] != nil }
        for member in ordered {
            if let property = properties[member.key] {
                if let problem = check(member.value, against: property, at: "\(path).\(member.key)")
                {
                    return problem
                }
                continue
            }
            switch keywords["additionalProperties"] {
            case .bool(false)?:
                return "\(path): the member \(member.key) is not allowed"
            case .object(let extra)?:
                if let problem = check(
                    member.value, against: .object(extra), at: "\(path).\(member.key)")
                {
                    return problem
                }
            default:
                break
            }
        }
        return nil
    }

    private func checkArray(_ elements: [Value], _ keywords: ValueObject, at path: String)
        -> String?
    {
        if let minimum = keywords["minItems"]?.integerValue, elements.count < minimum {
            return "\(path): \(elements.count) items, fewer than \(minimum)"
        }
        if let maximum = keywords["maxItems"]?.integerValue, elements.count > maximum {
            return "\(path): \(elements.count) items, more than \(maximum)"
        }
        switch keywords["items"] {
        case .object?:
            for (index, element) in elements.enumerated() {
                if let problem = check(
                    element, against: keywords["items"]!, at: "\(path)[\(index)]")
                {
                    return problem
                }
            }
        case .array(let tuple)?:
            for (index, element) in elements.enumerated() {
                let schema = index < tuple.count ? tuple[index] : keywords["additionalItems"]
                switch schema {
                case .bool(false)?:
                    return "\(path)[\(index)]: no item is allowed here"
                case .object?:
                    if let problem = check(element, against: schema!, at: "\(path)[\(index)]") {
                        return problem
                    }
                default:
                    break
                }
            }
        default:
            break
        }
        return nil
    }

    private func checkString(_ string: String, _ keywords: ValueObject, at path: String)
        -> String?
    {
        let length = string.unicodeScalars.count
        if let minimum = keywords["minLength"]?.integerValue, length < minimum {
            return "\(path): \(length) characters, fewer than \(minimum)"
        }
        if let maximum = keywords["maxLength"]?.integerValue, length > maximum {
            return "\(path): \(length) characters, more than \(maximum)"
        }
        if let pattern = keywords["pattern"]?.stringValue {
            guard let regex = try? Regex(pattern) else {
                return "\(path): the pattern \(pattern) does not compile"
            }
            if (try? regex.firstMatch(in: string)) == nil {
                return "\(path): \(string) does not match \(pattern)"
            }
        }
        return nil
    }

    private func checkCombinations(_ instance: Value, _ keywords: ValueObject, at path: String)
        -> String?
    {
        for (index, schema) in (keywords["allOf"]?.arrayValue ?? []).enumerated() {
            if let problem = check(instance, against: schema, at: path) {
                return "\(problem) (allOf[\(index)])"
            }
        }
        if let options = keywords["anyOf"]?.arrayValue {
            if !options.contains(where: { check(instance, against: $0, at: path) == nil }) {
                return "\(path): matches none of anyOf (\(Self.summary(instance)))"
            }
        }
        if let options = keywords["oneOf"]?.arrayValue {
            let matching = options.filter { check(instance, against: $0, at: path) == nil }
            if matching.count != 1 {
                return "\(path): matches \(matching.count) of oneOf, not exactly one"
            }
        }
        if let negated = keywords["not"], check(instance, against: negated, at: path) == nil {
            return "\(path): matches the schema under not"
        }
        return nil
    }

    private func resolve(_ reference: String) -> Value? {
        guard reference.hasPrefix("#/") else {
            return nil
        }
        var current = root
        for part in reference.dropFirst(2).split(separator: "/") {
            guard let next = current[String(part)] else {
                return nil
            }
            current = next
        }
        return current
    }

    private static func number(_ value: Value?) -> Double? {
        switch value {
        case .integer(let number)?: Double(number)
        case .decimal(let number)?: Double(number.description)
        default: nil
        }
    }

    private static func summary(_ instance: Value) -> String {
        let json = instance.json
        return json.count > 160 ? String(json.prefix(160)) + "…" : json
    }
}
