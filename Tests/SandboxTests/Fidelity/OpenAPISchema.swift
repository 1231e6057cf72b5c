import Foundation
import Ledger

/// An OpenAPI 3 document, and a checker of JSON values against its schemas: enough of JSON
/// Schema to hold the sandbox to the providers' published shapes (`$ref`, `type`,
/// `properties`, `required`, `additionalProperties`, `items`, `enum`, `allOf`, `oneOf`,
/// `anyOf`, `nullable`).
///
/// `null` is accepted wherever the document leaves nullability unsaid: the real services
/// return it for empty fields whatever their specs say, and the sandbox does the same.
struct OpenAPIDocument {
    let root: Value

    /// Where the official specs are kept next to the project, or `SYNCLEDGER_SPECS`.
    static var specsDirectory: String {
        if let directory = ProcessInfo.processInfo.environment["SYNCLEDGER_SPECS"] {
            return directory
        }
        let repository = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return repository.deletingLastPathComponent().appendingPathComponent("shared/specs").path
    }

    static func exists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: specsDirectory + "/" + name)
    }

    init(value: Value) {
        root = value
    }

    /// The schema of the `status` response of `method path`, as JSON.
    func responseSchema(_ method: String, _ path: String, status: String) -> Value? {
        root["paths"]?[path]?[method]?["responses"]?[status]?["content"]?["application/json"]?[
            "schema"]
    }

    /// The schema of the JSON request body of `method path`.
    func requestSchema(_ method: String, _ path: String) -> Value? {
        root["paths"]?[path]?[method]?["requestBody"]?["content"]?["application/json"]?["schema"]
    }

    /// Every way `value` breaks `schema`, each naming where (`$.fields.summary`).
    func problems(_ value: Value, _ schema: Value, at path: String = "$", depth: Int = 0)
        -> [String]
    {
        guard depth < 40 else {
            return []
        }
        if let reference = schema["$ref"]?.stringValue {
            guard let target = resolve(reference) else {
                return ["\(path): unresolvable \(reference)"]
            }
            return problems(value, target, at: path, depth: depth + 1)
        }
        var found: [String] = []
        for part in schema["allOf"]?.arrayValue ?? [] {
            found += problems(value, part, at: path, depth: depth + 1)
        }
        for key in ["oneOf", "anyOf"] {
            if let choices = schema[key]?.arrayValue, !choices.isEmpty,
                !choices.contains(where: { problems(value, $0, at: path, depth: depth + 1).isEmpty }
                )
            {
                found.append("\(path): matches none of the \(key) schemas")
            }
        }
        if case .null = value {
            return found
        }
        let type = schema["type"]?.stringValue ?? (schema["properties"] != nil ? "object" : nil)
        switch type {
        case "object":
            guard case .object(let object) = value else {
                return found + ["\(path): expected an object, found \(value.json.prefix(60))"]
            }
            let properties = schema["properties"]?.objectValue ?? [:]
            for required in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
            where object[required] == nil {
                found.append("\(path): required member '\(required)' is missing")
            }
            for (name, member) in object {
                if let property = properties[name] {
                    found += problems(member, property, at: "\(path).\(name)", depth: depth + 1)
                } else if schema["additionalProperties"] == false {
                    found.append("\(path): member '\(name)' is not in the schema")
                } else if let extra = schema["additionalProperties"], extra.objectValue != nil {
                    found += problems(member, extra, at: "\(path).\(name)", depth: depth + 1)
                }
            }
        case "array":
            guard case .array(let elements) = value else {
                return found + ["\(path): expected an array, found \(value.json.prefix(60))"]
            }
            if let items = schema["items"] {
                for (index, element) in elements.enumerated() {
                    found += problems(element, items, at: "\(path)[\(index)]", depth: depth + 1)
                }
            }
        case "string":
            guard case .string(let text) = value else {
                return found + ["\(path): expected a string, found \(value.json.prefix(60))"]
            }
            if let allowed = schema["enum"]?.arrayValue, !allowed.contains(.string(text)) {
                found.append("\(path): '\(text)' is not one of \(Value.array(allowed).json)")
            }
        case "integer":
            if case .integer = value {
            } else {
                found.append("\(path): expected an integer, found \(value.json.prefix(60))")
            }
        case "number":
            switch value {
            case .integer, .decimal: break
            default: found.append("\(path): expected a number, found \(value.json.prefix(60))")
            }
        case "boolean":
            if case .bool = value {
            } else {
                found.append("\(path): expected a boolean, found \(value.json.prefix(60))")
            }
        default:
            break
        }
        return found
    }

    private func resolve(_ reference: String) -> Value? {
        guard reference.hasPrefix("#/") else {
            return nil
        }
        var node: Value? = root
        for part in reference.dropFirst(2).split(separator: "/") {
            let name = part.replacingOccurrences(of: "~1", with: "/")
                .replacingOccurrences(of: "~0", with: "~")
            node = node?[name]
        }
        return node
    }
}
